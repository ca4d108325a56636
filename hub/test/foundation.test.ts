import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';

describe.each(databaseKinds)('hub foundation on %s', (kind) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(kind);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('answers liveness and readiness with the database and broker in use', async () => {
    expect((await hub.http.inject({ url: '/api/health' })).json()).toEqual({ status: 'ok' });
    const ready = await hub.http.inject({ url: '/api/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      database: { ok: true, kind, storage: 'postgres' },
      broker: { ok: true, kind: 'embedded' },
    });
  });

  it('records which telemetry storage path is active', async () => {
    const { rows } = await hub.db.query<{ value: string }>(`SELECT value FROM system_info WHERE key = 'storage'`);
    expect(rows).toEqual([{ value: 'postgres' }]);
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const res = await hub.http.inject({ url: '/api/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/devices', '/api/ready', '/api/health']));
    expect(JSON.stringify(doc.paths['/api/auth/login'].post.requestBody)).toContain('username');
    expect((await hub.http.inject({ url: '/api/docs' })).statusCode).toBeLessThan(400);
  });

  it('creates the admin and one demo user per role, with argon2id hashes', async () => {
    expect(hub.auth.initialCredentials.map((c) => c.role).sort()).toEqual(['admin', 'clerk', 'guard', 'manager', 'owner', 'technician']);
    const { rows } = await hub.db.query<{ password_hash: string }>('SELECT password_hash FROM users');
    expect(rows).toHaveLength(6);
    for (const r of rows) expect(r.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('logs in, returns the user, and logs out', async () => {
    const login = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(login.statusCode).toBe(200);
    const { token, user } = login.json() as { token: string; user: { role: string } };
    expect(user.role).toBe('admin');
    const me = await hub.http.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json()).toMatchObject({ user: { username: 'admin', role: 'admin' } });
    expect((await hub.http.inject({ method: 'POST', url: '/api/auth/logout', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(204);
    const after = await hub.http.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ error: { code: 'WARDEN_ERR_SESSION_EXPIRED' } });
  });

  it('refuses a wrong password with a coded error and audits it', async () => {
    const res = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'guard', password: 'not-the-password' } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'WARDEN_ERR_AUTH_FAILED', message: 'Wrong username or password' } });
    const { rows } = await hub.db.query(`SELECT 1 FROM audit_log WHERE action = 'auth.login_failed' AND actor = 'guard'`);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('throttles repeated failed logins', async () => {
    const attempt = () => hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'clerk', password: 'wrong-wrong-wrong' } });
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await attempt()).statusCode);
    expect(codes).toEqual([401, 401, 401, 401, 401, 429]);
    // Even the right password is refused while throttled.
    const right = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'clerk', password: demoPassword(hub, 'clerk') } });
    expect(right.json()).toMatchObject({ error: { code: 'WARDEN_ERR_RATE_LIMITED' } });
  });

  it('checks the role on every protected route', async () => {
    expect((await hub.http.inject({ url: '/api/devices' })).json()).toMatchObject({ error: { code: 'WARDEN_ERR_AUTH_REQUIRED' } });
    const guard = await hub.login('guard', demoPassword(hub, 'guard'));
    const owner = await hub.login('owner', demoPassword(hub, 'owner'));
    expect((await hub.http.inject({ url: '/api/devices', headers: { authorization: `Bearer ${guard}` } })).statusCode).toBe(200);
    const forbidden = await hub.http.inject({ url: '/api/users', headers: { authorization: `Bearer ${guard}` } });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ error: { code: 'WARDEN_ERR_FORBIDDEN' } });
    expect((await hub.http.inject({ url: '/api/devices', headers: { authorization: `Bearer ${owner}` } })).statusCode).toBe(403);
  });

  it('answers bad input with 4xx JSON naming the problem', async () => {
    const wrongType = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 5, password: 'x' } });
    expect(wrongType.statusCode).toBe(400);
    const body = wrongType.json() as { error: { code: string; message: string; details: { issues: { field: string }[] } } };
    expect(body.error.code).toBe('WARDEN_ERR_VALIDATION');
    expect(body.error.message).toContain('body.username');
    expect(body.error.details.issues[0].field).toBe('body.username');

    const extra = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'a', password: 'b', admin: true } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json()).toMatchObject({ error: { code: 'WARDEN_ERR_VALIDATION' } });

    const notJson = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: '{"username":', headers: { 'content-type': 'application/json' } });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ error: { code: 'WARDEN_ERR_VALIDATION' } });

    const admin = await hub.login('admin', ADMIN_PASSWORD);
    const badParam = await hub.http.inject({ url: '/api/devices/abc', headers: { authorization: `Bearer ${admin}` } });
    expect(badParam.statusCode).toBe(400);
    expect(badParam.json()).toMatchObject({ error: { code: 'WARDEN_ERR_VALIDATION', message: expect.stringContaining('params.id') } });

    const weak = await hub.http.inject({ method: 'POST', url: '/api/users', headers: { authorization: `Bearer ${admin}` }, payload: { username: 'newguard', displayName: 'New', password: 'short', role: 'guard' } });
    expect(weak.json()).toMatchObject({ error: { code: 'WARDEN_ERR_VALIDATION', message: expect.stringContaining('body.password') } });

    const missing = await hub.http.inject({ url: '/api/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'WARDEN_ERR_NOT_FOUND' } });
  });

  it('lets an admin create users, refusing a duplicate username', async () => {
    const admin = await hub.login('admin', ADMIN_PASSWORD);
    const payload = { username: 'night-guard', displayName: 'Night guard', password: 'correct-horse-battery', role: 'guard' };
    const created = await hub.http.inject({ method: 'POST', url: '/api/users', headers: { authorization: `Bearer ${admin}` }, payload });
    expect(created.statusCode).toBe(201);
    const again = await hub.http.inject({ method: 'POST', url: '/api/users', headers: { authorization: `Bearer ${admin}` }, payload: { ...payload, username: 'NIGHT-GUARD' } });
    expect(again.statusCode).toBe(409);
    expect(await hub.login('night-guard', 'correct-horse-battery')).toBeTruthy();
  });
});
