import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Role, SessionUser } from '../src/auth/index.js';
import { provisionAgent } from '../src/broker/index.js';
import { openDatabase } from '../src/db/database.js';
import type { HubEvents } from '../src/events/event-bus.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { seedDemoStaff, WorkOrderService } from '../src/workorders/index.js';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';

const MINUTE = 60_000;
type Login = 'admin' | 'manager' | 'technician' | 'guard' | 'clerk';

/**
 * Work orders against the real migrations on both back-ends: opened by alarm
 * episodes (rows inserted the way the alarm engine does) and by people, dispatched,
 * moved through their lifecycle over HTTP, escalated by the SLA sweep.
 */
describe.each(databaseKinds)('work orders on %s', (kind) => {
  let hub: TestHub;
  /** The clock of `service`, a second WorkOrderService on the hub's database that tests drive in time. */
  let clock: Date;
  let base: Date;
  let service: WorkOrderService;
  const tokens = {} as Record<Login, string>;
  const users = {} as Record<Login, SessionUser>;
  const devices = {} as Record<'pump' | 'pump2' | 'lift' | 'door' | 'pumpVerify' | 'pumpSuppress' | 'pumpB2', number>;
  let techStaffId: number;
  let guardStaffId: number;

  const api = (who: Login | string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    hub.http.inject({ method, url, payload: payload as Record<string, unknown> | undefined, headers: { authorization: `Bearer ${who in tokens ? tokens[who as Login] : who}` } });

  const addDevice = async (agent: string, code: string, type: string, building: string) =>
    (await hub.db.query<{ id: number }>(
      `INSERT INTO devices (agent_id, code, site_id, building_id, type, name, location) VALUES ($1, $2, 'site-w', $3, $4, $5, $6) RETURNING id`,
      [agent, code, building, type, `Device ${code}`, `${building} plant room`],
    )).rows[0].id;

  /** A member of staff; with a role, also a login of that role. On shift means around the tests' base time. */
  const addStaff = async (o: { name: string; role?: Role; userId?: number; trades: string[]; buildings?: string[]; onShift?: boolean }) => {
    let userId = o.userId ?? null;
    if (userId === null && o.role) {
      userId = (await hub.db.query<{ id: number }>(`INSERT INTO users (username, display_name, password_hash, role) VALUES ($1, $2, 'not-a-hash', $3) RETURNING id`, [`u-${randomUUID()}`, o.name, o.role])).rows[0].id;
    }
    const id = (await hub.db.query<{ id: number }>('INSERT INTO staff (user_id, name, trades) VALUES ($1, $2, $3) RETURNING id', [userId, o.name, o.trades])).rows[0].id;
    for (const b of o.buildings ?? []) await hub.db.query('INSERT INTO staff_buildings (staff_id, building_id) VALUES ($1, $2)', [id, b]);
    if (o.onShift !== false) {
      await hub.db.query('INSERT INTO staff_shifts (staff_id, starts_at, ends_at) VALUES ($1, $2, $3)', [id, new Date(base.getTime() - 60 * MINUTE), new Date(base.getTime() + 12 * 60 * MINUTE)]);
    }
    return id;
  };

  interface TestAlarm { alarmId: number; ruleId: number; ruleName: string; category: 'maintenance' | 'security'; priority: 'critical' | 'high' | 'medium' | 'low'; deviceId: number; buildingId: string }

  const newAlarm = async (deviceId: number, category: TestAlarm['category'], priority: TestAlarm['priority'] = 'high', buildingId = 'b1'): Promise<TestAlarm> => {
    const ruleName = `rule ${randomUUID().slice(0, 8)}`;
    // Disabled, so the hub's own alarm engine leaves these hand-made alarms alone.
    const ruleId = (await hub.db.query<{ id: number }>(
      `INSERT INTO alarm_rules (name, scope_type, scope_id, priority, category, definition, enabled, created_by, updated_by)
       VALUES ($1, 'device', $2, $3, $4, '{}', false, 'test', 'test') RETURNING id`,
      [ruleName, String(deviceId), priority, category],
    )).rows[0].id;
    const alarmId = (await hub.db.query<{ id: number }>('INSERT INTO alarms (rule_id, device_id, building_id) VALUES ($1, $2, $3) RETURNING id', [ruleId, deviceId, buildingId])).rows[0].id;
    return { alarmId, ruleId, ruleName, category, priority, deviceId, buildingId };
  };

  /** What the alarm engine does on activation: end the previous episode, open one, and the work order, in one transaction. */
  const raise = async (alarm: TestAlarm, opts: { reopenWithinMinutes?: number; trade?: string } = {}) => {
    const { episodeId, result } = await hub.db.transaction(async (tx) => {
      await tx.query('UPDATE alarm_episodes SET ended_at = $2 WHERE alarm_id = $1 AND ended_at IS NULL', [alarm.alarmId, clock]);
      const episodeId = (await tx.query<{ id: number }>(
        `INSERT INTO alarm_episodes (alarm_id, rule_id, rule_version, device_id, building_id, priority, category, message, raised_at, last_annunciated_at)
         VALUES ($1, $2, 1, $3, $4, $5, $6, 'pressure low', $7, $7) RETURNING id`,
        [alarm.alarmId, alarm.ruleId, alarm.deviceId, alarm.buildingId, alarm.priority, alarm.category, clock],
      )).rows[0].id;
      await tx.query(`UPDATE alarms SET state = 'unack', active = true, episode_id = $2 WHERE id = $1`, [alarm.alarmId, episodeId]);
      const result = await service.openForEpisode(tx, {
        episodeId,
        alarmId: alarm.alarmId,
        ruleId: alarm.ruleId,
        ruleName: alarm.ruleName,
        kind: alarm.category,
        priority: alarm.priority,
        trade: opts.trade,
        buildingId: alarm.buildingId,
        deviceId: alarm.deviceId,
        deviceName: `Device ${alarm.deviceId}`,
        location: null,
        message: 'pressure low',
        raisedAt: clock,
        reopenWithinMinutes: opts.reopenWithinMinutes,
      });
      return { episodeId, result };
    });
    service.afterCommit(result);
    return { episodeId, ...result };
  };

  const woRow = async (id: number) => (await hub.db.query('SELECT * FROM work_orders WHERE id = $1', [id])).rows[0];
  const eventActions = async (id: number) => (await hub.db.query<{ action: string }>('SELECT action FROM work_order_events WHERE work_order_id = $1 ORDER BY id', [id])).rows.map((r) => r.action);
  /** Accept, start and resolve as an admin (who may do the assignee's steps) on the test clock. */
  const workThrough = async (id: number, resolution = 'fixed') => {
    for (const action of ['accept', 'start'] as const) await service.act(users.admin, id, action);
    return service.act(users.admin, id, 'resolve', { resolution });
  };
  const collect = <E extends keyof HubEvents>(name: E) => {
    const seen: HubEvents[E][] = [];
    const off = hub.bus.on(name, (e) => seen.push(e));
    return { seen, off };
  };

  beforeAll(async () => {
    hub = await startTestHub(kind, { ALARM_DEFAULT_RULES: 'false' });
    // The hub's own sweeper runs on the wall clock; these tests move SLA time themselves.
    await hub.workOrders.stop();
    base = new Date();
    clock = new Date(base);
    service = new WorkOrderService(hub.db, hub.bus, hub.logger, { now: () => clock });

    await upsertSite(hub.db, { id: 'site-w', name: 'W' });
    for (const b of ['b1', 'b2', 'b3', 'b-kpi']) await upsertBuilding(hub.db, { id: b, siteId: 'site-w', name: b });
    await provisionAgent(hub.db, { id: 'agent-w1', siteId: 'site-w', buildingId: 'b1' });
    await provisionAgent(hub.db, { id: 'agent-w2', siteId: 'site-w', buildingId: 'b2' });
    devices.pump = await addDevice('agent-w1', 'pump-1', 'pump', 'b1');
    devices.pump2 = await addDevice('agent-w1', 'pump-2', 'pump', 'b1');
    devices.lift = await addDevice('agent-w1', 'lift-1', 'lift', 'b1');
    devices.door = await addDevice('agent-w1', 'door-1', 'door', 'b1');
    devices.pumpVerify = await addDevice('agent-w1', 'pump-v', 'pump', 'b1');
    devices.pumpSuppress = await addDevice('agent-w1', 'pump-s', 'pump', 'b1');
    devices.pumpB2 = await addDevice('agent-w2', 'pump-b2', 'pump', 'b2');

    for (const role of ['admin', 'manager', 'technician', 'guard', 'clerk'] as const) {
      tokens[role] = await hub.login(role, role === 'admin' ? ADMIN_PASSWORD : demoPassword(hub, role));
      const row = (await hub.db.query<{ id: number; display_name: string }>('SELECT id, display_name FROM users WHERE username = $1', [role])).rows[0];
      users[role] = { id: row.id, username: role, displayName: row.display_name, role, buildings: [] };
    }
    // The demo technician is the only plumber, covering b1 and b2; the demo guard the only guard on shift.
    techStaffId = await addStaff({ name: 'Tech Demo', userId: users.technician.id, trades: ['plumbing'], buildings: ['b1', 'b2'] });
    guardStaffId = await addStaff({ name: 'Guard Demo', userId: users.guard.id, trades: ['security'] });
  });

  beforeEach(() => {
    clock = new Date(base);
  });

  afterAll(async () => {
    await hub?.close();
  });

  it('opens one work order for an alarm episode, dispatched, linked both ways, with SLA from the policy', async () => {
    const live = collect('live.appended');
    const changed = collect('workorder.changed');
    const alarm = await newAlarm(devices.pump, 'maintenance', 'high');
    const result = await raise(alarm);
    live.off();
    changed.off();

    expect(result).toMatchObject({ reopened: false, assigneeId: techStaffId, status: 'assigned', number: expect.stringMatching(/^WO-\d{6}$/) });
    const wo = await woRow(result.workOrderId);
    expect(wo).toMatchObject({
      source: 'alarm',
      kind: 'maintenance',
      alarm_episode_id: result.episodeId,
      trade: 'plumbing', // from the device type: pump
      building_id: 'b1',
      device_id: devices.pump,
      location: 'b1 plant room',
      status: 'assigned',
      assignee_id: techStaffId,
      title: `${alarm.ruleName}: Device ${devices.pump}`,
      description: 'pressure low',
    });
    // high: 15 min to accept, 480 to resolve (sla_policies).
    expect(wo.accept_due_at.getTime() - clock.getTime()).toBe(15 * MINUTE);
    expect(wo.resolve_due_at.getTime() - clock.getTime()).toBe(480 * MINUTE);
    const episode = (await hub.db.query('SELECT work_order_id FROM alarm_episodes WHERE id = $1', [result.episodeId])).rows[0];
    expect(episode.work_order_id).toBe(result.workOrderId);
    expect(await eventActions(result.workOrderId)).toEqual(['create', 'assign']);

    const liveRow = (await hub.db.query('SELECT type, building_id, audience, user_ids::int[] AS user_ids, data FROM live_events WHERE id = $1', [result.liveEventId])).rows[0];
    expect(liveRow).toMatchObject({ type: 'workorder.created', building_id: 'b1', data: { action: 'create', dispatched: true, workOrder: { id: result.workOrderId, status: 'assigned' } } });
    // Technicians see their own work orders (and unassigned ones of their trades), not every one: addressed to the assignee.
    expect(liveRow.audience).not.toContain('technician');
    expect(liveRow.user_ids).toEqual([users.technician.id]);
    expect(live.seen).toEqual([{ lastId: result.liveEventId }]);
    expect(changed.seen).toEqual([{ workOrderId: result.workOrderId, action: 'create', status: 'assigned', deviceId: devices.pump }]);
  });

  it('opens a security work order for a security alarm and dispatches it to a guard', async () => {
    const alarm = await newAlarm(devices.door, 'security', 'critical');
    const result = await raise(alarm);
    expect(result.assigneeId).toBe(guardStaffId);
    expect(await woRow(result.workOrderId)).toMatchObject({ kind: 'security', trade: 'security', status: 'assigned' });
    // The guard sees it and, as a supervisor of security work, may cancel it.
    expect((await api('guard', 'GET', `/api/work-orders/${result.workOrderId}`)).statusCode).toBe(200);
    const cancelled = await api('guard', 'POST', `/api/work-orders/${result.workOrderId}/cancel`, { reason: 'false alarm: door closed on camera' });
    expect(cancelled.json()).toMatchObject({ workOrder: { status: 'cancelled' } });
  });

  it('refuses a second work order for the same episode through the unique constraint', async () => {
    const alarm = await newAlarm(devices.pump2, 'maintenance');
    const first = await raise(alarm);
    const again = hub.db.transaction((tx) =>
      service.openForEpisode(tx, {
        episodeId: first.episodeId,
        alarmId: alarm.alarmId,
        ruleId: alarm.ruleId,
        ruleName: alarm.ruleName,
        kind: 'maintenance',
        priority: 'high',
        buildingId: 'b1',
        deviceId: alarm.deviceId,
        deviceName: 'pump 2',
        location: null,
        message: 'again',
        raisedAt: clock,
      }),
    );
    await expect(again).rejects.toMatchObject({ code: '23505' });
    const { rows } = await hub.db.query('SELECT id FROM work_orders WHERE alarm_episode_id = $1', [first.episodeId]);
    expect(rows).toEqual([{ id: first.workOrderId }]);
  });

  it('reopens the work order when the fault recurs within the window, and opens a new one after it', async () => {
    const alarm = await newAlarm(devices.pump2, 'maintenance', 'medium');
    const first = await raise(alarm, { reopenWithinMinutes: 60 });
    await workThrough(first.workOrderId);

    clock = new Date(base.getTime() + 30 * MINUTE);
    const second = await raise(alarm, { reopenWithinMinutes: 60 });
    expect(second).toMatchObject({ workOrderId: first.workOrderId, number: first.number, reopened: true, status: 'assigned', assigneeId: techStaffId });
    const wo = await woRow(first.workOrderId);
    expect(wo).toMatchObject({ reopen_count: 1, alarm_episode_id: second.episodeId, resolved_at: null, resolution: null, verification: null });
    // SLA recomputed from the reopening (medium: 60 / 1440 min).
    expect(wo.accept_due_at.getTime()).toBe(clock.getTime() + 60 * MINUTE);
    expect(wo.resolve_due_at.getTime()).toBe(clock.getTime() + 1440 * MINUTE);
    expect(await eventActions(first.workOrderId)).toEqual(['create', 'assign', 'accept', 'start', 'resolve', 'reopen', 'assign']);
    const links = (await hub.db.query('SELECT id, work_order_id FROM alarm_episodes WHERE alarm_id = $1 ORDER BY id', [alarm.alarmId])).rows;
    expect(links).toEqual([
      { id: first.episodeId, work_order_id: first.workOrderId },
      { id: second.episodeId, work_order_id: first.workOrderId },
    ]);
    const detail = (await api('manager', 'GET', `/api/work-orders/${first.workOrderId}`)).json();
    expect(detail.alarm).toMatchObject({ id: alarm.alarmId, ruleName: alarm.ruleName, active: true });
    expect(detail.alarm.episodes.map((e: { id: number }) => e.id)).toEqual([first.episodeId, second.episodeId]);

    await workThrough(first.workOrderId);
    clock = new Date(clock.getTime() + 61 * MINUTE);
    const third = await raise(alarm, { reopenWithinMinutes: 60 });
    expect(third.reopened).toBe(false);
    expect(third.workOrderId).not.toBe(first.workOrderId);
    expect((await woRow(third.workOrderId)).reopen_count).toBe(0);
  });

  it('links a recurrence to the work order still open for the fault instead of opening a second one', async () => {
    const alarm = await newAlarm(devices.pump2, 'maintenance', 'medium');
    const first = await raise(alarm);
    expect(first).toMatchObject({ status: 'assigned', recurred: false });
    const changed = collect('workorder.changed');
    clock = new Date(base.getTime() + 10 * MINUTE);
    const second = await raise(alarm, { reopenWithinMinutes: 60 });
    changed.off();
    expect(second).toMatchObject({ workOrderId: first.workOrderId, number: first.number, recurred: true, reopened: false, status: 'assigned', assigneeId: techStaffId });
    expect(changed.seen).toEqual([{ workOrderId: first.workOrderId, action: 'recur', status: 'assigned', deviceId: devices.pump2 }]);
    expect(await woRow(first.workOrderId)).toMatchObject({ alarm_episode_id: second.episodeId, status: 'assigned', reopen_count: 0 });
    expect((await hub.db.query('SELECT count(*)::int AS n FROM work_orders WHERE id IN (SELECT work_order_id FROM alarm_episodes WHERE alarm_id = $1)', [alarm.alarmId])).rows[0].n).toBe(1);
    expect(await eventActions(first.workOrderId)).toEqual(['create', 'assign', 'recur']);
    const recur = (await hub.db.query(`SELECT note, details FROM work_order_events WHERE work_order_id = $1 AND action = 'recur'`, [first.workOrderId])).rows[0];
    expect(recur.note).toBe('the fault recurred while the work order was assigned: pressure low');
    expect(recur.details).toMatchObject({ episodeId: second.episodeId, previousEpisodeId: first.episodeId });
    const links = (await hub.db.query('SELECT id, work_order_id FROM alarm_episodes WHERE alarm_id = $1 ORDER BY id', [alarm.alarmId])).rows;
    expect(links).toEqual([
      { id: first.episodeId, work_order_id: first.workOrderId },
      { id: second.episodeId, work_order_id: first.workOrderId },
    ]);
    // A second call for the same episode is still refused.
    const again = hub.db.transaction((tx) =>
      service.openForEpisode(tx, { episodeId: second.episodeId, alarmId: alarm.alarmId, ruleId: alarm.ruleId, ruleName: alarm.ruleName, kind: 'maintenance', priority: 'medium', buildingId: 'b1', deviceId: alarm.deviceId, deviceName: 'pump 2', location: null, message: 'again', raisedAt: clock }),
    );
    await expect(again).rejects.toThrow(/already has work order/);
    await service.act(users.admin, first.workOrderId, 'cancel', { reason: 'test done' });
  });

  it('keeps one work order when two hubs race recurrences of the same fault', async () => {
    const alarm = await newAlarm(devices.lift, 'maintenance', 'high');
    const first = await raise(alarm);
    // Two work-order services (as two hubs) each raise the alarm again at once; like the alarm
    // engine they hold the alarm's row lock, so the second sees the first's episode ended.
    const raiseLocked = (svc: WorkOrderService) =>
      hub.db.transaction(async (tx) => {
        await tx.query('SELECT id FROM alarms WHERE id = $1 FOR UPDATE', [alarm.alarmId]);
        await tx.query('UPDATE alarm_episodes SET ended_at = $2 WHERE alarm_id = $1 AND ended_at IS NULL', [alarm.alarmId, clock]);
        const episodeId = (await tx.query<{ id: number }>(
          `INSERT INTO alarm_episodes (alarm_id, rule_id, rule_version, device_id, building_id, priority, category, message, raised_at, last_annunciated_at)
           VALUES ($1, $2, 1, $3, 'b1', 'high', 'maintenance', 'stuck', $4, $4) RETURNING id`,
          [alarm.alarmId, alarm.ruleId, alarm.deviceId, clock],
        )).rows[0].id;
        return svc.openForEpisode(tx, { episodeId, alarmId: alarm.alarmId, ruleId: alarm.ruleId, ruleName: alarm.ruleName, kind: 'maintenance', priority: 'high', buildingId: 'b1', deviceId: alarm.deviceId, deviceName: 'lift', location: null, message: 'stuck', raisedAt: clock });
      });
    const other = new WorkOrderService(hub.db, hub.bus, hub.logger, { now: () => clock });
    const results = await Promise.all([raiseLocked(service), raiseLocked(other)]);
    expect(results.map((r) => [r.workOrderId, r.recurred])).toEqual([
      [first.workOrderId, true],
      [first.workOrderId, true],
    ]);
    const linked = (await hub.db.query<{ work_order_id: number }>('SELECT work_order_id FROM alarm_episodes WHERE alarm_id = $1', [alarm.alarmId])).rows;
    expect(linked).toHaveLength(3);
    expect(new Set(linked.map((l) => l.work_order_id))).toEqual(new Set([first.workOrderId]));
    expect((await eventActions(first.workOrderId)).filter((a) => a === 'recur')).toHaveLength(2);
    await service.act(users.admin, first.workOrderId, 'cancel', { reason: 'test done' });
  });

  it('moves a work order through its whole lifecycle over HTTP and refuses steps out of order', async () => {
    const created = await api('clerk', 'POST', '/api/work-orders', { kind: 'maintenance', title: 'Dripping tap in the lobby', priority: 'medium', deviceId: devices.pump, location: 'Lobby' });
    expect(created.statusCode).toBe(201);
    const wo = created.json().workOrder;
    expect(wo).toMatchObject({ source: 'manual', status: 'assigned', trade: 'plumbing', buildingId: 'b1', location: 'Lobby', createdBy: 'clerk', assignee: { id: techStaffId, name: 'Tech Demo' } });
    const step = (who: Login, action: string, body?: unknown) => api(who, 'POST', `/api/work-orders/${wo.id}/${action}`, body);
    const status = async (res: Awaited<ReturnType<typeof step>>) => {
      expect(res.statusCode, res.body).toBe(200);
      return res.json().workOrder.status as string;
    };

    const early = await step('technician', 'start');
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: { code: 'WARDEN_ERR_INVALID_TRANSITION', details: { action: 'start', from: 'assigned', to: 'in_progress' } } });
    expect(early.json().error.message).toContain('assigned → in_progress');

    expect(await status(await step('technician', 'accept'))).toBe('accepted');
    expect(await status(await step('technician', 'start', { note: 'on site' }))).toBe('in_progress');
    const noReason = await step('technician', 'hold', {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.details.issues.map((i: { field: string }) => i.field)).toEqual(['body.reason']);
    expect(await status(await step('technician', 'hold', { reason: 'waiting for a washer' }))).toBe('on_hold');
    expect(await status(await step('technician', 'resume'))).toBe('in_progress');
    const noResolution = await step('technician', 'resolve', { partsUsed: [] });
    expect(noResolution.json().error.details.issues.map((i: { field: string }) => i.field)).toEqual(['body.resolution']);
    const resolved = await step('technician', 'resolve', { resolution: 'replaced the washer', partsUsed: [{ partCode: 'WSH-12', qty: 2 }] });
    // WSH-12 is not in the parts catalogue: recorded as used, no stock moved, and the technician is told.
    expect(resolved.json()).toMatchObject({
      workOrder: { status: 'resolved', verification: 'unverified', resolution: 'replaced the washer' },
      warnings: ['not in the parts catalogue: WSH-12; recorded as used, no stock issued'],
    });

    expect((await step('technician', 'close')).statusCode).toBe(403);
    expect(await status(await step('manager', 'close'))).toBe('closed');
    expect((await step('manager', 'cancel', { reason: 'too late' })).json()).toMatchObject({ error: { code: 'WARDEN_ERR_INVALID_TRANSITION', details: { from: 'closed', to: 'cancelled' } } });
    const reopened = await step('manager', 'reopen', { reason: 'still dripping' });
    expect(reopened.json().workOrder).toMatchObject({ status: 'assigned', reopenCount: 1, resolvedAt: null, closedAt: null });
    expect(await status(await step('clerk', 'comment', { text: 'the resident called again' }))).toBe('assigned');
    expect(await status(await step('manager', 'cancel', { reason: 'duplicate of another request' }))).toBe('cancelled');
    expect((await step('manager', 'cancel', { reason: 'again' })).statusCode).toBe(409);
    expect((await step('manager', 'reopen')).json()).toMatchObject({ error: { code: 'WARDEN_ERR_INVALID_TRANSITION', details: { from: 'cancelled', to: 'open' } } });

    const detail = (await api('manager', 'GET', `/api/work-orders/${wo.id}`)).json();
    expect(detail.alarm).toBeNull();
    expect(detail.events.map((e: { action: string }) => e.action)).toEqual(['create', 'assign', 'accept', 'start', 'hold', 'resume', 'resolve', 'close', 'reopen', 'assign', 'comment', 'cancel']);
    const hold = detail.events.find((e: { action: string }) => e.action === 'hold');
    expect(hold).toMatchObject({ fromStatus: 'in_progress', toStatus: 'on_hold', actor: 'technician', note: 'waiting for a washer', userId: users.technician.id });
    expect(detail.events.find((e: { action: string }) => e.action === 'resolve').details).toEqual({
      verification: 'unverified',
      partsUsed: [{ partCode: 'WSH-12', qty: 2 }],
      unlisted: ['WSH-12'],
      warnings: ['not in the parts catalogue: WSH-12; recorded as used, no stock issued'],
    });
    expect(detail.events.find((e: { action: string }) => e.action === 'comment')).toMatchObject({ fromStatus: 'assigned', toStatus: 'assigned', note: 'the resident called again', actor: 'clerk' });

    const liveTypes = (await hub.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM live_events WHERE type = 'workorder.changed' AND (data->'workOrder'->>'id')::bigint = $1`, [wo.id])).rows[0].n;
    expect(liveTypes).toBe(9); // every step after creation
    const audited = (await hub.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE target_type = 'work_order' AND target_id = $1 ORDER BY id`, [String(wo.id)])).rows.map((r) => r.action);
    expect(audited).toEqual(['workorder.create', 'workorder.accept', 'workorder.start', 'workorder.hold', 'workorder.resume', 'workorder.resolve', 'workorder.close', 'workorder.reopen', 'workorder.cancel']);
  });

  it('lets technicians see and work only their own work orders and unassigned ones of their trades', async () => {
    const carpenter = await addStaff({ name: 'Other Tech', role: 'technician', trades: ['carpentry'] });
    const theirs = (await api('manager', 'POST', '/api/work-orders', { kind: 'maintenance', title: 'Door frame', priority: 'low', trade: 'carpentry', buildingId: 'b1' })).json().workOrder;
    expect(theirs.assignee.id).toBe(carpenter);
    // b3 is outside the demo technician's buildings: nobody is dispatched.
    const unassigned = (await api('manager', 'POST', '/api/work-orders', { kind: 'maintenance', title: 'Leak in b3', priority: 'low', trade: 'plumbing', buildingId: 'b3' })).json().workOrder;
    expect(unassigned).toMatchObject({ status: 'open', assignee: null });
    const mine = (await api('manager', 'POST', '/api/work-orders', { kind: 'maintenance', title: 'Leak in b2', priority: 'low', deviceId: devices.pumpB2 })).json().workOrder;
    expect(mine.assignee.id).toBe(techStaffId);

    expect((await api('technician', 'GET', `/api/work-orders/${theirs.id}`)).statusCode).toBe(404);
    expect((await api('technician', 'POST', `/api/work-orders/${theirs.id}/accept`)).statusCode).toBe(404);
    expect((await api('technician', 'GET', `/api/work-orders/${unassigned.id}`)).statusCode).toBe(200);
    const notMine = await api('technician', 'POST', `/api/work-orders/${unassigned.id}/accept`);
    expect(notMine.statusCode).toBe(403);
    expect((await api('technician', 'POST', `/api/work-orders/${mine.id}/assign`, { staffId: carpenter })).statusCode).toBe(403);
    expect((await api('technician', 'POST', `/api/work-orders/${mine.id}/accept`)).json().workOrder.status).toBe('accepted');

    const list = (await api('technician', 'GET', '/api/work-orders?limit=200')).json();
    const ids = list.workOrders.map((w: { id: number }) => w.id);
    expect(ids).toEqual(expect.arrayContaining([unassigned.id, mine.id]));
    expect(ids).not.toContain(theirs.id);
    for (const w of list.workOrders) expect(w.assignee === null ? w.trade === 'plumbing' : w.assignee.id === techStaffId).toBe(true);
    const assignedToMe = (await api('technician', 'GET', '/api/work-orders?assignee=me&status=accepted,assigned')).json();
    expect(assignedToMe.workOrders.length).toBeGreaterThan(0);
    for (const w of assignedToMe.workOrders) expect([w.assignee.id, ['accepted', 'assigned'].includes(w.status)]).toEqual([techStaffId, true]);

    // Guards see security work only; maintenance is not theirs to see or close.
    const guardList = (await api('guard', 'GET', '/api/work-orders')).json();
    expect(guardList.workOrders.every((w: { kind: string }) => w.kind === 'security')).toBe(true);
    expect((await api('guard', 'POST', `/api/work-orders/${mine.id}/cancel`, { reason: 'x' })).statusCode).toBe(404);

    // A manager limited to b2 sees b2 only.
    await hub.auth.createUser({ username: 'manager-b2', displayName: 'Manager B2', password: 'manager-b2-password', role: 'manager' }, 'test');
    await hub.db.query(`INSERT INTO user_buildings (user_id, building_id) SELECT id, 'b2' FROM users WHERE username = 'manager-b2'`);
    const limited = await hub.login('manager-b2', 'manager-b2-password');
    expect((await api(limited, 'GET', `/api/work-orders/${theirs.id}`)).statusCode).toBe(404);
    const limitedList = (await api(limited, 'GET', '/api/work-orders')).json();
    expect(limitedList.workOrders.map((w: { id: number }) => w.id)).toContain(mine.id);
    expect(limitedList.workOrders.every((w: { buildingId: string }) => w.buildingId === 'b2')).toBe(true);
    expect((await api(limited, 'POST', '/api/work-orders', { kind: 'maintenance', title: 'x', priority: 'low', buildingId: 'b1' })).statusCode).toBe(403);
  });

  it('dispatches by trade and building, shift and workload, and records when nobody fits', async () => {
    const glazierB2 = await addStaff({ name: 'Glazier B2', role: 'technician', trades: ['glazing'], buildings: ['b2'] });
    await addStaff({ name: 'Glazing guard', role: 'guard', trades: ['glazing'] }); // wrong role
    await addStaff({ name: 'Glazier without login', trades: ['glazing'] });
    const nobody = await service.createManual(users.manager, { kind: 'maintenance', title: 'Cracked pane b1', priority: 'medium', trade: 'glazing', buildingId: 'b1' });
    expect(nobody.workOrder).toMatchObject({ status: 'open', assignee_id: null });
    expect(await eventActions(nobody.workOrder.id)).toEqual(['create', 'dispatch.none']);
    const live = (await hub.db.query(`SELECT data FROM live_events WHERE type = 'workorder.created' AND (data->'workOrder'->>'id')::bigint = $1`, [nobody.workOrder.id])).rows[0];
    expect(live.data.dispatched).toBe(false);
    const b2 = await service.createManual(users.manager, { kind: 'maintenance', title: 'Cracked pane b2', priority: 'medium', trade: 'glazing', buildingId: 'b2' });
    expect(b2.workOrder.assignee_id).toBe(glazierB2);

    await addStaff({ name: 'Joiner off shift', role: 'technician', trades: ['joinery'], onShift: false });
    const joinerOn = await addStaff({ name: 'Joiner on shift', role: 'technician', trades: ['joinery'] });
    expect((await service.createManual(users.manager, { kind: 'maintenance', title: 'Sticking door', priority: 'medium', trade: 'joinery', buildingId: 'b1' })).workOrder.assignee_id).toBe(joinerOn);

    const painterA = await addStaff({ name: 'Painter A', role: 'technician', trades: ['painting'] });
    const painterB = await addStaff({ name: 'Painter B', role: 'technician', trades: ['painting'] });
    const paint = () => service.createManual(users.manager, { kind: 'maintenance', title: 'Scuffed wall', priority: 'low', trade: 'painting', buildingId: 'b1' });
    const firstPaint = await paint();
    expect(firstPaint.workOrder.assignee_id).toBe(painterA); // equal: the lower id
    expect((await paint()).workOrder.assignee_id).toBe(painterB); // A now has one open

    // Manual reassignment: only to someone suitable; without a person, dispatch chooses.
    await expect(service.act(users.manager, firstPaint.workOrder.id, 'assign', { staffId: glazierB2 })).rejects.toMatchObject({ code: 'WARDEN_ERR_UNSUITABLE_ASSIGNEE' });
    const reassigned = await api('manager', 'POST', `/api/work-orders/${firstPaint.workOrder.id}/assign`, { staffId: painterB, note: 'A is off sick' });
    expect(reassigned.json().workOrder).toMatchObject({ status: 'assigned', assignee: { id: painterB } });
    const assignEvent = (await hub.db.query(`SELECT details, note FROM work_order_events WHERE work_order_id = $1 AND action = 'assign' ORDER BY id DESC LIMIT 1`, [firstPaint.workOrder.id])).rows[0];
    expect(assignEvent).toMatchObject({ note: 'A is off sick', details: { staffId: painterB, previousAssigneeId: painterA, automatic: false } });
    const auto = await api('manager', 'POST', `/api/work-orders/${nobody.workOrder.id}/assign`, {});
    expect(auto.json()).toMatchObject({ error: { code: 'WARDEN_ERR_NO_CANDIDATE' } });
  });

  it('escalates SLA breaches once each, even with two services sweeping together', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await service.createManual(users.manager, { kind: 'maintenance', title: `Nobody can fix ${i}`, priority: 'critical', trade: 'sla_test', buildingId: 'b1' })).workOrder.id);
    }
    const mine = <E extends { workOrderId: number }>(escalations: E[]) => escalations.filter((e) => ids.includes(e.workOrderId));
    expect(mine(await service.sweep(new Date(base.getTime() + 4 * MINUTE)))).toEqual([]);

    // A second hub: its own connection pool on the same database (PGlite has one connection: the sweeps queue).
    const otherDb = hub.database.url ? await openDatabase({ url: hub.database.url, dataDir: '.', poolSize: 2, logger: hub.logger }) : hub.db;
    try {
      const other = new WorkOrderService(otherDb, hub.bus, hub.logger, { now: () => clock });
      const at = new Date(base.getTime() + 6 * MINUTE);
      const [a, b] = await Promise.all([service.sweep(at), other.sweep(at)]);
      const all = [...a, ...b];
      expect(new Set(all.map((e) => `${e.workOrderId}:${e.sla}`)).size).toBe(all.length);
      expect(mine(all).sort((x, y) => x.workOrderId - y.workOrderId)).toEqual(ids.map((id) => expect.objectContaining({ workOrderId: id, sla: 'accept', level: 1 })));
      expect(mine(await other.sweep(at))).toEqual([]);
    } finally {
      if (otherDb !== hub.db) await otherDb.close();
    }
    for (const id of ids) {
      expect(await woRow(id)).toMatchObject({ escalation_level: 1, accept_breached_at: new Date(base.getTime() + 6 * MINUTE), resolve_breached_at: null });
      expect((await eventActions(id)).filter((a) => a === 'escalate')).toHaveLength(1);
    }
    const live = (await hub.db.query<{ audience: string[]; data: { sla: string; level: number } }>(
      `SELECT audience, data FROM live_events WHERE type = 'workorder.escalated' AND (data->'workOrder'->>'id')::bigint = ANY($1::bigint[])`,
      [ids],
    )).rows;
    expect(live).toHaveLength(3);
    for (const l of live) expect(l).toMatchObject({ audience: ['manager', 'admin'], data: { sla: 'accept', level: 1 } });

    // Critical: 240 min to resolve.
    const resolveBreaches = mine(await service.sweep(new Date(base.getTime() + 241 * MINUTE)));
    expect(resolveBreaches.map((e) => [e.sla, e.level])).toEqual([['resolve', 2], ['resolve', 2], ['resolve', 2]]);
  });

  // Verification against telemetry (alarm work orders by their alarm, manual ones by the
  // latest readings) is tested with readings an agent sends: alarm-operations.test.ts.

  it("suppresses the device's alarms while maintenance is in progress, until no work remains", async () => {
    const device = devices.pumpSuppress;
    const alarmA = await newAlarm(device, 'maintenance');
    const alarmB = await newAlarm(device, 'maintenance', 'low');
    // A security alarm of the same device (its enclosure's tamper switch) is never suppressed by the work.
    const security = await newAlarm(device, 'security', 'critical');
    const suppressed = async () =>
      (await hub.db.query<{ suppressed: boolean }>('SELECT suppressed FROM alarms WHERE device_id = $1 AND id <> $2 ORDER BY id', [device, security.alarmId])).rows.map((r) => r.suppressed);
    const securitySuppressed = async () => (await hub.db.query<{ suppressed: boolean }>('SELECT suppressed FROM alarms WHERE id = $1', [security.alarmId])).rows[0].suppressed;
    const transitions = async () =>
      (await hub.db.query<{ alarm_id: number; action: string; from_state: string; to_state: string; note: string; user_id: number }>(
        'SELECT alarm_id, action, from_state, to_state, note, user_id FROM alarm_transitions WHERE alarm_id = ANY($1::bigint[]) ORDER BY id',
        [[alarmA.alarmId, alarmB.alarmId]],
      )).rows;
    const create = () => service.createManual(users.manager, { kind: 'maintenance', title: 'Service the pump', priority: 'medium', deviceId: device });
    const first = (await create()).workOrder;
    const second = (await create()).workOrder;
    const changes = collect('alarm.changed');

    await service.act(users.admin, first.id, 'accept');
    expect(await suppressed()).toEqual([false, false]);
    await service.act(users.admin, first.id, 'start');
    expect(await suppressed()).toEqual([true, true]);
    expect(await securitySuppressed()).toBe(false);
    expect(await transitions()).toEqual([
      { alarm_id: alarmA.alarmId, action: 'suppress', from_state: 'normal', to_state: 'normal', note: `work order ${first.number}`, user_id: users.admin.id },
      { alarm_id: alarmB.alarmId, action: 'suppress', from_state: 'normal', to_state: 'normal', note: `work order ${first.number}`, user_id: users.admin.id },
    ]);
    expect(changes.seen.map((c) => [c.alarmId, c.action])).toEqual([[alarmA.alarmId, 'suppress'], [alarmB.alarmId, 'suppress']]);

    await service.act(users.admin, second.id, 'accept');
    await service.act(users.admin, second.id, 'start');
    await service.act(users.admin, second.id, 'hold', { reason: 'parts on order' });
    await service.act(users.admin, first.id, 'resolve', { resolution: 'serviced' });
    expect(await suppressed()).toEqual([true, true]); // the second is still being worked on (on hold)
    expect(await transitions()).toHaveLength(2);

    await service.act(users.admin, second.id, 'cancel', { reason: 'done under the first' });
    changes.off();
    expect(await suppressed()).toEqual([false, false]);
    expect((await transitions()).slice(2).map((t) => [t.alarm_id, t.action, t.note])).toEqual([
      [alarmA.alarmId, 'unsuppress', `work order ${second.number}`],
      [alarmB.alarmId, 'unsuppress', `work order ${second.number}`],
    ]);
    expect(changes.seen.map((c) => c.action)).toEqual(['suppress', 'suppress', 'unsuppress', 'unsuppress']);
  });

  it('computes KPIs on a known set: SLA compliance, MTTA, MTTR by trade and building', async () => {
    await addStaff({ name: 'KPI worker', role: 'technician', trades: ['masonry', 'roofing'] });
    const t0 = new Date('2020-03-02T00:00:00Z');
    const at = (minutes: number) => (clock = new Date(t0.getTime() + minutes * MINUTE));
    at(0);
    const create = async (trade: string, priority: 'critical' | 'high' | 'medium' | 'low') =>
      (await service.createManual(users.manager, { kind: 'maintenance', title: `${trade} ${priority}`, priority, trade, buildingId: 'b-kpi' })).workOrder.id;
    const w1 = await create('masonry', 'medium'); // accept 60, resolve 1440: both met
    const w2 = await create('masonry', 'critical'); // accept 5, resolve 240: both missed
    await create('roofing', 'high'); // never accepted: both missed
    const w4 = await create('roofing', 'low'); // cancelled: measured in nothing
    at(10);
    await service.act(users.admin, w1, 'accept');
    at(20);
    await service.act(users.admin, w2, 'accept');
    at(30);
    await service.act(users.admin, w1, 'start');
    await service.act(users.admin, w2, 'start');
    await service.act(users.admin, w4, 'cancel', { reason: 'not needed' });
    at(60);
    await service.act(users.admin, w1, 'resolve', { resolution: 'repointed' });
    at(300);
    await service.act(users.admin, w2, 'resolve', { resolution: 'rebuilt' });

    const res = await api('manager', 'GET', '/api/work-orders/kpis?from=2020-03-01T00:00:00Z&to=2020-03-03T00:00:00Z&building=b-kpi');
    expect(res.statusCode, res.body).toBe(200);
    const k = res.json();
    expect(k.openByTrade).toEqual([{ trade: 'roofing', open: 1 }]);
    expect(k.overall).toEqual({
      created: 4,
      cancelled: 1,
      accepted: 2,
      resolved: 2,
      acceptSla: { measured: 3, met: 1, compliance: 1 / 3 },
      resolveSla: { measured: 3, met: 1, compliance: 1 / 3 },
      mttaSeconds: 900,
      mttrSeconds: 10800,
    });
    expect(k.byTrade).toEqual([
      { trade: 'masonry', created: 2, cancelled: 0, accepted: 2, resolved: 2, acceptSla: { measured: 2, met: 1, compliance: 0.5 }, resolveSla: { measured: 2, met: 1, compliance: 0.5 }, mttaSeconds: 900, mttrSeconds: 10800 },
      { trade: 'roofing', created: 2, cancelled: 1, accepted: 0, resolved: 0, acceptSla: { measured: 1, met: 0, compliance: 0 }, resolveSla: { measured: 1, met: 0, compliance: 0 }, mttaSeconds: null, mttrSeconds: null },
    ]);
    expect(k.byBuilding).toEqual([{ buildingId: 'b-kpi', ...k.overall }]);
    expect((await api('technician', 'GET', '/api/work-orders/kpis')).statusCode).toBe(403);
  });

  it('lists staff for dispatch and adds shifts', async () => {
    const staff = (await api('manager', 'GET', '/api/staff?trade=plumbing')).json().staff;
    expect(staff).toEqual([
      expect.objectContaining({ id: techStaffId, name: 'Tech Demo', username: 'technician', role: 'technician', trades: ['plumbing'], buildings: ['b1', 'b2'], onShift: true, openWorkload: expect.any(Number) }),
    ]);
    const open = (await hub.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM work_orders WHERE assignee_id = $1 AND status NOT IN ('resolved', 'closed', 'cancelled')`, [techStaffId])).rows[0].n;
    expect(staff[0].openWorkload).toBe(open);

    const shift = await api('manager', 'POST', `/api/staff/${guardStaffId}/shifts`, { startsAt: '2030-01-01T08:00:00+08:00', endsAt: '2030-01-01T20:00:00+08:00' });
    expect(shift.statusCode).toBe(201);
    expect(shift.json()).toEqual({ shift: { id: expect.any(Number), staffId: guardStaffId, startsAt: '2030-01-01T00:00:00.000Z', endsAt: '2030-01-01T12:00:00.000Z' } });
    expect((await api('technician', 'POST', `/api/staff/${guardStaffId}/shifts`, { startsAt: '2030-01-01T08:00:00Z', endsAt: '2030-01-01T20:00:00Z' })).statusCode).toBe(403);
    expect((await api('manager', 'POST', '/api/staff/999999/shifts', { startsAt: '2030-01-01T08:00:00Z', endsAt: '2030-01-01T20:00:00Z' })).statusCode).toBe(404);
  });

  it('answers bad input with per-field errors', async () => {
    const fields = (res: { statusCode: number; json(): { error: { code: string; details: { issues: { field: string }[] } } } }) => {
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('WARDEN_ERR_VALIDATION');
      return res.json().error.details.issues.map((i) => i.field).sort();
    };
    expect(fields(await api('clerk', 'POST', '/api/work-orders', { kind: 'plumbing', title: '', priority: 'urgent', deviceId: -1 }))).toEqual(['body.deviceId', 'body.kind', 'body.priority', 'body.title']);
    expect(fields(await api('clerk', 'POST', '/api/work-orders', { kind: 'maintenance', title: 'x', priority: 'low', deviceId: 999999 }))).toEqual(['body.deviceId']);
    expect(fields(await api('clerk', 'POST', '/api/work-orders', { kind: 'maintenance', title: 'x', priority: 'low', deviceId: devices.pump, buildingId: 'b2' }))).toEqual(['body.buildingId']);
    expect(fields(await api('manager', 'GET', '/api/work-orders?status=open,bogus&limit=500'))[0]).toMatch(/^querystring\.(status|limit)/);
    expect(fields(await api('manager', 'POST', `/api/staff/${techStaffId}/shifts`, { startsAt: '2030-01-01T10:00:00Z', endsAt: '2030-01-01T09:00:00Z' }))).toEqual(['body.endsAt']);
    expect(fields(await api('manager', 'POST', '/api/work-orders/1/resolve', { resolution: 'x', partsUsed: [{ partCode: 'P', qty: 0 }] }))).toEqual(['body.partsUsed.0.qty']);
    expect(fields(await api('manager', 'GET', '/api/work-orders/kpis?from=yesterday'))).toEqual(['querystring.from']);
  });

  it('seeds demo staff once, linked to the demo logins, with shifts covering now', async () => {
    const first = await seedDemoStaff(hub.db);
    const second = await seedDemoStaff(hub.db);
    expect(second).toEqual(first);
    expect(first.staffIds).toHaveLength(5);
    expect(first.staffIds).toEqual(expect.arrayContaining([techStaffId, guardStaffId])); // the logins' existing staff records are reused
    const { rows } = await hub.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM staff_shifts WHERE staff_id = ANY($1::bigint[]) AND starts_at <= now() AND ends_at > now()',
      [first.staffIds],
    );
    expect(rows[0].n).toBe(5);
  });
});
