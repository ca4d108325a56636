import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { provisionAgent } from '../src/broker/index.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { seedDemoStaff } from '../src/workorders/index.js';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';

type Login = 'admin' | 'manager' | 'technician' | 'clerk' | 'owner';
const DAY = 86_400_000;

interface Plan {
  id: number;
  status: 'ok' | 'due' | 'overdue';
  daysOverdue: number | null;
  usageOverdue: number | null;
  lastDoneAt: string | null;
  lastDoneUsage: number | null;
  nextDueAt: string | null;
  nextDueUsage: number | null;
  usageNow: number | null;
  workOrder: { id: number; number: string; status: string } | null;
}

/** Preventive maintenance by calendar and by usage, over HTTP and the scheduler, on both back-ends. */
describe.each(databaseKinds)('preventive maintenance on %s', (kind) => {
  let hub: TestHub;
  const tokens = {} as Record<Login, string>;
  let pumpId: number;
  let liftId: number;
  let runHoursSeries: number;

  const api = (who: Login, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    hub.http.inject({ method, url, payload: payload as Record<string, unknown> | undefined, headers: { authorization: `Bearer ${tokens[who]}` } });
  const fields = (res: { json(): unknown }) => ((res.json() as { error: { details?: { issues?: { field: string }[] } } }).error.details?.issues ?? []).map((i) => i.field).sort();
  const plan = async (id: number) => ((await api('clerk', 'GET', `/api/pm/plans/${id}`)).json() as { plan: Plan }).plan;
  const preventiveWorkOrders = async (equipmentId: number) =>
    (await hub.db.query<{ id: number; status: string; assignee_id: number | null }>(`SELECT id::int AS id, status, assignee_id FROM work_orders WHERE source = 'preventive' AND equipment_id = $1 ORDER BY id`, [equipmentId])).rows;
  const setRunHours = (value: number) =>
    hub.db.query('INSERT INTO latest_values (series_id, ts, value) VALUES ($1, now(), $2) ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value', [runHoursSeries, value]);
  const finish = async (woId: number) => {
    for (const action of ['accept', 'start'] as const) expect((await api('technician', 'POST', `/api/work-orders/${woId}/${action}`, {})).statusCode).toBe(200);
    const res = await api('technician', 'POST', `/api/work-orders/${woId}/resolve`, { resolution: 'serviced' });
    expect(res.statusCode, res.body).toBe(200);
  };

  beforeAll(async () => {
    hub = await startTestHub(kind);
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    for (const role of ['manager', 'technician', 'clerk', 'owner'] as const) {
      const cred = hub.auth.initialCredentials.find((c) => c.role === role);
      tokens[role] = await hub.login(cred!.username, demoPassword(hub, role));
    }
    await seedDemoStaff(hub.db);
    await upsertSite(hub.db, { id: 'site-pm', name: 'site-pm' });
    await upsertBuilding(hub.db, { id: 'b1', siteId: 'site-pm', name: 'b1' });
    await provisionAgent(hub.db, { id: 'agent-pm', siteId: 'site-pm', buildingId: 'b1' });
    const deviceId = (await hub.db.query<{ id: number }>(`INSERT INTO devices (agent_id, code, site_id, building_id, type, name) VALUES ('agent-pm', 'pump-1', 'site-pm', 'b1', 'pump', 'Pump 1') RETURNING id::int AS id`)).rows[0].id;
    runHoursSeries = (await hub.db.query<{ id: number }>(`INSERT INTO device_metrics (device_id, name, type, unit, cumulative) VALUES ($1, 'runHours', 'number', 'h', true) RETURNING id`, [deviceId])).rows[0].id;
    await setRunHours(100);
    const pump = await api('manager', 'POST', '/api/equipment', { code: 'PUMP-1', name: 'Booster pump 1', type: 'pump', buildingId: 'b1', location: 'plant room', deviceId });
    expect(pump.statusCode, pump.body).toBe(201);
    pumpId = (pump.json() as { equipment: { id: number } }).equipment.id;
    const lift = await api('manager', 'POST', '/api/equipment', { code: 'LIFT-1', name: 'Lift A', type: 'lift', buildingId: 'b1' });
    liftId = (lift.json() as { equipment: { id: number } }).equipment.id;
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
  });

  it('rejects bad plans with per-field errors and keeps writes to managers', async () => {
    const bad = await api('manager', 'POST', '/api/pm/plans', { equipmentId: -1, title: '', kind: 'calendar', metric: 'runHours', nextDueAt: 'tomorrow' });
    expect(bad.statusCode).toBe(400);
    expect(fields(bad)).toEqual(['body.equipmentId', 'body.intervalDays', 'body.metric', 'body.nextDueAt', 'body.title']);
    expect(fields(await api('manager', 'POST', '/api/pm/plans', { equipmentId: pumpId, title: 'x', kind: 'usage', intervalDays: 3 }))).toEqual(['body.intervalDays', 'body.intervalUsage', 'body.metric']);
    expect(fields(await api('manager', 'POST', '/api/pm/plans', { equipmentId: 99_999, title: 'x', kind: 'calendar', intervalDays: 30 }))).toEqual(['body.equipmentId']);
    expect(fields(await api('manager', 'POST', '/api/pm/plans', { equipmentId: liftId, title: 'x', kind: 'usage', metric: 'doorCycles', intervalUsage: 1000 }))).toEqual(['body.equipmentId']);
    expect((await api('technician', 'POST', '/api/pm/plans', { equipmentId: liftId, title: 'x', kind: 'calendar', intervalDays: 30 })).statusCode).toBe(403);
    expect((await api('owner', 'GET', '/api/pm/plans')).statusCode).toBe(403);
    expect((await hub.db.query('SELECT 1 FROM pm_plans')).rows).toHaveLength(0);

    const ok = await api('admin', 'POST', '/api/pm/plans', { equipmentId: liftId, title: 'Annual lift inspection', kind: 'calendar', intervalDays: 365 });
    expect(ok.statusCode, ok.body).toBe(201);
    const id = (ok.json() as { plan: { id: number; trade: string; status: string } }).plan.id;
    expect((ok.json() as { plan: { trade: string; status: string } }).plan).toMatchObject({ trade: 'lift', status: 'ok' });
    expect(fields(await api('manager', 'PATCH', `/api/pm/plans/${id}`, { intervalUsage: 5 }))).toEqual(['body.intervalUsage']);
    expect(fields(await api('manager', 'PATCH', `/api/pm/plans/${id}`, { leadDays: -1 }))).toEqual(['body.leadDays']);
    expect((await api('manager', 'PATCH', `/api/pm/plans/${id}`, { leadDays: 14 })).json()).toMatchObject({ plan: { leadDays: 14 } });
    expect((await api('manager', 'DELETE', `/api/pm/plans/${id}`)).statusCode).toBe(204);
    expect((await api('manager', 'GET', `/api/pm/plans/${id}`)).statusCode).toBe(404);
  });

  it('opens exactly one dispatched preventive work order for a due calendar plan, lists it overdue, and advances on resolution', async () => {
    const dueAt = new Date(Date.now() - 2 * DAY - 3_600_000);
    const created = await api('manager', 'POST', '/api/pm/plans', { equipmentId: pumpId, title: 'Monthly pump service', kind: 'calendar', intervalDays: 30, nextDueAt: dueAt.toISOString(), priority: 'low' });
    expect(created.statusCode, created.body).toBe(201);
    const id = (created.json() as { plan: Plan }).plan.id;
    expect(await plan(id)).toMatchObject({ status: 'overdue', daysOverdue: 2, workOrder: null });
    const overdue = ((await api('technician', 'GET', '/api/pm/overdue')).json() as { plans: Plan[] }).plans;
    expect(overdue.map((p) => p.id)).toEqual([id]);
    expect(((await api('clerk', 'GET', '/api/pm/plans?status=ok')).json() as { plans: Plan[] }).plans).toEqual([]);

    const first = await hub.pm.sweep();
    expect(first.opened).toHaveLength(1);
    expect((await hub.pm.sweep()).opened).toHaveLength(0);
    const wos = await preventiveWorkOrders(pumpId);
    expect(wos).toHaveLength(1);
    expect(wos[0]).toMatchObject({ status: 'assigned' });
    expect(wos[0].assignee_id).not.toBeNull();
    expect((await plan(id)).workOrder).toMatchObject({ id: wos[0].id, status: 'assigned' });
    const history = (await api('clerk', 'GET', `/api/equipment/${pumpId}/history`)).json() as { workOrders: { id: number }[] };
    expect(history.workOrders.map((w) => w.id)).toContain(wos[0].id);

    await finish(wos[0].id);
    // The work order's bus event advances the plan: last done = resolution time, next due 30 days on.
    await vi.waitFor(async () => expect((await plan(id)).lastDoneAt).not.toBeNull(), { timeout: 5_000, interval: 50 });
    const advanced = await plan(id);
    const resolvedAt = (await hub.db.query<{ resolved_at: Date }>('SELECT resolved_at FROM work_orders WHERE id = $1', [wos[0].id])).rows[0].resolved_at;
    expect(advanced.lastDoneAt).toBe(new Date(resolvedAt).toISOString());
    expect(new Date(advanced.nextDueAt!).getTime()).toBe(new Date(resolvedAt).getTime() + 30 * DAY);
    expect(advanced).toMatchObject({ status: 'ok', workOrder: null, daysOverdue: null });
    expect((await hub.pm.sweep()).opened).toHaveLength(0);
    expect(await preventiveWorkOrders(pumpId)).toHaveLength(1);
    // The next occurrence, opened early by the lead time.
    expect((await hub.pm.sweep(new Date(new Date(advanced.nextDueAt!).getTime() - DAY))).opened).toHaveLength(0);
    await api('manager', 'PATCH', `/api/pm/plans/${id}`, { leadDays: 2 });
    expect((await hub.pm.sweep(new Date(new Date(advanced.nextDueAt!).getTime() - DAY))).opened).toHaveLength(1);
    expect(await preventiveWorkOrders(pumpId)).toHaveLength(2);
    await api('manager', 'PATCH', `/api/pm/plans/${id}`, { active: false });
  });

  it('opens a usage work order once the device\'s runHours pass the threshold, and advances from the reading at resolution', async () => {
    const created = await api('manager', 'POST', '/api/pm/plans', { equipmentId: pumpId, title: 'Bearing greasing', kind: 'usage', metric: 'runHours', intervalUsage: 500 });
    expect(created.statusCode, created.body).toBe(201);
    const id = (created.json() as { plan: Plan }).plan.id;
    expect(await plan(id)).toMatchObject({ nextDueUsage: 600, usageNow: 100, status: 'ok' });
    await setRunHours(599.5);
    expect((await hub.pm.sweep()).opened).toHaveLength(0);

    await setRunHours(610);
    expect(await plan(id)).toMatchObject({ status: 'due', usageOverdue: 10 });
    const [a, b] = await Promise.all([hub.pm.sweep(), hub.pm.sweep()]);
    expect(a.opened.length + b.opened.length).toBe(1);
    const woId = (a.opened[0] ?? b.opened[0]).workOrderId;
    await setRunHours(700);
    expect(await plan(id)).toMatchObject({ status: 'overdue', usageOverdue: 100, workOrder: { id: woId } });
    expect(((await api('manager', 'GET', '/api/pm/overdue')).json() as { plans: Plan[] }).plans.map((p) => p.id)).toEqual([id]);
    expect((await hub.pm.sweep()).opened).toHaveLength(0);

    await setRunHours(705);
    await finish(woId);
    await vi.waitFor(async () => expect((await plan(id)).lastDoneUsage).toBe(705), { timeout: 5_000, interval: 50 });
    expect(await plan(id)).toMatchObject({ nextDueUsage: 1205, status: 'ok', workOrder: null });
    expect(((await api('manager', 'GET', '/api/pm/overdue')).json() as { plans: Plan[] }).plans).toEqual([]);
  });

  // PGlite has one connection: nothing runs concurrently there.
  if (kind === 'postgres') it('opens one work order when two sweeps race on PostgreSQL', async () => {
    const created = await api('manager', 'POST', '/api/pm/plans', { equipmentId: liftId, title: 'Lift safety check', kind: 'calendar', intervalDays: 90, nextDueAt: new Date(Date.now() - DAY).toISOString() });
    expect(created.statusCode, created.body).toBe(201);
    const results = await Promise.all([hub.pm.sweep(), hub.pm.sweep(), hub.pm.sweep()]);
    expect(results.flatMap((r) => r.opened)).toHaveLength(1);
    expect(await preventiveWorkOrders(liftId)).toHaveLength(1);
  });
});
