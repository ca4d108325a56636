import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LIVE_CLOSE } from '../src/live/index.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

interface AdminUser {
  id: number;
  username: string;
  displayName: string;
  role: string;
  buildings: string[];
  disabled: boolean;
  mustChangePassword: boolean;
  lastLoginAt: string | null;
}

const sockets: WebSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/**
 * User administration over HTTP against the real migrations on both back-ends: who may
 * use it, validation naming the field, filters, edits, deactivation ending sessions
 * (HTTP and the live stream) at once, password resets and the user's own change, the
 * audit trail (never a password), and the rule that an active admin always remains.
 */
describe.each(databaseKinds)('user administration on %s', (kind) => {
  let hub: TestHub;
  let admin: string;

  const api = (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) =>
    hub.http.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } });
  const loginRaw = (username: string, password: string) => hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  const me = (token: string) => api(token, 'GET', '/api/auth/me');
  const list = async (query = '') => {
    const res = await api(admin, 'GET', `/api/users${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { users: AdminUser[] }).users;
  };
  const create = async (payload: Record<string, unknown>) => {
    const res = await api(admin, 'POST', '/api/users', payload);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: number; user: AdminUser; temporaryPassword?: string };
  };
  const auditOf = async (userId: number) =>
    (
      await hub.db.query<{ actor: string; action: string; details: Record<string, unknown> | null }>(
        "SELECT actor, action, details FROM audit_log WHERE target_type = 'user' AND target_id = $1 ORDER BY id",
        [String(userId)],
      )
    ).rows;

  beforeAll(async () => {
    hub = await startTestHub(kind);
    await upsertSite(hub.db, { id: 'site-u', name: 'Users site' });
    await upsertBuilding(hub.db, { id: 'bldg-north', siteId: 'site-u', name: 'North' });
    await upsertBuilding(hub.db, { id: 'bldg-south', siteId: 'site-u', name: 'South' });
    admin = await hub.login('admin', ADMIN_PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await hub?.close();
  });

  it('is for admins only', async () => {
    const manager = await hub.login('manager', demoPassword(hub, 'manager'));
    expect((await api(manager, 'GET', '/api/users')).statusCode).toBe(403);
    expect((await api(manager, 'POST', '/api/users', { username: 'sneaky', displayName: 'S', role: 'admin' })).statusCode).toBe(403);
    expect((await api(manager, 'POST', '/api/users/1/deactivate')).statusCode).toBe(403);
    expect((await hub.http.inject({ url: '/api/users' })).statusCode).toBe(401);
  });

  it('answers 400 naming the field for a bad role, username, password or building', async () => {
    const badRole = await api(admin, 'POST', '/api/users', { username: 'someone', displayName: 'Someone', role: 'janitor' });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.json()).toMatchObject({ error: { code: 'WARDEN_ERR_VALIDATION', message: expect.stringContaining('body.role') } });
    const badName = await api(admin, 'POST', '/api/users', { username: 'a b', displayName: 'Someone', role: 'guard' });
    expect(badName.json()).toMatchObject({ error: { code: 'WARDEN_ERR_VALIDATION', message: expect.stringContaining('body.username') } });
    const shortPassword = await api(admin, 'POST', '/api/users', { username: 'someone', displayName: 'Someone', role: 'guard', password: 'short' });
    expect(shortPassword.json()).toMatchObject({ error: { code: 'WARDEN_ERR_VALIDATION', message: expect.stringContaining('body.password') } });
    const badBuilding = await api(admin, 'POST', '/api/users', { username: 'someone', displayName: 'Someone', role: 'guard', buildings: ['bldg-nowhere'] });
    expect(badBuilding.statusCode).toBe(400);
    expect(badBuilding.json()).toMatchObject({ error: { code: 'WARDEN_ERR_VALIDATION', message: expect.stringMatching(/body\.buildings.*bldg-nowhere/) } });
    const badQuery = await api(admin, 'GET', '/api/users?active=maybe');
    expect(badQuery.json()).toMatchObject({ error: { code: 'WARDEN_ERR_VALIDATION', message: expect.stringContaining('querystring.active') } });
    // Nothing half-made by the refused requests.
    expect((await list('?q=someone')).length).toBe(0);
  });

  it('creates a user limited to buildings with a generated password shown once, which they must replace at first login', async () => {
    const created = await create({ username: 'north-tech', displayName: 'North technician', role: 'technician', buildings: ['bldg-north'] });
    expect(created.temporaryPassword).toMatch(/^[\w-]{16}$/);
    expect(created.user).toMatchObject({ username: 'north-tech', role: 'technician', buildings: ['bldg-north'], disabled: false, mustChangePassword: true });
    // The list never shows a password, generated or not.
    const listed = (await list('?q=north-tech'))[0];
    expect(JSON.stringify(listed)).not.toContain(created.temporaryPassword!);

    const login = await loginRaw('north-tech', created.temporaryPassword!);
    expect(login.statusCode, login.body).toBe(200);
    const { token, user } = login.json() as { token: string; user: { role: string; buildings: string[]; mustChangePassword: boolean } };
    expect(user).toMatchObject({ role: 'technician', buildings: ['bldg-north'], mustChangePassword: true });
    // Until they choose their own password, the hub answers nothing else (me and the change itself aside).
    const blocked = await api(token, 'GET', '/api/devices');
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toMatchObject({ error: { code: 'WARDEN_ERR_PASSWORD_CHANGE_REQUIRED' } });
    expect((await me(token)).statusCode).toBe(200);
    // Nor does the live stream.
    const live = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/api/live?token=${encodeURIComponent(token)}`);
    sockets.push(live);
    expect(await new Promise<number>((resolve) => live.on('close', (code) => resolve(code)))).toBe(LIVE_CLOSE.passwordChangeRequired);

    const wrong = await api(token, 'POST', '/api/auth/password', { currentPassword: 'not-the-password', newPassword: 'a-brand-new-password' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ error: { code: 'WARDEN_ERR_VALIDATION', message: expect.stringContaining('body.currentPassword') } });
    const same = await api(token, 'POST', '/api/auth/password', { currentPassword: created.temporaryPassword!, newPassword: created.temporaryPassword! });
    expect(same.json()).toMatchObject({ error: { message: expect.stringContaining('body.newPassword') } });

    const changed = await api(token, 'POST', '/api/auth/password', { currentPassword: created.temporaryPassword!, newPassword: 'north-tech-own-password' });
    expect(changed.statusCode, changed.body).toBe(204);
    expect((await me(token)).json()).toMatchObject({ user: { mustChangePassword: false } });
    expect((await api(token, 'GET', '/api/devices')).statusCode).toBe(200);
    expect((await loginRaw('north-tech', created.temporaryPassword!)).statusCode).toBe(401);
    expect((await loginRaw('north-tech', 'north-tech-own-password')).statusCode).toBe(200);

    const audit = await auditOf(created.id);
    expect(audit.map((a) => a.action)).toEqual(['user.created', 'auth.password_change_failed', 'auth.password_changed']);
    expect(audit[0]).toMatchObject({ actor: 'admin', details: { username: 'north-tech', role: 'technician', buildings: ['bldg-north'], passwordGenerated: true } });
    const auditText = JSON.stringify(audit);
    expect(auditText).not.toContain(created.temporaryPassword!);
    expect(auditText).not.toContain('north-tech-own-password');
  });

  it('filters by role, building, active and text', async () => {
    await create({ username: 'south-guard', displayName: 'Guard Wang (south)', role: 'guard', buildings: ['bldg-south'], password: 'south-guard-password' });
    await create({ username: 'estate-guard', displayName: 'Guard Li', role: 'guard', password: 'estate-guard-password' });
    const off = await create({ username: 'retired-guard', displayName: 'Guard Zhao', role: 'guard', buildings: ['bldg-north'], password: 'retired-guard-password' });
    expect((await api(admin, 'POST', `/api/users/${off.id}/deactivate`)).statusCode).toBe(200);

    const names = (users: AdminUser[]) => users.map((u) => u.username).sort();
    expect(names(await list('?role=guard'))).toEqual(['estate-guard', 'guard', 'retired-guard', 'south-guard']);
    expect(names(await list('?role=guard&active=true'))).toEqual(['estate-guard', 'guard', 'south-guard']);
    expect(names(await list('?active=false'))).toEqual(['retired-guard']);
    // Limited to the south, or to nothing (the whole estate): those who may see the south building.
    expect(names(await list('?role=guard&building=bldg-south'))).toEqual(['estate-guard', 'guard', 'south-guard']);
    expect(names(await list('?q=WANG'))).toEqual(['south-guard']);
    expect(names(await list('?q=guard_'))).toEqual([]);
  });

  it('asks for a change at first login only when told to, or when it generated the password', async () => {
    await create({ username: 'scripted', displayName: 'Provisioned by a script', role: 'guard', password: 'scripted-password-1' });
    await create({ username: 'told-to', displayName: 'Told to change', role: 'guard', password: 'told-to-password-1', mustChangePassword: true });
    const scripted = (await loginRaw('scripted', 'scripted-password-1')).json() as { user: { mustChangePassword: boolean } };
    const toldTo = (await loginRaw('told-to', 'told-to-password-1')).json() as { user: { mustChangePassword: boolean } };
    expect([scripted.user.mustChangePassword, toldTo.user.mustChangePassword]).toEqual([false, true]);
  });

  it('edits name, role and buildings, auditing what changed from what', async () => {
    const { id } = await create({ username: 'clerk-to-be', displayName: 'Someone', role: 'clerk', password: 'clerk-to-be-password' });
    const res = await api(admin, 'PATCH', `/api/users/${id}`, { displayName: 'Zhang Wei', role: 'manager', buildings: ['bldg-south', 'bldg-north', 'bldg-south'] });
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as { user: AdminUser }).user).toMatchObject({ displayName: 'Zhang Wei', role: 'manager', buildings: ['bldg-north', 'bldg-south'] });
    const token = await hub.login('clerk-to-be', 'clerk-to-be-password');
    expect((await me(token)).json()).toMatchObject({ user: { role: 'manager', buildings: ['bldg-north', 'bldg-south'] } });

    const unknown = await api(admin, 'PATCH', `/api/users/${id}`, { buildings: ['bldg-nowhere'] });
    expect(unknown.statusCode).toBe(400);
    const extra = await api(admin, 'PATCH', `/api/users/${id}`, { password: 'sneaky-password-change' });
    expect(extra.statusCode).toBe(400);
    expect((await api(admin, 'PATCH', '/api/users/999999', { role: 'guard' })).statusCode).toBe(404);

    const cleared = await api(admin, 'PATCH', `/api/users/${id}`, { buildings: [] });
    expect((cleared.json() as { user: AdminUser }).user.buildings).toEqual([]);
    const updates = (await auditOf(id)).filter((a) => a.action === 'user.updated');
    expect(updates.map((a) => a.details)).toEqual([
      {
        username: 'clerk-to-be',
        changes: { displayName: { from: 'Someone', to: 'Zhang Wei' }, role: { from: 'clerk', to: 'manager' }, buildings: { from: [], to: ['bldg-north', 'bldg-south'] } },
      },
      { username: 'clerk-to-be', changes: { buildings: { from: ['bldg-north', 'bldg-south'], to: [] } } },
    ]);
  });

  it('deactivating ends the user’s sessions at once, HTTP and live stream, and refuses their logins until reactivated', async () => {
    const { id } = await create({ username: 'leaving-tech', displayName: 'Leaving', role: 'technician', password: 'leaving-tech-password', mustChangePassword: false });
    const token = await hub.login('leaving-tech', 'leaving-tech-password');
    const socket = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/api/live?token=${encodeURIComponent(token)}`);
    sockets.push(socket);
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await waitFor(() => socket.readyState === WebSocket.OPEN, 'live socket open');

    const res = await api(admin, 'POST', `/api/users/${id}/deactivate`);
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as { user: AdminUser }).user.disabled).toBe(true);
    expect((await me(token)).statusCode).toBe(401);
    // The periodic check runs every minute; the close must come from the deactivation itself.
    const code = await Promise.race([closed, new Promise<'still open'>((r) => setTimeout(() => r('still open'), 10_000))]);
    expect(code).toBe(LIVE_CLOSE.unauthorized);
    expect((await loginRaw('leaving-tech', 'leaving-tech-password')).statusCode).toBe(401);
    const sessions = await hub.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [id]);
    expect(sessions.rows[0].n).toBe(0);

    expect((await api(admin, 'POST', `/api/users/${id}/reactivate`)).statusCode).toBe(200);
    expect((await loginRaw('leaving-tech', 'leaving-tech-password')).statusCode).toBe(200);
    expect((await auditOf(id)).map((a) => a.action)).toEqual(['user.created', 'user.deactivated', 'user.reactivated']);
    expect((await auditOf(id))[1].details).toMatchObject({ sessionsEnded: 1 });
  });

  it('resets a password to a given or generated one, ending sessions and asking for a change at next login', async () => {
    const { id } = await create({ username: 'forgetful', displayName: 'Forgetful', role: 'clerk', password: 'forgetful-first-password', mustChangePassword: false });
    const token = await hub.login('forgetful', 'forgetful-first-password');

    const given = await api(admin, 'POST', `/api/users/${id}/password`, { password: 'admin-chosen-temporary' });
    expect(given.statusCode, given.body).toBe(200);
    expect(given.json()).not.toHaveProperty('temporaryPassword');
    expect((await me(token)).statusCode).toBe(401);
    expect((await loginRaw('forgetful', 'forgetful-first-password')).statusCode).toBe(401);
    const login = await loginRaw('forgetful', 'admin-chosen-temporary');
    expect((login.json() as { user: { mustChangePassword: boolean } }).user.mustChangePassword).toBe(true);

    const generated = await api(admin, 'POST', `/api/users/${id}/password`, {});
    const { temporaryPassword, user } = generated.json() as { temporaryPassword: string; user: AdminUser };
    expect(temporaryPassword).toMatch(/^[\w-]{16}$/);
    expect(user.mustChangePassword).toBe(true);
    expect((await loginRaw('forgetful', temporaryPassword)).statusCode).toBe(200);

    const resets = (await auditOf(id)).filter((a) => a.action === 'user.password_reset');
    expect(resets.map((a) => a.details)).toEqual([
      { username: 'forgetful', passwordGenerated: false, sessionsEnded: 1 },
      { username: 'forgetful', passwordGenerated: true, sessionsEnded: 1 },
    ]);
    expect(JSON.stringify(resets)).not.toContain(temporaryPassword);
    expect(JSON.stringify(resets)).not.toContain('admin-chosen-temporary');
  });

  it('keeps an active admin: the last one cannot be demoted or deactivated, nor an admin deactivate themselves', async () => {
    const adminId = (await list('?q=admin&role=admin')).find((u) => u.username === 'admin')!.id;
    const demote = await api(admin, 'PATCH', `/api/users/${adminId}`, { role: 'manager' });
    expect(demote.statusCode).toBe(409);
    expect(demote.json()).toMatchObject({ error: { code: 'WARDEN_ERR_CONFLICT', message: expect.stringContaining('last active admin'), details: { reason: 'last_admin' } } });
    const self = await api(admin, 'POST', `/api/users/${adminId}/deactivate`);
    expect(self.statusCode).toBe(409);

    const second = await create({ username: 'second-admin', displayName: 'Second admin', role: 'admin', password: 'second-admin-password', mustChangePassword: false });
    const secondToken = await hub.login('second-admin', 'second-admin-password');
    // With two admins, the first may be demoted; the second, now the last, may not be deactivated or demoted.
    const ok = await api(secondToken, 'PATCH', `/api/users/${adminId}`, { role: 'manager' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await api(secondToken, 'PATCH', `/api/users/${second.id}`, { role: 'guard' })).statusCode).toBe(409);
    // The demoted admin's open session lost admin rights at once.
    expect((await api(admin, 'GET', '/api/users')).statusCode).toBe(403);
    const back = await api(secondToken, 'PATCH', `/api/users/${adminId}`, { role: 'admin' });
    expect(back.statusCode, back.body).toBe(200);
    expect((await api(admin, 'GET', '/api/users')).statusCode).toBe(200);
    // Two admins again: deactivating the second is allowed, and their session ends.
    expect((await api(admin, 'POST', `/api/users/${second.id}/deactivate`)).statusCode).toBe(200);
    expect((await me(secondToken)).statusCode).toBe(401);
    expect((await list('?role=admin&active=true')).map((u) => u.username)).toEqual(['admin']);
  });
});
