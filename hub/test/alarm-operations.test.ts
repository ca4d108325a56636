import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertBuilding } from '../src/records/index.js';
import { FakeAgent } from './support/fake-agent.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { openLiveStream, type LiveFrame } from './support/live-stream.js';
import { waitFor } from './support/wait.js';

const BUILDING = 'bldg-ops';
const MINUTE = 60_000;

/**
 * Alarm operations through the real hub (PGlite; the SQL is the same on PostgreSQL, which
 * workorders.test.ts and alarms.test.ts cover): who the live stream shows alarms and work
 * orders to, the operator actions without other tests, maintenance verification against
 * telemetry, and the KPI report on a known data set.
 */
describe('alarm operations (pglite)', () => {
  let hub: TestHub;
  let agent: FakeAgent;
  const tokens: Record<string, string> = {};
  const userIds: Record<string, number> = {};
  let pump: number;
  let door: number;
  let lift: number;

  const api = async <T = Record<string, unknown>>(who: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; body: T }> => {
    const res = await hub.http.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${tokens[who]}` } });
    return { status: res.statusCode, body: (res.body ? res.json() : undefined) as T };
  };
  const createRule = async (body: unknown): Promise<number> => {
    const res = await api<{ rule: { id: number } }>('admin', 'POST', '/api/alarm-rules', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.rule.id;
  };
  const alarmOf = async (ruleId: number, deviceId: number) =>
    (await hub.db.query<{ id: string; state: string; active: boolean; suppressed: boolean; episode_id: string | null }>('SELECT id, state, active, suppressed, episode_id FROM alarms WHERE rule_id = $1 AND device_id = $2', [ruleId, deviceId])).rows[0];
  const waitAlarm = (ruleId: number, deviceId: number, check: (a: NonNullable<Awaited<ReturnType<typeof alarmOf>>>) => boolean, what: string) =>
    waitFor(async () => {
      const a = await alarmOf(ruleId, deviceId);
      return a && check(a) ? a : undefined;
    }, what);
  const actions = async (alarmId: string | number) =>
    (await hub.db.query<{ action: string; actor: string; note: string | null; from_state: string; to_state: string }>('SELECT action, actor, note, from_state, to_state FROM alarm_transitions WHERE alarm_id = $1 ORDER BY id', [alarmId])).rows;
  /** A login of a role, with a staff record of some trades, covering a building (dispatch sends them work there only). */
  const person = async (username: string, role: string, trades: string[], covers = BUILDING) => {
    const created = await api<{ id: number }>('admin', 'POST', '/api/users', { username, displayName: username, password: 'a-long-enough-password-1', role, mustChangePassword: false });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    userIds[username] = created.body.id;
    tokens[username] = await hub.login(username, 'a-long-enough-password-1');
    const staff = (await hub.db.query<{ id: string }>('INSERT INTO staff (user_id, name, trades, email, phone) VALUES ($1, $2, $3, $4, $5) RETURNING id', [created.body.id, username, trades, null, null])).rows[0].id;
    await hub.db.query('INSERT INTO staff_buildings (staff_id, building_id) VALUES ($1, $2)', [staff, covers]);
    return Number(staff);
  };

  beforeAll(async () => {
    hub = await startTestHub('pglite', { ALARM_DEFAULT_RULES: 'false' });
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    tokens.guard = await hub.login('guard', demoPassword(hub, 'guard'));
    tokens.manager = await hub.login('manager', demoPassword(hub, 'manager'));
    agent = await FakeAgent.connect(hub, { site: 'site-ops', building: BUILDING, agent: 'agent-ops' });
    pump = await agent.birth('pump-ops', 'pump', { metrics: [{ name: 'pressure', type: 'number', unit: 'bar' }] });
    door = await agent.birth('door-ops', 'door');
    lift = await agent.birth('lift-ops', 'lift', { metrics: [{ name: 'speed', type: 'number' }] });
    // Two technicians of trades of their own. The plumber works in another building, so dispatch
    // gives them nothing here and a plumbing work order stays unassigned (open) for the trade to see.
    await upsertBuilding(hub.db, { id: 'bldg-elsewhere', siteId: 'site-ops', name: 'elsewhere' });
    await person('plumber', 'technician', ['ops-plumbing'], 'bldg-elsewhere');
    await person('lifttech', 'technician', ['ops-lift']);
  });
  afterAll(async () => {
    await agent?.close();
    await hub?.close();
  });

  it('shows security re-alarms and work orders live only to who REST shows them to', async () => {
    const plumber = await openLiveStream(hub, tokens.plumber);
    const lifttech = await openLiveStream(hub, tokens.lifttech);
    const guard = await openLiveStream(hub, tokens.guard);
    try {
      const forced = await createRule({
        name: 'Door forced (ops)',
        scope: { type: 'device', id: String(door) },
        priority: 'high',
        category: 'security',
        definition: { condition: { kind: 'event', raise: ['door.forced'], clear: ['door.closed'] }, realarmSec: 60, workOrder: { create: false } },
      });
      await agent.event('door-ops', 'door.forced');
      const alarm = await waitAlarm(forced, door, (a) => a.state === 'unack', 'door forced raised');
      // The engine's own sweep may be running (it then skips this call): sweep until done; each re-alarm is claimed once.
      const realarm = await waitFor(async () => {
        await hub.alarmEngine.sweep(new Date(Date.now() + 61_000));
        return guard.frames.find((f) => f.type === 'alarm.realarm' && f.data.alarmId === Number(alarm.id));
      }, 'the guard gets the re-alarm');

      // A maintenance fault on the pump: a plumbing work order, unassigned (nobody on shift).
      const low = await createRule({
        name: 'Pressure low (ops)',
        scope: { type: 'device', id: String(pump) },
        priority: 'medium',
        category: 'maintenance',
        definition: { condition: { kind: 'threshold', metric: 'pressure', op: '<', value: 2 }, workOrder: { trade: 'ops-plumbing' } },
      });
      await agent.point('pump-ops', 'pressure', 1);
      const pumpAlarm = await waitAlarm(low, pump, (a) => a.state === 'unack', 'pressure low raised');
      const woId = Number(await waitFor(async () => (await hub.db.query<{ work_order_id: string | null }>('SELECT work_order_id FROM alarm_episodes WHERE id = $1', [pumpAlarm.episode_id])).rows[0]?.work_order_id, 'the work order'));
      const created = await waitFor(() => plumber.frames.find((f) => f.type === 'workorder.created' && (f.data.workOrder as { id: number }).id === woId), 'the plumber sees the plumbing work order');
      expect(created.data.workOrder).toMatchObject({ trade: 'ops-plumbing', assigneeId: null });

      // A sentinel every technician may see (a comment on the maintenance alarm), after both:
      // the live stream is in log order, so a technician who got it was sent everything before it they may see.
      const comment = await api('plumber', 'POST', `/api/alarms/${pumpAlarm.id}/comment`, { note: 'checking the pump' });
      expect(comment.status).toBe(200);
      const sentinel = (f: LiveFrame) => f.type === 'alarm.changed' && f.data.action === 'comment' && f.data.alarmId === Number(pumpAlarm.id);
      await waitFor(() => lifttech.frames.some(sentinel) && plumber.frames.some(sentinel), 'both technicians get the comment');

      for (const tech of [plumber, lifttech]) {
        expect(tech.frames.filter((f) => f.data.alarmId === Number(alarm.id)), 'no security alarm frames for technicians').toEqual([]);
        expect(tech.frames.some((f) => f.id === realarm.id)).toBe(false);
      }
      expect(lifttech.frames.filter((f) => f.type.startsWith('workorder.')), 'the lift technician gets no plumbing work order').toEqual([]);
      // ...which matches REST.
      expect((await api('lifttech', 'GET', `/api/work-orders/${woId}`)).status).toBe(404);
      expect((await api('plumber', 'GET', `/api/work-orders/${woId}`)).status).toBe(200);
      expect((await api('plumber', 'GET', `/api/alarms/${alarm.id}`)).status).toBe(404);

      // Assigned to a second plumber: the first gets that change (they could see it until now), then nothing more of it.
      const second = await person('plumber2', 'technician', ['ops-plumbing']);
      await hub.db.query('INSERT INTO staff_shifts (staff_id, starts_at, ends_at) VALUES ($1, $2, $3)', [second, new Date(Date.now() - 60 * MINUTE), new Date(Date.now() + 600 * MINUTE)]);
      const plumber2 = await openLiveStream(hub, tokens.plumber2);
      try {
        const assigned = await api('manager', 'POST', `/api/work-orders/${woId}/assign`, { staffId: second });
        expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
        const assign = (f: LiveFrame) => f.type === 'workorder.changed' && f.data.action === 'assign';
        await waitFor(() => plumber2.frames.some(assign) && plumber.frames.some(assign), 'the new assignee and the plumber who saw it get the reassignment');
        await api('plumber2', 'POST', `/api/work-orders/${woId}/comment`, { text: 'on it' });
        await waitFor(() => plumber2.frames.some((f) => f.type === 'workorder.changed' && f.data.action === 'comment'), 'the assignee gets the comment');
        await api('plumber', 'POST', `/api/alarms/${pumpAlarm.id}/comment`, { note: 'second sentinel' });
        await waitFor(() => plumber.frames.some((f) => sentinel(f) && f.id > realarm.id && (f.data as { note?: string }).note === 'second sentinel'), 'the second sentinel');
        expect(plumber.frames.some((f) => f.type === 'workorder.changed' && f.data.action === 'comment'), 'the plumber no longer sees the assigned work order').toBe(false);
        expect((await api('plumber', 'GET', `/api/work-orders/${woId}`)).status).toBe(404);
      } finally {
        plumber2.close();
      }
      await agent.point('pump-ops', 'pressure', 3);
      await agent.event('door-ops', 'door.closed');
    } finally {
      plumber.close();
      lifttech.close();
      guard.close();
    }
  });

  it('keeps security alarms live while maintenance works on the same device', async () => {
    const tamper = await createRule({
      name: 'Lift tamper (ops)',
      scope: { type: 'device', id: String(lift) },
      priority: 'critical',
      category: 'security',
      definition: { condition: { kind: 'event', raise: ['door.tamper'], clear: ['door.closed'] }, workOrder: { create: false } },
    });
    const slow = await createRule({
      name: 'Lift slow (ops)',
      scope: { type: 'device', id: String(lift) },
      priority: 'low',
      category: 'maintenance',
      definition: { condition: { kind: 'threshold', metric: 'speed', op: '<', value: 1 }, workOrder: { create: false } },
    });
    // Both alarms once raised and back to normal, so their rows exist before the work starts.
    await agent.point('lift-ops', 'speed', 0.5);
    await agent.event('lift-ops', 'door.tamper');
    const slowAlarm = await waitAlarm(slow, lift, (a) => a.state === 'unack', 'lift slow raised');
    const tamperAlarm = await waitAlarm(tamper, lift, (a) => a.state === 'unack', 'tamper raised');
    for (const id of [slowAlarm.id, tamperAlarm.id]) await api('manager', 'POST', `/api/alarms/${id}/ack`, { disposition: 'test' });
    await agent.point('lift-ops', 'speed', 2);
    await agent.event('lift-ops', 'door.closed');
    await waitAlarm(slow, lift, (a) => a.state === 'normal', 'lift slow normal');
    await waitAlarm(tamper, lift, (a) => a.state === 'normal', 'tamper normal');

    const wo = await api<{ workOrder: { id: number; status: string } }>('manager', 'POST', '/api/work-orders', { kind: 'maintenance', title: 'Service the lift', priority: 'medium', deviceId: lift, trade: 'ops-lift' });
    expect(wo.status, JSON.stringify(wo.body)).toBe(201);
    expect(wo.body.workOrder.status).toBe('assigned'); // to the lift technician, the only one of the trade
    for (const step of ['accept', 'start']) expect((await api('lifttech', 'POST', `/api/work-orders/${wo.body.workOrder.id}/${step}`, {})).status).toBe(200);
    // Suppressed by design: the lift's own fault alarm, not its security alarm.
    expect((await alarmOf(slow, lift)).suppressed).toBe(true);
    expect((await alarmOf(tamper, lift)).suppressed).toBe(false);
    await agent.event('lift-ops', 'door.tamper');
    const raised = await waitAlarm(tamper, lift, (a) => a.state === 'unack', 'tamper raised during the maintenance');
    expect(raised.episode_id).not.toBeNull();
    await agent.point('lift-ops', 'speed', 0.2);
    await waitFor(async () => (await actions((await alarmOf(slow, lift)).id)).some((t) => t.action === 'activate-silent' && t.note === 'suppressed'), 'the maintenance alarm activates silently');
    expect((await alarmOf(slow, lift)).state).toBe('normal');
    expect((await api('lifttech', 'POST', `/api/work-orders/${wo.body.workOrder.id}/resolve`, { resolution: 'adjusted the drive' })).status).toBe(200);
    await api('guard', 'POST', `/api/alarms/${raised.id}/ack`, { disposition: 'test' });
    await agent.event('lift-ops', 'door.closed');
    await agent.point('lift-ops', 'speed', 2);
  });

  it('comments, unshelves by hand and clears silently while shelved, each stored with who', async () => {
    const rule = await createRule({
      name: 'Pressure high (ops)',
      scope: { type: 'device', id: String(pump) },
      priority: 'low',
      category: 'maintenance',
      definition: { condition: { kind: 'threshold', metric: 'pressure', op: '>', value: 8 }, workOrder: { create: false } },
    });
    await agent.point('pump-ops', 'pressure', 9);
    const alarm = await waitAlarm(rule, pump, (a) => a.state === 'unack', 'pressure high raised');
    const commented = await api<{ alarm: { state: string } }>('guard', 'POST', `/api/alarms/${alarm.id}/comment`, { note: 'valve being checked' });
    expect(commented.status).toBe(200);
    expect(commented.body.alarm.state).toBe('unack');
    expect((await api('guard', 'POST', `/api/alarms/${alarm.id}/comment`, { note: '' })).status).toBe(400);
    expect((await api('guard', 'POST', `/api/alarms/${alarm.id}/ack`, { disposition: 'real-fault' })).status).toBe(200);
    await agent.point('pump-ops', 'pressure', 5);
    await waitAlarm(rule, pump, (a) => a.state === 'normal' && !a.active, 'back to normal');

    expect((await api('guard', 'POST', `/api/alarms/${alarm.id}/unshelve`, {})).status).toBe(409); // not shelved
    expect((await api('guard', 'POST', `/api/alarms/${alarm.id}/shelve`, { reason: 'contractor on site', minutes: 60 })).status).toBe(200);
    // Activated and cleared while shelved: tracked on the row, the state machine does not move.
    await agent.point('pump-ops', 'pressure', 9);
    await waitAlarm(rule, pump, (a) => a.active, 'active while shelved');
    await agent.point('pump-ops', 'pressure', 5);
    await waitAlarm(rule, pump, (a) => !a.active, 'inactive while shelved');
    expect((await alarmOf(rule, pump)).state).toBe('normal');

    expect((await api('plumber', 'POST', `/api/alarms/${alarm.id}/unshelve`, {})).status).toBe(403);
    const unshelved = await api<{ alarm: { shelvedUntil: string | null; state: string } }>('manager', 'POST', `/api/alarms/${alarm.id}/unshelve`, { note: 'contractor left' });
    expect(unshelved.status).toBe(200);
    expect(unshelved.body.alarm).toMatchObject({ shelvedUntil: null, state: 'normal' }); // cleared meanwhile: nothing to annunciate

    const log = (await actions(alarm.id)).map((t) => [t.action, t.actor, t.note, t.from_state, t.to_state]);
    expect(log).toEqual([
      ['activate', 'system', null, 'normal', 'unack'],
      ['comment', 'guard', 'valve being checked', 'unack', 'unack'],
      ['ack', 'guard', null, 'unack', 'acked'],
      ['clear', 'system', null, 'acked', 'normal'],
      ['shelve', 'guard', 'contractor on site', 'normal', 'normal'],
      ['activate-silent', 'system', 'shelved', 'normal', 'normal'],
      ['clear-silent', 'system', null, 'normal', 'normal'],
      ['unshelve', 'manager', 'contractor left', 'normal', 'normal'],
    ]);
    const audit = await hub.db.query<{ action: string; actor: string }>(`SELECT action, actor FROM audit_log WHERE target_type = 'alarm' AND target_id = $1 ORDER BY id`, [String(alarm.id)]);
    expect(audit.rows).toEqual([
      { action: 'alarm.comment', actor: 'guard' },
      { action: 'alarm.ack', actor: 'guard' },
      { action: 'alarm.shelve', actor: 'guard' },
      { action: 'alarm.unshelve', actor: 'manager' },
    ]);
  });
  it('verifies maintenance against telemetry: alarm work orders by their alarm, manual ones by the latest readings', async () => {
    const device = await agent.birth('pump-ver', 'pump', { metrics: [{ name: 'flow', type: 'number', unit: 'm3/h' }] });
    await createRule({
      name: 'Flow low (ops)',
      scope: { type: 'device', id: String(device) },
      priority: 'medium',
      category: 'maintenance',
      definition: { condition: { kind: 'threshold', metric: 'flow', op: '<', value: 10, deadband: 1 }, workOrder: { trade: 'ops-lift' } },
    });
    const latest = (value: number) =>
      waitFor(async () => (await hub.db.query('SELECT 1 FROM latest_values lv JOIN device_metrics m ON m.id = lv.series_id WHERE m.device_id = $1 AND m.name = $2 AND lv.value = $3', [device, 'flow', value])).rowCount, `flow ${value} stored`);
    type Outcome = { workOrder: { id: number; verification: string | null }; warnings: string[] };
    const workThrough = async (id: number) => {
      for (const step of ['accept', 'start']) expect((await api('manager', 'POST', `/api/work-orders/${id}/${step}`, {})).status).toBe(200);
    };
    const resolve = async (id: number) => {
      const res = await api<Outcome>('manager', 'POST', `/api/work-orders/${id}/resolve`, { resolution: 'serviced' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    const manual = async (deviceId: number) => {
      const res = await api<Outcome>('manager', 'POST', '/api/work-orders', { kind: 'maintenance', title: 'Planned service', priority: 'low', deviceId, trade: 'ops-lift' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.workOrder.id;
    };

    // The alarm's work order: still abnormal by the reading the agent sent.
    await agent.point('pump-ver', 'flow', 4);
    const alarmWo = Number(await waitFor(async () => (await hub.db.query<{ id: string }>(`SELECT id FROM work_orders WHERE device_id = $1 AND source = 'alarm'`, [device])).rows[0]?.id, 'the alarm work order'));
    await workThrough(alarmWo);
    const stillBad = await resolve(alarmWo);
    expect(stillBad.workOrder.verification).toBe('abnormal');
    expect(stillBad.warnings).toEqual([expect.stringContaining('still active')]);

    // A manual work order, the flow back to normal: verified normal by the reading.
    await agent.point('pump-ver', 'flow', 20);
    await latest(20);
    const fine = await manual(device);
    await workThrough(fine);
    const normal = await resolve(fine);
    expect(normal).toMatchObject({ workOrder: { verification: 'normal' }, warnings: [] });
    const details = (await hub.db.query<{ details: { checks: unknown[] } }>(`SELECT details FROM work_order_events WHERE work_order_id = $1 AND action = 'resolve'`, [fine])).rows[0].details;
    expect(details.checks).toEqual([expect.objectContaining({ ruleName: 'Flow low (ops)', metric: 'flow', op: '<', limit: 10, value: 20, abnormal: false })]);

    // Another, resolved while the flow is low again: flagged like the alarm's.
    const bad = await manual(device);
    await workThrough(bad);
    await agent.point('pump-ver', 'flow', 3);
    await latest(3);
    const abnormal = await resolve(bad);
    expect(abnormal.workOrder.verification).toBe('abnormal');
    expect(abnormal.warnings).toEqual(['flow is still abnormal: 3 < 10 (rule "Flow low (ops)")']);

    // Equipment no threshold rule watches cannot be verified.
    const door2 = await agent.birth('door-ver', 'door');
    const unknown = await manual(door2);
    await workThrough(unknown);
    expect((await resolve(unknown)).workOrder.verification).toBe('unverified');
    await agent.point('pump-ver', 'flow', 20);
  });

  it('reports KPIs on a known set: sliding floods, stale by parameter, rates, time to acknowledge, dispositions per operator', async () => {
    const building = 'bldg-kpi-ops';
    await upsertBuilding(hub.db, { id: building, siteId: 'site-ops', name: 'kpi' });
    const rule = Number((await hub.db.query<{ id: string }>(`INSERT INTO alarm_rules (name, scope_type, scope_id, priority, category, definition, enabled, created_by, updated_by) VALUES ('KPI rule', 'building', $1, 'high', 'security', '{}', false, 't', 't') RETURNING id`, [building])).rows[0].id);
    const alarm = async () => Number((await hub.db.query<{ id: string }>('INSERT INTO alarms (rule_id, device_id, building_id) VALUES ($1, $2, $3) ON CONFLICT (rule_id, device_id) DO UPDATE SET building_id = EXCLUDED.building_id RETURNING id', [rule, door, building])).rows[0].id);
    const alarmId = await alarm();
    const t0 = Date.parse('2020-05-04T00:00:00Z');
    const at = (sec: number) => new Date(t0 + sec * 1000);
    const episode = async (raisedSec: number, ackSec: number | null) =>
      Number((await hub.db.query<{ id: string }>(
        `INSERT INTO alarm_episodes (alarm_id, rule_id, rule_version, device_id, building_id, priority, category, message, raised_at, last_annunciated_at, acked_at, ended_at)
         VALUES ($1, $2, 1, $3, $4, 'high', 'security', 'kpi', $5, $5, $6, $7) RETURNING id`,
        [alarmId, rule, door, building, at(raisedSec), ackSec === null ? null : at(ackSec), at(raisedSec + 1)],
      )).rows[0].id);
    const transition = (episodeId: number | null, action: string, sec: number, actor = 'system', details?: unknown) =>
      hub.db.query(`INSERT INTO alarm_transitions (alarm_id, episode_id, at, action, from_state, to_state, actor, details) VALUES ($1, $2, $3, $4, 'normal', 'unack', $5, $6)`, [alarmId, episodeId, at(sec), action, actor, details === undefined ? null : JSON.stringify(details)]);

    // 11 activations 54 s apart from 00:05:30: within 9 minutes, across the 00:10 bucket boundary (5 before, 6 after).
    for (let i = 0; i < 11; i++) await transition(null, 'activate', 330 + i * 54);
    // Four acknowledged episodes in the second hour: 60, 120, 180 and 240 s to acknowledge.
    const dispositions = [
      ['alice', 'false-alarm'],
      ['alice', 'real-fault'],
      ['bob', 'real-fault'],
      ['bob', 'nuisance'],
    ] as const;
    for (const [i, [who, code]] of dispositions.entries()) {
      const raised = 3600 + i * 600;
      const e = await episode(raised, raised + 60 * (i + 1));
      await transition(e, 'activate', raised);
      await transition(e, 'ack', raised + 60 * (i + 1), who, { disposition: code });
    }

    type Kpis = {
      activations: number;
      perHour: { average: number; peak: number };
      per10Min: { peak: number };
      floods: { start: string; end: string; count: number; peak: number }[];
      floodBuckets: unknown[];
      floodPercent: number;
      staleAfterHours: number;
      stale: { alarmId: number }[];
      timeToAck: { count: number; averageSec: number; medianSec: number; p90Sec: number };
      dispositions: { acknowledged: number; byCode: Record<string, number>; falseAlarmRate: number };
      byOperator: { operator: string; acknowledged: number; perHour: number; averageAckSec: number; falseAlarms: number }[];
    };
    const res = await api<Kpis>('manager', 'GET', `/api/alarms/kpis?from=2020-05-04T00:00:00Z&to=2020-05-04T02:00:00Z&building=${building}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const k = res.body;
    expect(k.activations).toBe(15);
    expect(k.perHour).toEqual({ average: 7.5, peak: 11 });
    expect(k.per10Min.peak).toBe(6);
    // The sliding window finds the flood the buckets miss: from the 11th activation (00:14:30)
    // until the first of them is 10 minutes old (00:15:30).
    expect(k.floodBuckets).toEqual([]);
    expect(k.floods).toEqual([{ start: '2020-05-04T00:14:30.000Z', end: '2020-05-04T00:15:30.000Z', count: 11, peak: 11 }]);
    expect(k.floodPercent).toBe(Math.round((60 / 7200) * 10000) / 100);
    expect(k.timeToAck).toEqual({ count: 4, averageSec: 150, medianSec: 150, p90Sec: 222 });
    expect(k.dispositions).toEqual({ acknowledged: 4, byCode: { 'false-alarm': 1, 'real-fault': 2, nuisance: 1 }, falseAlarmRate: 0.25 });
    expect(k.byOperator).toEqual([
      { operator: 'alice', acknowledged: 2, perHour: 1, averageAckSec: 90, falseAlarms: 1 },
      { operator: 'bob', acknowledged: 2, perHour: 1, averageAckSec: 210, falseAlarms: 0 },
    ]);

    // Stale: an alarm standing for 30 hours is stale by default (24 h), not with staleHours=48.
    const standing = await episode(-30 * 3600 + (Date.now() - t0) / 1000, null);
    await hub.db.query(`UPDATE alarm_episodes SET ended_at = NULL WHERE id = $1`, [standing]);
    await hub.db.query(`UPDATE alarms SET state = 'unack', episode_id = $2 WHERE id = $1`, [alarmId, standing]);
    const byDefault = await api<Kpis>('manager', 'GET', `/api/alarms/kpis?building=${building}`);
    expect(byDefault.body.staleAfterHours).toBe(24);
    expect(byDefault.body.stale.map((a) => a.alarmId)).toEqual([alarmId]);
    const longer = await api<Kpis>('manager', 'GET', `/api/alarms/kpis?building=${building}&staleHours=48`);
    expect(longer.body).toMatchObject({ staleAfterHours: 48, stale: [] });
    expect((await api('manager', 'GET', `/api/alarms/kpis?staleHours=0`)).status).toBe(400);
    await hub.db.query(`UPDATE alarms SET state = 'normal', episode_id = NULL WHERE id = $1`, [alarmId]);
    await hub.db.query(`UPDATE alarm_episodes SET ended_at = now() WHERE id = $1`, [standing]);
  });

  it('requires a disposition code on acknowledge and names the allowed ones', async () => {
    const rule = await createRule({
      name: 'Door ajar (ops)',
      scope: { type: 'device', id: String(door) },
      priority: 'low',
      category: 'security',
      definition: { condition: { kind: 'event', raise: ['door.opened'], clear: ['door.closed'] }, workOrder: { create: false } },
    });
    await agent.event('door-ops', 'door.opened');
    const alarm = await waitAlarm(rule, door, (a) => a.state === 'unack', 'door ajar raised');
    for (const body of [{}, { disposition: 'investigating' }]) {
      const refused = await api<{ error: { code: string; message: string } }>('guard', 'POST', `/api/alarms/${alarm.id}/ack`, body);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain('real-fault, false-alarm, nuisance, test, duplicate, other');
    }
    const noNote = await api<{ error: { message: string } }>('guard', 'POST', `/api/alarms/${alarm.id}/ack`, { disposition: 'other' });
    expect(noNote.status).toBe(400);
    expect(noNote.body.error.message).toMatch(/note is required/);
    expect((await api('guard', 'POST', `/api/alarms/${alarm.id}/ack`, { disposition: 'other', note: 'cleaner propped it open' })).status).toBe(200);
    const stored = (await hub.db.query<{ details: unknown; note: string }>(`SELECT details, note FROM alarm_transitions WHERE alarm_id = $1 AND action = 'ack'`, [alarm.id])).rows;
    expect(stored).toEqual([{ details: { disposition: 'other' }, note: 'cleaner propped it open' }]);
    await agent.event('door-ops', 'door.closed');
  });
});
