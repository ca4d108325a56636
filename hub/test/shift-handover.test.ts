import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/roles.js';
import { provisionAgent } from '../src/broker/index.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { openLiveStream, type LiveFrame } from './support/live-stream.js';
import { waitFor } from './support/wait.js';

interface Alarm {
  id: number;
  priority: string | null;
  state: string;
  shelvedUntil: string | null;
  shelveReason: string | null;
}

interface Handover {
  id: number;
  buildingId: string | null;
  startedAt: string;
  outgoingId: number | null;
  outgoingName: string;
  notes: string;
  periodStart: string;
  status: 'pending' | 'accepted';
  acceptedAt: string | null;
  incomingId: number | null;
  incomingName: string | null;
  acceptRemark: string | null;
  overdueAt: string | null;
  counts: Record<string, number>;
  snapshot?: {
    takenAt: string;
    alarmCount: Record<string, number>;
    unacknowledged: Alarm[];
    standing: Alarm[];
    shelved: Alarm[];
    workOrders: { number: string; status: string }[];
    incidents: { id: number; workOrderNumber: string | null }[];
    doors: { id: number; open: boolean | null; locked: boolean | null }[];
    truncated: boolean;
  };
}

type Frame = LiveFrame<unknown>;

/** A live stream client that records every frame (closed when the test ends). */
const openLive = async (hub: TestHub, token: string): Promise<Frame[]> => (await openLiveStream<unknown>(hub, token)).frames;

const frameOf = (frames: Frame[], type: string, id: number) => frames.find((f) => f.type === type && (f.data as Handover).id === id);

/**
 * Structured shift handovers over HTTP against the real migrations on both back-ends:
 * the snapshot the hub freezes, acceptance by the incoming shift, immutability, the
 * overdue flag to managers, visibility by role and building, and the live events.
 */
describe.each(databaseKinds)('shift handovers on %s', (kind) => {
  let hub: TestHub;
  const tokens = {} as Record<'admin' | 'guard' | 'manager' | 'technician' | 'northOut' | 'northIn' | 'southGuard', string>;
  const ids = {} as Record<'northOut' | 'northIn', number>;
  const alarms = {} as Record<'unack' | 'acked' | 'shelved' | 'south' | 'quiet', number>;
  let doorId: number;
  let incidentId: number;

  const api = (who: keyof typeof tokens, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    hub.http.inject({ method, url, payload, headers: { authorization: `Bearer ${tokens[who]}` } });
  const start = (who: keyof typeof tokens, payload: Record<string, unknown>) => api(who, 'POST', '/api/shift-handovers', payload);
  const list = async (who: keyof typeof tokens, query = '') => {
    const res = await api(who, 'GET', `/api/shift-handovers${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { handovers: Handover[] }).handovers;
  };

  beforeAll(async () => {
    // Short acceptance limit so the overdue check runs within the test; its timer is the real one.
    hub = await startTestHub(kind, { ALARM_DEFAULT_RULES: 'false', HANDOVER_ACCEPT_MIN: '0.05' });
    await upsertSite(hub.db, { id: 'site-h', name: 'Handover site' });
    await upsertBuilding(hub.db, { id: 'north', siteId: 'site-h', name: 'North tower' });
    await upsertBuilding(hub.db, { id: 'south', siteId: 'site-h', name: 'South tower' });
    await provisionAgent(hub.db, { id: 'agent-h', siteId: 'site-h', buildingId: 'north' });
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    for (const role of ['guard', 'manager', 'technician'] as const) tokens[role] = await hub.login(role, demoPassword(hub, role));
    const createUser = async (username: string, role: Role, buildings: string[]) => {
      const id = await hub.auth.createUser({ username, displayName: `Guard ${username}`, password: `${username}-password-1`, role }, 'test');
      for (const b of buildings) await hub.db.query('INSERT INTO user_buildings (user_id, building_id) VALUES ($1, $2)', [id, b]);
      return id;
    };
    ids.northOut = await createUser('north-out', 'guard', ['north']);
    ids.northIn = await createUser('north-in', 'guard', ['north']);
    await createUser('south-guard', 'guard', ['south']);
    tokens.northOut = await hub.login('north-out', 'north-out-password-1');
    tokens.northIn = await hub.login('north-in', 'north-in-password-1');
    tokens.southGuard = await hub.login('south-guard', 'south-guard-password-1');

    const device = async (code: string, building: string, type: string) =>
      Number((await hub.db.query<{ id: string }>(`INSERT INTO devices (agent_id, code, site_id, building_id, type, name) VALUES ('agent-h', $1, 'site-h', $2, $3, $1) RETURNING id`, [code, building, type])).rows[0].id);
    // An alarm in a given ISA-18.2 state with an open episode (a disabled rule: the engine leaves it alone).
    const alarm = async (building: string, state: 'unack' | 'acked' | 'normal', priority: string, shelvedMin?: number) => {
      const dev = await device(`dev-${building}-${state}-${priority}-${shelvedMin ?? 0}`, building, 'sensor');
      const rule = (await hub.db.query<{ id: string }>(
        `INSERT INTO alarm_rules (name, scope_type, scope_id, priority, category, definition, enabled, created_by, updated_by)
         VALUES ('r', 'device', $1, $2, 'security', '{}', false, 'test', 'test') RETURNING id`,
        [String(dev), priority],
      )).rows[0].id;
      const id = Number((await hub.db.query<{ id: string }>('INSERT INTO alarms (rule_id, device_id, building_id) VALUES ($1, $2, $3) RETURNING id', [rule, dev, building])).rows[0].id);
      if (state !== 'normal') {
        const episode = (await hub.db.query<{ id: string }>(
          `INSERT INTO alarm_episodes (alarm_id, rule_id, rule_version, device_id, building_id, priority, category, message, raised_at, last_annunciated_at)
           VALUES ($1, $2, 1, $3, $4, $5, 'security', 'door forced', now() - interval '5 minutes', now()) RETURNING id`,
          [id, rule, dev, building, priority],
        )).rows[0].id;
        await hub.db.query(`UPDATE alarms SET state = $2, active = true, episode_id = $3 WHERE id = $1`, [id, state, episode]);
      }
      if (shelvedMin) await hub.db.query(`UPDATE alarms SET shelved_until = now() + make_interval(mins => $2), shelved_by = 'guard', shelve_reason = 'fitter on site' WHERE id = $1`, [id, shelvedMin]);
      return id;
    };
    alarms.unack = await alarm('north', 'unack', 'critical');
    alarms.acked = await alarm('north', 'acked', 'high');
    alarms.shelved = await alarm('north', 'unack', 'medium', 60);
    alarms.quiet = await alarm('north', 'normal', 'low');
    alarms.south = await alarm('south', 'unack', 'high');

    const wo = await hub.db.query<{ id: string }>(
      `INSERT INTO work_orders (number, kind, source, title, priority, status, trade, building_id, created_by, accept_due_at, resolve_due_at)
       VALUES ('WO-H-1', 'security', 'manual', 'Check fire exit', 'high', 'open', 'security', 'north', 'test', now() + interval '1 hour', now() + interval '8 hours'),
              ('WO-H-2', 'maintenance', 'manual', 'Fix tap', 'low', 'open', 'plumbing', 'north', 'test', now() + interval '1 hour', now() + interval '8 hours'),
              ('WO-H-3', 'security', 'manual', 'Done already', 'low', 'resolved', 'security', 'north', 'test', now(), now())
       RETURNING id`,
    );
    incidentId = Number((await hub.db.query<{ id: string }>(
      `INSERT INTO incidents (building_id, zone, title, priority, opened_at, last_signal_at, work_order_id) VALUES ('north', 'lobby', 'Forced entry', 'critical', now(), now(), $1) RETURNING id`,
      [wo.rows[0].id],
    )).rows[0].id);
    await hub.db.query(`INSERT INTO incidents (building_id, title, priority, opened_at, last_signal_at, closed_at) VALUES ('north', 'Old one', 'low', now(), now(), now())`);

    // Door readings: one unlocked, one closed and locked.
    const door = async (code: string, open: boolean, locked: boolean) => {
      const id = await device(code, 'north', 'door');
      for (const [name, value] of [['open', open], ['locked', locked]] as const) {
        const series = (await hub.db.query<{ id: number }>(`INSERT INTO device_metrics (device_id, name, type) VALUES ($1, $2, 'boolean') RETURNING id`, [id, name])).rows[0].id;
        await hub.db.query('INSERT INTO latest_values (series_id, ts, value) VALUES ($1, now(), $2)', [series, value ? 1 : 0]);
      }
      return id;
    };
    doorId = await door('door-unlocked', false, false);
    await door('door-secure', false, true);
  });

  afterAll(async () => {
    await hub?.close();
  });

  let northHandover: Handover;

  it('starts a handover with a snapshot of what stands in the building, audits it and announces it live to that building', async () => {
    const northIn = await openLive(hub, tokens.northIn);
    const manager = await openLive(hub, tokens.manager);
    const south = await openLive(hub, tokens.southGuard);

    const preview = await api('northOut', 'GET', '/api/shift-handovers/preview');
    expect(preview.statusCode, preview.body).toBe(200);

    const res = await start('northOut', { notes: '  Fitter due at 07:00 for the pump room.  ' });
    expect(res.statusCode, res.body).toBe(201);
    const { handover } = res.json() as { handover: Handover };
    northHandover = handover;
    expect(handover).toMatchObject({ buildingId: 'north', outgoingId: ids.northOut, outgoingName: 'Guard north-out', notes: 'Fitter due at 07:00 for the pump room.', status: 'pending', acceptedAt: null, incomingName: null });
    const s = handover.snapshot!;
    expect(s.unacknowledged.map((a) => a.id)).toEqual([alarms.unack]);
    expect(s.unacknowledged[0]).toMatchObject({ priority: 'critical', state: 'unack', shelvedUntil: null });
    expect(s.standing.map((a) => a.id)).toEqual([alarms.acked]);
    expect(s.shelved.map((a) => a.id)).toEqual([alarms.shelved]);
    expect(s.shelved[0].shelveReason).toBe('fitter on site');
    expect(Date.parse(s.shelved[0].shelvedUntil!)).toBeGreaterThan(Date.now() + 50 * 60_000);
    // Security work only, not resolved; the open incident only; the unlocked door only.
    expect(s.workOrders.map((w) => w.number)).toEqual(['WO-H-1']);
    expect(s.incidents).toEqual([expect.objectContaining({ id: incidentId, workOrderNumber: 'WO-H-1' })]);
    expect(s.doors).toEqual([expect.objectContaining({ id: doorId, open: false, locked: false })]);
    // Three north episodes were raised in the period (the south one is not this building's).
    expect(s.alarmCount).toEqual({ total: 3, critical: 1, high: 1, medium: 1, low: 0 });
    expect(handover.counts).toEqual({ unacknowledged: 1, standing: 1, shelved: 1, workOrders: 1, incidents: 1, doors: 1, alarmsInPeriod: 3 });
    // The preview showed the same picture without storing anything.
    expect((preview.json() as { snapshot: NonNullable<Handover['snapshot']> }).snapshot.unacknowledged.map((a) => a.id)).toEqual([alarms.unack]);

    const audit = await hub.db.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE action = 'handover.start' AND target_id = $1`, [String(handover.id)]);
    expect(audit.rows).toEqual([{ actor: 'north-out' }]);

    for (const frames of [northIn, manager]) {
      const frame = await waitFor(() => frameOf(frames, 'handover.started', handover.id), 'handover.started frame');
      expect(frame.data).toMatchObject({ id: handover.id, status: 'pending', counts: handover.counts });
      expect((frame.data as Handover).snapshot).toBeUndefined();
    }
    // By the time the manager had it, the south guard's socket had been offered it too: nothing arrived.
    expect(frameOf(south, 'handover.started', handover.id)).toBeUndefined();
  });

  it('allows one pending handover per building', async () => {
    const again = await start('northOut', { notes: 'second try' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'WARDEN_ERR_CONFLICT', details: { pendingId: northHandover.id } } });
  });

  it('is accepted once, by someone of the incoming shift, and is then final even to the database', async () => {
    const outFrames = await openLive(hub, tokens.northOut);
    const url = `/api/shift-handovers/${northHandover.id}/accept`;
    const self = await api('northOut', 'POST', url, {});
    expect(self.statusCode).toBe(403);
    expect((await api('southGuard', 'POST', url, {})).statusCode).toBe(404);
    expect((await api('technician', 'POST', url, {})).statusCode).toBe(403);

    const res = await api('northIn', 'POST', url, { remark: ' Read and understood. ' });
    expect(res.statusCode, res.body).toBe(200);
    const { handover } = res.json() as { handover: Handover };
    expect(handover).toMatchObject({ id: northHandover.id, status: 'accepted', incomingId: ids.northIn, incomingName: 'Guard north-in', acceptRemark: 'Read and understood.' });
    expect(Date.parse(handover.acceptedAt!)).toBeGreaterThanOrEqual(Date.parse(handover.startedAt));
    // What was handed over is unchanged by the acceptance.
    expect(handover.snapshot).toEqual(northHandover.snapshot);
    expect(handover.notes).toBe(northHandover.notes);

    const frame = await waitFor(() => frameOf(outFrames, 'handover.accepted', handover.id), 'handover.accepted frame');
    expect(frame.data).toMatchObject({ status: 'accepted', incomingName: 'Guard north-in' });

    const twice = await api('guard', 'POST', url, {});
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ error: { code: 'WARDEN_ERR_CONFLICT' } });

    const audit = await hub.db.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE action = 'handover.accept' AND target_id = $1`, [String(handover.id)]);
    expect(audit.rows).toEqual([{ actor: 'north-in' }]);

    // No code path can rewrite or remove it: the trigger refuses (each in a transaction, as the hub writes).
    const refused = (sql: string) => hub.db.transaction((tx) => tx.query(sql, [handover.id]));
    await expect(refused(`UPDATE shift_handovers SET notes = 'rewritten' WHERE id = $1`)).rejects.toThrow(/cannot be changed/);
    await expect(refused(`UPDATE shift_handovers SET incoming_name = 'someone else' WHERE id = $1`)).rejects.toThrow(/was accepted/);
    await expect(refused('DELETE FROM shift_handovers WHERE id = $1')).rejects.toThrow(/cannot be deleted/);
    const stored = await api('manager', 'GET', `/api/shift-handovers/${handover.id}`);
    expect((stored.json() as { handover: Handover }).handover).toEqual(handover);

    // A new handover of the building may start now.
    expect((await start('northIn', { notes: 'next shift' })).statusCode).toBe(201);
  });

  it('flags a handover nobody accepts in time to managers, once, and it can still be accepted', async () => {
    const manager = await openLive(hub, tokens.manager);
    const guard = await openLive(hub, tokens.guard);
    const res = await start('guard', { buildingId: 'south', notes: '' });
    expect(res.statusCode, res.body).toBe(201);
    const { handover } = res.json() as { handover: Handover };
    expect(handover.snapshot!.unacknowledged.map((a) => a.id)).toEqual([alarms.south]);

    // HANDOVER_ACCEPT_MIN is 3 s here; the hub's own timer flags it.
    const frame = await waitFor(() => frameOf(manager, 'handover.overdue', handover.id), 'handover.overdue frame', 20_000);
    expect((frame.data as Handover).overdueAt).not.toBeNull();
    const audit = await hub.db.query(`SELECT 1 FROM audit_log WHERE action = 'handover.overdue' AND target_id = $1`, [String(handover.id)]);
    expect(audit.rowCount).toBe(1);
    expect((await hub.handovers.flagOverdue()).map((h) => h.id)).not.toContain(handover.id);
    // Guards are not the ones told.
    await waitFor(() => guard.some((f) => f.type === 'handover.started' && (f.data as Handover).id === handover.id), 'guard had the start');
    expect(frameOf(guard, 'handover.overdue', handover.id)).toBeUndefined();

    const accepted = await api('admin', 'POST', `/api/shift-handovers/${handover.id}/accept`, {});
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect((accepted.json() as { handover: Handover }).handover).toMatchObject({ status: 'accepted', overdueAt: (frame.data as Handover).overdueAt, acceptRemark: null });
  });

  it('shows handovers by role and building, with filters', async () => {
    expect((await api('technician', 'GET', '/api/shift-handovers')).statusCode).toBe(403);
    const north = await list('northOut');
    expect(north.length).toBeGreaterThanOrEqual(2);
    expect(north.every((h) => h.buildingId === 'north' && h.snapshot === undefined)).toBe(true);
    expect((await api('northOut', 'GET', '/api/shift-handovers?building=south')).statusCode).toBe(403);
    const southId = (await list('admin', '?building=south'))[0].id;
    expect((await api('northOut', 'GET', `/api/shift-handovers/${southId}`)).statusCode).toBe(404);

    const all = await list('manager');
    expect(new Set(all.map((h) => h.buildingId))).toEqual(new Set(['north', 'south']));
    const pending = await list('manager', '?status=pending');
    expect(pending.map((h) => h.notes)).toEqual(['next shift']);
    expect((await list('manager', '?status=accepted')).every((h) => h.status === 'accepted')).toBe(true);
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect(await list('manager', `?since=${future}`)).toEqual([]);
    expect((await list('manager', `?until=${future}&limit=1`)).map((h) => h.id)).toEqual([all[0].id]);
  });

  it('rejects malformed handovers with a validation error naming the field', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['/api/shift-handovers', { notes: 'x'.repeat(4001), buildingId: 'south' }, 'body.notes'],
      ['/api/shift-handovers', { notes: 'x', buildingId: 'atlantis' }, 'body.buildingId'],
      ['/api/shift-handovers', { notes: 'x', extra: 1 }, 'body'],
      [`/api/shift-handovers/${northHandover.id}/accept`, { remark: '   ' }, 'body.remark'],
    ];
    for (const [url, payload, field] of cases) {
      const res = await api('admin', 'POST', url, payload);
      expect(res.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
      const body = res.json() as { error: { code: string; details?: { issues: { field: string }[] } } };
      expect(body.error.code).toBe('WARDEN_ERR_VALIDATION');
      expect(body.error.details?.issues.some((i) => i.field.startsWith(field))).toBe(true);
    }
  });
});
