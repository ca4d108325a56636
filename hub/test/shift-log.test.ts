import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/roles.js';
import { provisionAgent } from '../src/broker/index.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { openLiveStream, type LiveFrame } from './support/live-stream.js';
import { waitFor } from './support/wait.js';

interface Entry {
  id: number;
  at: string;
  authorId: number | null;
  authorName: string;
  buildingId: string | null;
  kind: string;
  text: string;
  alarmIds: number[];
}

type Frame = LiveFrame<unknown>;

/** A live stream client that records every frame (closed when the test ends). */
const openLive = async (hub: TestHub, token: string): Promise<Frame[]> => (await openLiveStream<unknown>(hub, token)).frames;

/**
 * The guard shift log over HTTP against the real migrations on both back-ends:
 * who may read and write it, building limits, validation, audit, and the live event
 * every console receives.
 */
describe.each(databaseKinds)('shift log on %s', (kind) => {
  let hub: TestHub;
  const tokens = {} as Record<'admin' | 'guard' | 'manager' | 'technician' | 'clerk' | 'northGuard', string>;
  let northGuardId: number;
  let northAlarm: number;
  let southAlarm: number;

  const api = (who: keyof typeof tokens, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    hub.http.inject({ method, url, payload, headers: { authorization: `Bearer ${tokens[who]}` } });
  const post = async (who: keyof typeof tokens, payload: Record<string, unknown>) => api(who, 'POST', '/api/shift-log', payload);
  const list = async (who: keyof typeof tokens, query = '') => {
    const res = await api(who, 'GET', `/api/shift-log${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { entries: Entry[] }).entries;
  };

  beforeAll(async () => {
    hub = await startTestHub(kind, { ALARM_DEFAULT_RULES: 'false' });
    await upsertSite(hub.db, { id: 'site-s', name: 'Shift site' });
    await upsertBuilding(hub.db, { id: 'north', siteId: 'site-s', name: 'North tower' });
    await upsertBuilding(hub.db, { id: 'south', siteId: 'site-s', name: 'South tower' });
    await provisionAgent(hub.db, { id: 'agent-s', siteId: 'site-s', buildingId: 'north' });
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    for (const role of ['guard', 'manager', 'technician', 'clerk'] as const) tokens[role] = await hub.login(role, demoPassword(hub, role));
    const createUser = async (username: string, role: Role, buildings: string[]) => {
      const id = await hub.auth.createUser({ username, displayName: `Guard ${username}`, password: `${username}-password-1`, role }, 'test');
      for (const b of buildings) await hub.db.query('INSERT INTO user_buildings (user_id, building_id) VALUES ($1, $2)', [id, b]);
      return id;
    };
    northGuardId = await createUser('north-guard', 'guard', ['north']);
    tokens.northGuard = await hub.login('north-guard', 'north-guard-password-1');

    // One alarm in each building, to mention in entries (a disabled rule: the engine leaves them alone).
    const alarmIn = async (building: string) => {
      const device = (await hub.db.query<{ id: number }>(`INSERT INTO devices (agent_id, code, site_id, building_id, type, name) VALUES ('agent-s', $1, 'site-s', $2, 'door', $1) RETURNING id`, [`door-${building}`, building])).rows[0].id;
      const rule = (await hub.db.query<{ id: number }>(
        `INSERT INTO alarm_rules (name, scope_type, scope_id, priority, category, definition, enabled, created_by, updated_by)
         VALUES ('door forced', 'device', $1, 'high', 'security', '{}', false, 'test', 'test') RETURNING id`,
        [String(device)],
      )).rows[0].id;
      return Number((await hub.db.query<{ id: string }>('INSERT INTO alarms (rule_id, device_id, building_id) VALUES ($1, $2, $3) RETURNING id', [rule, device, building])).rows[0].id);
    };
    northAlarm = await alarmIn('north');
    southAlarm = await alarmIn('south');
  });

  afterAll(async () => {
    await hub?.close();
  });

  it('records a handover with its author, lists it first, audits it and streams it live', async () => {
    const frames = await openLive(hub, tokens.manager);
    const res = await post('guard', { kind: 'handover', text: '  Quiet night. Pump room door left shelved for the fitter.  ', buildingId: 'north', alarmIds: [northAlarm, northAlarm] });
    expect(res.statusCode, res.body).toBe(201);
    const { entry } = res.json() as { entry: Entry };
    expect(entry).toMatchObject({ kind: 'handover', text: 'Quiet night. Pump room door left shelved for the fitter.', buildingId: 'north', alarmIds: [northAlarm], authorName: expect.any(String) });
    expect(entry.authorId).toBeGreaterThan(0);
    expect(Date.parse(entry.at)).not.toBeNaN();

    expect((await list('admin'))[0]).toEqual(entry);

    const audit = await hub.db.query<{ actor: string; action: string; target_id: string }>(`SELECT actor, action, target_id FROM audit_log WHERE action = 'shiftlog.create' AND target_id = $1`, [String(entry.id)]);
    expect(audit.rows).toEqual([{ actor: 'guard', action: 'shiftlog.create', target_id: String(entry.id) }]);

    const frame = await waitFor(() => frames.find((f) => f.type === 'shiftlog.created'), 'shiftlog.created frame');
    expect(frame.data).toEqual(entry);
  });

  it('keeps the log to guards, managers and admins', async () => {
    for (const who of ['technician', 'clerk'] as const) {
      expect((await api(who, 'GET', '/api/shift-log')).statusCode).toBe(403);
      const refused = await post(who, { kind: 'note', text: 'hello' });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ error: { code: 'WARDEN_ERR_FORBIDDEN' } });
    }
    expect((await post('manager', { kind: 'note', text: 'Estate-wide: fire drill at 10:00' })).statusCode).toBe(201);
    expect((await post('admin', { kind: 'patrol', text: 'Round of the car park done', buildingId: 'south' })).statusCode).toBe(201);
  });

  it('rejects malformed entries with a validation error naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'gossip', text: 'x' }, 'body.kind'],
      [{ kind: 'note', text: '   ' }, 'body.text'],
      [{ kind: 'note', text: 'x'.repeat(4001) }, 'body.text'],
      [{ kind: 'note', text: 'x', extra: true }, 'body'],
      [{ kind: 'note', text: 'x', buildingId: 'atlantis' }, 'body.buildingId'],
      [{ kind: 'note', text: 'x', alarmIds: [987654] }, 'body.alarmIds'],
    ];
    const before = (await list('admin')).length;
    for (const [payload, field] of cases) {
      const res = await post('guard', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const body = res.json() as { error: { code: string; details?: { issues: { field: string }[] } } };
      expect(body.error.code).toBe('WARDEN_ERR_VALIDATION');
      expect(body.error.details?.issues.some((i) => i.field.startsWith(field))).toBe(true);
    }
    expect((await list('admin')).length).toBe(before);
  });

  it('limits a building-limited guard to the log of their building', async () => {
    // Without a building the entry is about the guard's only building.
    const own = await post('northGuard', { kind: 'patrol', text: 'North lobby checked' });
    expect(own.statusCode, own.body).toBe(201);
    const entry = (own.json() as { entry: Entry }).entry;
    expect(entry).toMatchObject({ buildingId: 'north', authorId: northGuardId, authorName: 'Guard north-guard' });

    expect((await post('northGuard', { kind: 'note', text: 'x', buildingId: 'south' })).statusCode).toBe(403);
    // An alarm of another building is not theirs to mention, nor to learn of.
    const foreign = await post('northGuard', { kind: 'note', text: 'x', alarmIds: [southAlarm] });
    expect(foreign.statusCode).toBe(400);
    expect((await api('northGuard', 'GET', '/api/shift-log?building=south')).statusCode).toBe(403);

    const seen = await list('northGuard');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e.buildingId === 'north')).toBe(true);
    // Estate-wide users see everything, estate-wide entries included.
    const all = await list('manager');
    expect(new Set(all.map((e) => e.buildingId))).toEqual(new Set(['north', 'south', null]));
  });

  it('filters by building and time and pages by limit, newest first', async () => {
    const all = await list('admin', '?limit=500');
    const times = all.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const south = await list('admin', '?building=south');
    expect(south.length).toBeGreaterThan(0);
    expect(south.every((e) => e.buildingId === 'south')).toBe(true);

    expect(await list('admin', '?limit=1')).toEqual([all[0]]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await list('admin', `?since=${encodeURIComponent(future)}`)).toEqual([]);
    const since = encodeURIComponent(all[1].at);
    expect((await list('admin', `?since=${since}`)).map((e) => e.id)).toEqual(all.filter((e) => Date.parse(e.at) >= Date.parse(all[1].at)).map((e) => e.id));

    expect((await api('admin', 'GET', '/api/shift-log?since=yesterday')).statusCode).toBe(400);
    expect((await api('admin', 'GET', '/api/shift-log?limit=0')).statusCode).toBe(400);
  });
});
