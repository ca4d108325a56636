import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/index.js';
import type { HubEvents } from '../src/events/event-bus.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { openLiveStream, type LiveStream } from './support/live-stream.js';
import { waitFor } from './support/wait.js';

const MINUTE = 60_000;

interface Person {
  userId: number;
  staffId: number | null;
  token: string;
  name: string;
}

interface LiveWorkOrderData {
  action: string;
  actor: string;
  from?: string;
  workOrder: { id: number; status: string; assigneeId: number | null };
}

/**
 * Claiming: a technician (or a guard, for security work) takes an unassigned open work
 * order themself, over HTTP against the real migrations on both back-ends. Every test uses
 * a trade of its own, so the staff one test adds never changes another's dispatch.
 */
describe.each(databaseKinds)('claiming work orders on %s', (kind) => {
  let hub: TestHub;
  const tokens = {} as Record<'admin' | 'manager' | 'clerk', string>;

  const api = (token: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    hub.http.inject({ method, url, payload: payload as Record<string, unknown> | undefined, headers: { authorization: `Bearer ${token}` } });

  /** A login of the role; unless `staff` is false, also a member of staff with these trades, on shift around now unless said otherwise. */
  const person = async (o: { role: Role; trades?: string[]; buildings?: string[]; onShift?: boolean; staff?: boolean }): Promise<Person> => {
    const username = `${o.role}-${randomUUID().slice(0, 8)}`;
    const name = `${o.role === 'guard' ? 'Guard' : 'Tech'} ${username.slice(-8)}`;
    const userId = await hub.auth.createUser({ username, displayName: name, password: `${username}-password-1`, role: o.role }, 'test');
    const token = await hub.login(username, `${username}-password-1`);
    if (o.staff === false) return { userId, staffId: null, token, name };
    const staffId = (await hub.db.query<{ id: number }>('INSERT INTO staff (user_id, name, trades) VALUES ($1, $2, $3) RETURNING id', [userId, name, o.trades ?? []])).rows[0].id;
    for (const b of o.buildings ?? []) await hub.db.query('INSERT INTO staff_buildings (staff_id, building_id) VALUES ($1, $2)', [staffId, b]);
    if (o.onShift !== false) {
      await hub.db.query('INSERT INTO staff_shifts (staff_id, starts_at, ends_at) VALUES ($1, $2, $3)', [staffId, new Date(Date.now() - 60 * MINUTE), new Date(Date.now() + 12 * 60 * MINUTE)]);
    }
    return { userId, staffId: Number(staffId), token, name };
  };

  /** A work order opened by the manager while nobody of its trade is on file: dispatch finds nobody, so it waits unassigned. */
  const openUnassigned = async (o: { kind?: 'maintenance' | 'security'; trade?: string; buildingId?: string } = {}) => {
    const res = await api(tokens.manager, 'POST', '/api/work-orders', {
      kind: o.kind ?? 'maintenance',
      title: `Job ${randomUUID().slice(0, 6)}`,
      priority: 'high',
      ...(o.trade ? { trade: o.trade } : {}),
      buildingId: o.buildingId ?? 'c1',
    });
    expect(res.statusCode, res.body).toBe(201);
    const wo = res.json().workOrder as { id: number; number: string; status: string; assignee: unknown };
    expect(wo).toMatchObject({ status: 'open', assignee: null });
    return wo;
  };

  const claim = (who: Person | string, id: number, body?: unknown) => api(typeof who === 'string' ? who : who.token, 'POST', `/api/work-orders/${id}/claim`, body);
  const events = async (id: number) =>
    (await hub.db.query<{ action: string; from_status: string | null; to_status: string; user_id: number | null; note: string | null; details: Record<string, unknown> | null }>(
      'SELECT action, from_status, to_status, user_id::int AS user_id, note, details FROM work_order_events WHERE work_order_id = $1 ORDER BY id',
      [id],
    )).rows;
  const uniqueTrade = () => `trade-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    hub = await startTestHub(kind, { ALARM_DEFAULT_RULES: 'false' });
    await upsertSite(hub.db, { id: 'site-c', name: 'C' });
    for (const b of ['c1', 'c2']) await upsertBuilding(hub.db, { id: b, siteId: 'site-c', name: b });
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    for (const role of ['manager', 'clerk'] as const) tokens[role] = await hub.login(role, demoPassword(hub, role));
  });

  afterAll(async () => {
    await hub?.close();
  });

  it('lets a technician of the trade take an unassigned job: theirs and accepted at once, on the timeline, audited and announced live', async () => {
    const trade = uniqueTrade();
    const wo = await openUnassigned({ trade });
    const taker = await person({ role: 'technician', trades: [trade] });
    const colleague = await person({ role: 'technician', trades: [trade] });
    const outsider = await person({ role: 'technician', trades: [uniqueTrade()] });
    // Both of the trade see it in their pool before the claim.
    for (const p of [taker, colleague]) expect((await api(p.token, 'GET', '/api/work-orders')).json().workOrders.map((w: { id: number }) => w.id)).toContain(wo.id);
    const [takerLive, colleagueLive, outsiderLive] = (await Promise.all([taker, colleague, outsider].map((p) => openLiveStream<LiveWorkOrderData>(hub, p.token)))) as LiveStream<LiveWorkOrderData>[];
    const changed: HubEvents['workorder.changed'][] = [];
    const off = hub.bus.on('workorder.changed', (e) => changed.push(e));

    const before = Date.now();
    const res = await claim(taker, wo.id, { note: 'on my way' });
    off();
    expect(res.statusCode, res.body).toBe(200);
    const claimed = res.json().workOrder;
    expect(claimed).toMatchObject({ id: wo.id, status: 'accepted', assignee: { id: taker.staffId, name: taker.name } });
    expect(claimed.assignedAt).toBe(claimed.acceptedAt);
    expect(Date.parse(claimed.acceptedAt)).toBeGreaterThanOrEqual(before - 1000);
    // Accepted at the claim, well before the high-priority accept deadline: the SLA is met.
    expect(Date.parse(claimed.acceptedAt)).toBeLessThan(Date.parse(claimed.acceptDueAt));
    expect(res.json().warnings).toEqual([]);

    const timeline = await events(wo.id);
    expect(timeline.map((e) => e.action)).toEqual(['create', 'dispatch.none', 'claim']);
    expect(timeline[2]).toMatchObject({ from_status: 'open', to_status: 'accepted', user_id: taker.userId, note: 'on my way', details: { staffId: taker.staffId, name: taker.name } });
    const audit = (await hub.db.query<{ action: string; user_id: number; details: Record<string, unknown> }>(
      `SELECT action, user_id::int AS user_id, details FROM audit_log WHERE target_type = 'work_order' AND target_id = $1 ORDER BY id`,
      [String(wo.id)],
    )).rows;
    expect(audit.at(-1)).toMatchObject({ action: 'workorder.claim', user_id: taker.userId, details: { number: wo.number, from: 'open', staffId: taker.staffId } });
    expect(changed).toContainEqual({ workOrderId: wo.id, action: 'claim', status: 'accepted', deviceId: null });

    // The claimer sees it become theirs; the colleague of the trade sees it leave the pool.
    const isClaim = (f: { type: string; data: LiveWorkOrderData }) => f.type === 'workorder.changed' && f.data.action === 'claim' && f.data.workOrder.id === wo.id;
    for (const live of [takerLive, colleagueLive]) {
      const frame = await waitFor(() => live.frames.find(isClaim), 'the claim on the live stream');
      expect(frame.data).toMatchObject({ actor: expect.any(String), from: 'open', workOrder: { status: 'accepted', assigneeId: taker.staffId } });
    }
    // The outsider never saw the work order, so the event is not addressed to them.
    const row = (await hub.db.query<{ audience: string[]; user_ids: number[] }>(
      `SELECT audience, user_ids::int[] AS user_ids FROM live_events WHERE type = 'workorder.changed' AND data->>'action' = 'claim' AND (data->'workOrder'->>'id')::bigint = $1`,
      [wo.id],
    )).rows;
    expect(row).toHaveLength(1);
    expect(row[0].user_ids).toEqual(expect.arrayContaining([taker.userId, colleague.userId]));
    expect(row[0].user_ids).not.toContain(outsider.userId);
    expect(row[0].audience).toEqual(['admin', 'manager', 'clerk']);
    expect(outsiderLive.frames.some(isClaim)).toBe(false);

    expect((await api(colleague.token, 'GET', `/api/work-orders/${wo.id}`)).statusCode).toBe(404);
    const mine = (await api(taker.token, 'GET', '/api/work-orders?assignee=me')).json().workOrders;
    expect(mine).toEqual([expect.objectContaining({ id: wo.id, status: 'accepted' })]);
    // The next step is the assignee's own: start.
    expect((await api(taker.token, 'POST', `/api/work-orders/${wo.id}/start`)).statusCode).toBe(200);
  });

  it('hides the job from a technician of another trade and a guard: 404 to see or claim it', async () => {
    const wo = await openUnassigned({ trade: uniqueTrade() });
    const outsider = await person({ role: 'technician', trades: [uniqueTrade()] });
    // No staff record: one on file would be dispatched the security job of the last test.
    const guard = await person({ role: 'guard', staff: false });
    for (const who of [outsider, guard]) {
      expect((await api(who.token, 'GET', `/api/work-orders/${wo.id}`)).statusCode).toBe(404);
      const res = await claim(who, wo.id);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'WARDEN_ERR_NOT_FOUND', message: `no work order ${wo.id}` } });
    }
    expect((await claim(outsider, 999_999_999)).statusCode).toBe(404);
    expect((await events(wo.id)).map((e) => e.action)).toEqual(['create', 'dispatch.none']);
  });

  it('gives a job claimed by two at once to exactly one; the other is told who has it', async () => {
    const trade = uniqueTrade();
    const wo = await openUnassigned({ trade });
    const first = await person({ role: 'technician', trades: [trade] });
    const second = await person({ role: 'technician', trades: [trade] });

    const answers = await Promise.all([claim(first, wo.id), claim(second, wo.id)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    const winner = answers[0].statusCode === 200 ? first : second;
    const loser = answers.find((a) => a.statusCode === 409)!;
    expect(loser.json()).toMatchObject({ error: { code: 'WARDEN_ERR_CONFLICT', message: `${wo.number} is already taken by ${winner.name}` } });

    const row = (await hub.db.query<{ status: string; assignee_id: number }>('SELECT status, assignee_id::int AS assignee_id FROM work_orders WHERE id = $1', [wo.id])).rows[0];
    expect(row).toEqual({ status: 'accepted', assignee_id: winner.staffId });
    expect((await events(wo.id)).filter((e) => e.action === 'claim')).toHaveLength(1);
    const audits = (await hub.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'workorder.claim' AND target_id = $1`, [String(wo.id)])).rows[0].n;
    expect(audits).toBe(1);
  });

  it('refuses a job that is no longer open and unassigned: 409, naming why', async () => {
    const trade = uniqueTrade();
    const dispatched = await openUnassigned({ trade });
    const holder = await person({ role: 'technician', trades: [trade] });
    const other = await person({ role: 'technician', trades: [trade] });
    // The manager gives it to one of them; the other can no longer take it.
    const assigned = await api(tokens.manager, 'POST', `/api/work-orders/${dispatched.id}/assign`, { staffId: holder.staffId });
    expect(assigned.json().workOrder).toMatchObject({ status: 'assigned', assignee: { id: holder.staffId } });
    const taken = await claim(other, dispatched.id);
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ error: { code: 'WARDEN_ERR_CONFLICT', message: `${dispatched.number} is already taken by ${holder.name}`, details: { assigneeId: holder.staffId } } });
    const own = await claim(holder, dispatched.id);
    expect(own.statusCode).toBe(409);
    expect(own.json().error).toMatchObject({ code: 'WARDEN_ERR_CONFLICT', message: `${dispatched.number} is already yours (assigned)` });

    // Cancelled while unassigned: still visible to the trade, but nothing to take.
    const cancelledTrade = uniqueTrade();
    const cancelled = await openUnassigned({ trade: cancelledTrade });
    expect((await api(tokens.manager, 'POST', `/api/work-orders/${cancelled.id}/cancel`, { reason: 'duplicate' })).statusCode).toBe(200);
    const late = await person({ role: 'technician', trades: [cancelledTrade] });
    const refused = await claim(late, cancelled.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'WARDEN_ERR_INVALID_TRANSITION', message: 'cannot claim a work order that is cancelled (only open, unassigned ones can be claimed)' });
    expect((await events(dispatched.id)).map((e) => e.action)).toEqual(['create', 'dispatch.none', 'assign']);
  });

  it("refuses a technician dispatch would not give the job to: off shift, or another building's", async () => {
    const trade = uniqueTrade();
    const wo = await openUnassigned({ trade, buildingId: 'c1' });
    const offShift = await person({ role: 'technician', trades: [trade], onShift: false });
    const elsewhere = await person({ role: 'technician', trades: [trade], buildings: ['c2'] });
    const a = await claim(offShift, wo.id);
    expect(a.statusCode).toBe(409);
    expect(a.json().error).toMatchObject({ code: 'WARDEN_ERR_UNSUITABLE_ASSIGNEE', message: `you (${offShift.name}) cannot claim ${wo.number}: is not on shift now`, details: { reason: 'is not on shift now' } });
    const b = await claim(elsewhere, wo.id);
    expect(b.statusCode).toBe(409);
    expect(b.json().error).toMatchObject({ code: 'WARDEN_ERR_UNSUITABLE_ASSIGNEE', details: { reason: 'does not cover building c1' } });
    expect((await api(tokens.manager, 'GET', `/api/work-orders/${wo.id}`)).json().workOrder).toMatchObject({ status: 'open', assignee: null });
  });

  it('does not let managers or admins claim (they assign), nor clerks: 403', async () => {
    const wo = await openUnassigned({ trade: uniqueTrade() });
    for (const who of ['manager', 'admin'] as const) {
      const res = await claim(tokens[who], wo.id);
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toMatchObject({ code: 'WARDEN_ERR_FORBIDDEN', message: expect.stringContaining(`a ${who} assigns it`) });
    }
    const clerk = await claim(tokens.clerk, wo.id);
    expect(clerk.statusCode).toBe(403);
    expect((await api(tokens.manager, 'GET', `/api/work-orders/${wo.id}`)).json().workOrder).toMatchObject({ status: 'open', assignee: null });
    expect((await events(wo.id)).map((e) => e.action)).toEqual(['create', 'dispatch.none']);
  });

  it('describes the claim in the OpenAPI document', async () => {
    const doc = (await hub.http.inject({ url: '/api/docs/json' })).json() as { paths: Record<string, Record<string, { summary?: string; description?: string }>> };
    const op = doc.paths['/api/work-orders/{id}/claim']?.post;
    expect(op?.summary).toContain('Take an unassigned open work order yourself');
    expect(op?.description).toContain('already taken');
  });

  it('lets a guard on file take an unassigned security job, and tells one without a staff record why not', async () => {
    const wo = await openUnassigned({ kind: 'security' });
    const unlisted = await person({ role: 'guard', staff: false });
    const refused = await claim(unlisted, wo.id);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('no staff record');
    const guard = await person({ role: 'guard', trades: ['security'] });
    const res = await claim(guard, wo.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().workOrder).toMatchObject({ kind: 'security', status: 'accepted', assignee: { id: guard.staffId } });
    const row = (await hub.db.query<{ audience: string[] }>(`SELECT audience FROM live_events WHERE data->>'action' = 'claim' AND (data->'workOrder'->>'id')::bigint = $1`, [wo.id])).rows[0];
    expect(row.audience).toEqual(['admin', 'manager', 'guard', 'clerk']);
  });
});
