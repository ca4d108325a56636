import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionAgent } from '../src/broker/index.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';

type Login = 'admin' | 'manager' | 'technician' | 'clerk' | 'owner';

/** Equipment ledger and spare parts over HTTP against the real migrations on both back-ends. */
describe.each(databaseKinds)('equipment and parts on %s', (kind) => {
  let hub: TestHub;
  const tokens = {} as Record<Login, string>;
  let deviceId: number;
  let woId: number;

  const api = (who: Login, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    hub.http.inject({ method, url, payload: payload as Record<string, unknown> | undefined, headers: { authorization: `Bearer ${tokens[who]}` } });
  const fields = (res: { json(): unknown }) => ((res.json() as { error: { details?: { issues?: { field: string }[] } } }).error.details?.issues ?? []).map((i) => i.field);
  const stockOf = async (code: string, store = 'main') => ((await api('manager', 'GET', `/api/parts/stock?part=${code}&store=${store}`)).json() as { stock: { qty: number }[] }).stock[0]?.qty;
  const movementCount = async (code: string) => ((await api('manager', 'GET', `/api/parts/movements?part=${code}`)).json() as { movements: unknown[] }).movements.length;

  beforeAll(async () => {
    hub = await startTestHub(kind);
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    for (const role of ['manager', 'technician', 'clerk', 'owner'] as const) {
      const cred = hub.auth.initialCredentials.find((c) => c.role === role);
      tokens[role] = await hub.login(cred!.username, demoPassword(hub, role));
    }
    await upsertSite(hub.db, { id: 'site-e', name: 'site-e' });
    await upsertBuilding(hub.db, { id: 'b1', siteId: 'site-e', name: 'b1' });
    await provisionAgent(hub.db, { id: 'agent-e', siteId: 'site-e', buildingId: 'b1' });
    deviceId = (await hub.db.query<{ id: number }>(`INSERT INTO devices (agent_id, code, site_id, building_id, type, name) VALUES ('agent-e', 'pump-1', 'site-e', 'b1', 'pump', 'Pump 1') RETURNING id::int AS id`)).rows[0].id;
    const metric = (await hub.db.query<{ id: number }>(`INSERT INTO device_metrics (device_id, name, type, unit) VALUES ($1, 'pressure', 'number', 'bar') RETURNING id`, [deviceId])).rows[0].id;
    const now = Date.now();
    await hub.db.query('INSERT INTO telemetry (series_id, ts, value) VALUES ($1, $2, 2.5), ($1, $3, 1.1), ($1, $4, 9.9)', [metric, new Date(now - 3_600_000), new Date(now - 60_000), new Date(now + 3_600_000)]);
    const wo = await api('manager', 'POST', '/api/work-orders', { kind: 'maintenance', title: 'Pump pressure low', priority: 'medium', trade: 'plumbing', buildingId: 'b1', deviceId });
    expect(wo.statusCode, wo.body).toBe(201);
    woId = (wo.json() as { workOrder: { id: number } }).workOrder.id;
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
  });

  it('keeps the equipment ledger: create, search, update, warranty, delete; per-field 400s and roles', async () => {
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const created = await api('technician', 'POST', '/api/equipment', {
      code: 'PUMP-B1-01', name: 'Booster pump 1', type: 'pump', model: 'CR 10', manufacturer: 'Grundfos', serial: 'SN-1', buildingId: 'b1', floor: 'B1', location: 'plant room',
      installDate: '2020-01-01', warrantyUntil: soon, parameters: { ratedKw: 7.5 }, deviceId,
    });
    expect(created.statusCode, created.body).toBe(201);
    const eq = (created.json() as { equipment: { id: number; warrantyUntil: string; parameters: unknown; deviceId: number } }).equipment;
    expect(eq).toMatchObject({ warrantyUntil: soon, parameters: { ratedKw: 7.5 }, deviceId });
    await api('manager', 'POST', '/api/equipment', { code: 'LIFT-1', name: 'Lift A', type: 'lift', buildingId: 'b1', warrantyUntil: '2099-01-01' });

    expect((await api('manager', 'POST', '/api/equipment', { code: 'PUMP-B1-01', name: 'dup', type: 'pump' })).statusCode).toBe(409);
    expect((await api('manager', 'POST', '/api/equipment', { code: 'X2', name: 'x', type: 'pump', deviceId })).statusCode).toBe(409);
    const bad = await api('manager', 'POST', '/api/equipment', { code: '', name: 'x', type: 'pump', installDate: '2020-13-01', deviceId: -1 });
    expect(bad.statusCode).toBe(400);
    expect(fields(bad)).toEqual(expect.arrayContaining(['body.code', 'body.installDate', 'body.deviceId']));
    expect(fields(await api('manager', 'POST', '/api/equipment', { code: 'X3', name: 'x', type: 'pump', installDate: '2021-01-01', warrantyUntil: '2020-01-01' }))).toEqual(['body.warrantyUntil']);
    expect(fields(await api('manager', 'POST', '/api/equipment', { code: 'X4', name: 'x', type: 'pump', buildingId: 'nowhere' }))).toEqual(['body.buildingId']);

    const search = async (qs: string) => ((await api('clerk', 'GET', `/api/equipment?${qs}`)).json() as { equipment: { code: string }[] }).equipment.map((e) => e.code);
    expect(await search('building=b1')).toEqual(['LIFT-1', 'PUMP-B1-01']);
    expect(await search('type=lift')).toEqual(['LIFT-1']);
    expect(await search('q=grundfos')).toEqual(['PUMP-B1-01']);
    expect(await search('warrantyWithinDays=30')).toEqual(['PUMP-B1-01']);

    const patched = await api('technician', 'PATCH', `/api/equipment/${eq.id}`, { location: 'plant room 2' });
    expect((patched.json() as { equipment: { location: string } }).equipment.location).toBe('plant room 2');
    expect(fields(await api('technician', 'PATCH', `/api/equipment/${eq.id}`, {}))).toEqual(['body']);

    for (const who of ['clerk', 'owner'] as const) {
      expect((await api(who, 'POST', '/api/equipment', { code: 'C1', name: 'c', type: 'pump' })).statusCode).toBe(403);
      expect((await api(who, 'PATCH', `/api/equipment/${eq.id}`, { name: 'c' })).statusCode).toBe(403);
    }
    expect((await api('owner', 'GET', '/api/equipment')).statusCode).toBe(403);

    const lift = (await search('type=lift'))[0];
    const liftId = ((await api('manager', 'GET', '/api/equipment?type=lift')).json() as { equipment: { id: number }[] }).equipment[0].id;
    expect(lift).toBe('LIFT-1');
    expect((await api('manager', 'DELETE', `/api/equipment/${liftId}`)).statusCode).toBe(204);
    expect((await api('manager', 'GET', `/api/equipment/${liftId}`)).statusCode).toBe(404);
  });

  it('balances receipt, issue, return and adjustment; refuses short issues without changing anything', async () => {
    expect((await api('manager', 'POST', '/api/parts', { code: 'SEAL-10', name: 'Mechanical seal', reorderLevel: 2 })).statusCode).toBe(201);
    expect((await api('manager', 'POST', '/api/parts', { code: 'SEAL-10', name: 'dup' })).statusCode).toBe(409);
    expect((await api('technician', 'POST', '/api/parts/receipts', { partCode: 'SEAL-10', store: 'main', qty: 10 })).statusCode).toBe(201);
    expect(await stockOf('SEAL-10')).toBe(10);

    const issued = await api('technician', 'POST', `/api/work-orders/${woId}/parts`, { parts: [{ partCode: 'SEAL-10', qty: 3 }] });
    expect(issued.statusCode, issued.body).toBe(201);
    expect((issued.json() as { movements: unknown[] }).movements).toEqual([expect.objectContaining({ partCode: 'SEAL-10', store: 'main', kind: 'issue', qty: -3, balance: 7, workOrderId: woId })]);
    expect((await api('technician', 'POST', '/api/parts/returns', { partCode: 'SEAL-10', store: 'main', qty: 1, workOrderId: woId })).statusCode).toBe(201);
    expect(await stockOf('SEAL-10')).toBe(8);
    expect((await api('manager', 'POST', '/api/parts/adjustments', { partCode: 'SEAL-10', store: 'main', qty: -2, reason: 'count' })).statusCode).toBe(201);
    expect(await stockOf('SEAL-10')).toBe(6);
    expect(fields(await api('manager', 'POST', '/api/parts/adjustments', { partCode: 'SEAL-10', store: 'main', qty: 0 }))).toEqual(expect.arrayContaining(['body.qty', 'body.reason']));
    expect((await api('technician', 'POST', '/api/parts/adjustments', { partCode: 'SEAL-10', store: 'main', qty: 1, reason: 'x' })).statusCode).toBe(403);
    expect(await movementCount('SEAL-10')).toBe(4);

    const short = await api('technician', 'POST', `/api/work-orders/${woId}/parts`, { store: 'main', parts: [{ partCode: 'SEAL-10', qty: 1 }, { partCode: 'SEAL-10', qty: 7 }] });
    expect(short.statusCode).toBe(409);
    expect((short.json() as { error: unknown }).error).toMatchObject({ code: 'WARDEN_ERR_INSUFFICIENT_STOCK', details: { partCode: 'SEAL-10', store: 'main', available: 5, requested: 7 } });
    expect(await stockOf('SEAL-10')).toBe(6);
    expect(await movementCount('SEAL-10')).toBe(4);
    const elsewhere = await api('technician', 'POST', `/api/work-orders/${woId}/parts`, { store: 'annex', parts: [{ partCode: 'SEAL-10', qty: 1 }] });
    expect((elsewhere.json() as { error: { details: unknown } }).error.details).toEqual({ partCode: 'SEAL-10', store: 'annex', available: 0, requested: 1 });
    expect((await api('manager', 'POST', '/api/parts/adjustments', { partCode: 'SEAL-10', store: 'main', qty: -7, reason: 'lost' })).statusCode).toBe(409);
    expect(await stockOf('SEAL-10')).toBe(6);

    expect(fields(await api('technician', 'POST', `/api/work-orders/${woId}/parts`, { parts: [{ partCode: 'SEAL-10', qty: 0 }] }))).toEqual(['body.parts.0.qty']);
    expect(fields(await api('technician', 'POST', '/api/parts/receipts', { partCode: '', store: 'main', qty: -1 }))).toEqual(expect.arrayContaining(['body.partCode', 'body.qty']));
    expect((await api('technician', 'POST', '/api/parts/receipts', { partCode: 'NOPE', store: 'main', qty: 1 })).statusCode).toBe(404);
    // Clerks keep the stores (they receive deliveries) but neither issue parts nor define them.
    expect((await api('owner', 'POST', '/api/parts/receipts', { partCode: 'SEAL-10', store: 'main', qty: 1 })).statusCode).toBe(403);
    for (const who of ['clerk', 'owner'] as const) {
      expect((await api(who, 'POST', `/api/work-orders/${woId}/parts`, { parts: [{ partCode: 'SEAL-10', qty: 1 }] })).statusCode).toBe(403);
      expect((await api(who, 'POST', '/api/parts', { code: 'Z', name: 'z' })).statusCode).toBe(403);
    }
  });

  it('raises a low-stock alert when a store falls to its reorder level, and lists it', async () => {
    await api('manager', 'POST', '/api/parts', { code: 'BELT-A', name: 'V-belt', reorderLevel: 3 });
    await api('technician', 'POST', '/api/parts/receipts', { partCode: 'BELT-A', store: 'main', qty: 5 });
    const lastBefore = Number((await hub.db.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM live_events')).rows[0].id);
    const appended: number[] = [];
    const off = hub.bus.on('live.appended', ({ lastId }) => appended.push(lastId));
    expect((await api('technician', 'POST', `/api/work-orders/${woId}/parts`, { parts: [{ partCode: 'BELT-A', qty: 2 }] })).statusCode).toBe(201);
    off();
    const { rows } = await hub.db.query<{ id: string; type: string; audience: string[]; data: Record<string, unknown> }>('SELECT id, type, audience, data FROM live_events WHERE id > $1', [lastBefore]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'parts.lowStock', audience: ['admin', 'manager', 'technician'], data: { partCode: 'BELT-A', store: 'main', qty: 3, reorderLevel: 3 } });
    expect(appended).toEqual([Number(rows[0].id)]);
    const audit = await hub.db.query(`SELECT details FROM audit_log WHERE action = 'part.lowStock' AND details->>'code' = 'BELT-A'`);
    expect(audit.rows).toHaveLength(1);
    const low = (await api('clerk', 'GET', '/api/parts/low-stock')).json() as { stock: { partCode: string; qty: number; low: boolean }[] };
    expect(low.stock.find((s) => s.partCode === 'BELT-A')).toMatchObject({ qty: 3, low: true });
  });

  it('shows the maintenance history: work orders, parts used on them, readings when they were opened', async () => {
    const id = ((await api('manager', 'GET', '/api/equipment?q=PUMP-B1')).json() as { equipment: { id: number }[] }).equipment[0].id;
    const res = await api('clerk', 'GET', `/api/equipment/${id}/history`);
    expect(res.statusCode, res.body).toBe(200);
    const h = res.json() as { workOrders: { id: number; parts: unknown[]; readings: { metric: string; value: number }[] }[] };
    expect(h.workOrders).toHaveLength(1);
    expect(h.workOrders[0].id).toBe(woId);
    expect(h.workOrders[0].parts).toEqual([
      { partCode: 'BELT-A', partName: 'V-belt', unit: 'pcs', qty: 2 },
      { partCode: 'SEAL-10', partName: 'Mechanical seal', unit: 'pcs', qty: 2 },
    ]);
    expect(h.workOrders[0].readings).toEqual([expect.objectContaining({ metric: 'pressure', value: 1.1, unit: 'bar' })]);
  });

  // PGlite has one connection: there is nothing concurrent to test there.
  if (kind === 'postgres') it('never issues the last units twice under concurrency', async () => {
    await api('manager', 'POST', '/api/parts', { code: 'FUSE-1', name: 'Fuse' });
    await api('technician', 'POST', '/api/parts/receipts', { partCode: 'FUSE-1', store: 'main', qty: 3 });
    for (let round = 0; round < 3; round++) {
      if (round) await api('technician', 'POST', '/api/parts/receipts', { partCode: 'FUSE-1', store: 'main', qty: 3 - (await stockOf('FUSE-1'))! });
      const results = await Promise.all([1, 2].map(() => api('technician', 'POST', `/api/work-orders/${woId}/parts`, { parts: [{ partCode: 'FUSE-1', qty: 2 }] })));
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
      expect(await stockOf('FUSE-1')).toBe(1);
    }
    const { rows } = await hub.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM part_movements m JOIN parts p ON p.id = m.part_id WHERE p.code = 'FUSE-1' AND kind = 'issue'`);
    expect(rows[0].n).toBe(3);
  });
});
