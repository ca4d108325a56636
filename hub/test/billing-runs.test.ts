import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { BillRunService } from '../src/billing/bill-run.service.js';
import { apportion } from '../src/billing/money.js';
import { provisionAgent } from '../src/broker/index.js';
import { openDatabase } from '../src/db/database.js';
import { EventBus } from '../src/events/event-bus.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { demoPassword, startTestHub, type TestHub } from './support/hub.js';

type Login = 'clerk' | 'manager' | 'technician';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Fee schedule, meter readings from telemetry with their checks, shared-area
 * apportionment and bill runs, through the HTTP API on both back-ends. The estate is in
 * Asia/Shanghai: period 2026-11 runs from 2026-10-31T16:00Z to 2026-11-30T16:00Z.
 */
describe.each(databaseKinds)('bill runs on %s', (kind) => {
  let hub: TestHub;
  const tokens = {} as Record<Login, string>;
  const unit: Record<string, number> = {};
  const item: Record<string, number> = {};
  const meter: Record<string, number> = {};
  const readings: Record<string, Json> = {};
  let ownerA: number;

  const api = (who: Login, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    hub.http.inject({ method, url, payload: payload as Record<string, unknown> | undefined, headers: { authorization: `Bearer ${tokens[who]}` } });
  const ok = async (who: Login, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, status = 200): Promise<Json> => {
    const res = await api(who, method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json();
  };
  const count = async (sql: string, values: unknown[] = []) => Number((await hub.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${sql}`, values)).rows[0].n);
  const fieldsOf = (body: Json) => (body.error.details.issues as { field: string }[]).map((i) => i.field);

  /** A meter device with a cumulative metric, and its register readings (ISO time → value). */
  const meterDevice = async (building: string, code: string, values: Record<string, number>) => {
    const id = (await hub.db.query<{ id: number }>(
      `INSERT INTO devices (agent_id, code, site_id, building_id, type, name) VALUES ($1, $2, 'site-m', $3, 'meter', $2) RETURNING id::int AS id`,
      [`agent-${building}`, code, building],
    )).rows[0].id;
    const series = (await hub.db.query<{ id: number }>(`INSERT INTO device_metrics (device_id, name, type, unit, cumulative) VALUES ($1, 'total', 'number', 'm3', true) RETURNING id`, [id])).rows[0].id;
    for (const [ts, value] of Object.entries(values)) await hub.db.query('INSERT INTO telemetry (series_id, ts, value) VALUES ($1, $2, $3)', [series, ts, value]);
    return id;
  };
  // Readings an hour before each month boundary of the estate (midnight in Shanghai).
  const AUG = '2026-08-31T15:00:00Z';
  const SEP = '2026-09-30T15:00:00Z';
  const OCT = '2026-10-31T15:00:00Z';
  const NOV = '2026-11-30T15:00:00Z';

  beforeAll(async () => {
    hub = await startTestHub(kind);
    for (const who of ['clerk', 'manager', 'technician'] as const) tokens[who] = await hub.login(who, demoPassword(hub, who));
    await upsertSite(hub.db, { id: 'site-m', name: 'Site M', timezone: 'Asia/Shanghai' });
    for (const b of ['b1', 'b2']) {
      await upsertBuilding(hub.db, { id: b, siteId: 'site-m', name: `Tower ${b}` });
      await provisionAgent(hub.db, { id: `agent-${b}`, siteId: 'site-m', buildingId: b });
    }
    const units: [string, string, string | null, string | null][] = [
      ['A', 'b1', '100.50', '3br'], ['B', 'b1', '80.00', '2br'], ['C', 'b1', '60.25', '3br'], ['D', 'b1', '70.00', '2br'],
      ['E', 'b1', '55.55', '2br'], ['F', 'b1', '90.10', '2br'], ['G', 'b1', null, null], ['H', 'b2', '50.00', '3br'], ['I', 'b2', '40.00', '1br'],
    ];
    for (const [name, b, area, layout] of units) {
      unit[name] = (await hub.db.query<{ id: number }>(`INSERT INTO units (building_id, number, area_m2, layout) VALUES ($1, $2, $3, $4) RETURNING id::int AS id`, [b, `${b}-${name}`, area, layout])).rows[0].id;
    }
    ownerA = (await hub.db.query<{ id: number }>(`INSERT INTO owners (name, national_id_enc, national_id_index) VALUES ('Amy Owner', '\\x01', '\\x02') RETURNING id::int AS id`)).rows[0].id;
    await hub.db.query(`INSERT INTO unit_owners (unit_id, owner_id, role, from_date, created_by) VALUES ($1, $2, 'owner', '2020-01-01', 'test')`, [unit.A, ownerA]);
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
  });

  it('sets up fee items, rates and unit charges, audited, refusing bad input field by field', async () => {
    const create = async (body: Json) => (await ok('manager', 'POST', '/api/billing/fee-items', body, 201)).item;
    item.mgmt = (await create({ code: 'mgmt', name: 'Management fee', nameZh: '物业管理费', basis: 'area' })).id;
    item.parking = (await create({ code: 'parking', name: 'Parking space', basis: 'fixed', dueDays: 10 })).id;
    item.water = (await create({ code: 'water', name: 'Water', basis: 'meter', meterKind: 'water' })).id;
    item.repair = (await create({ code: 'repair', name: 'Repair', basis: 'oneoff' })).id;
    item.insurance = (await create({ code: 'insurance', name: 'Insurance', basis: 'area', cycleMonths: 12 })).id;

    const rate = (id: number, body: Json) => ok('manager', 'POST', `/api/billing/fee-items/${id}/rates`, body, 201);
    await rate(item.mgmt, { rateFen: '250', effectiveFrom: '2026-01-01' });
    await rate(item.mgmt, { unitLayout: '3br', rateFen: 260, effectiveFrom: '2026-01-01' });
    await rate(item.mgmt, { buildingId: 'b1', rateFen: '270', effectiveFrom: '2025-01-01' });
    await rate(item.mgmt, { buildingId: 'b1', rateFen: '280', effectiveFrom: '2026-01-01' });
    await rate(item.mgmt, { buildingId: 'b1', unitLayout: '3br', rateFen: '300', effectiveFrom: '2026-01-01' });
    await rate(item.mgmt, { buildingId: 'b1', unitLayout: '3br', rateFen: '999', effectiveFrom: '2026-12-01' });
    await rate(item.parking, { rateFen: '15000', effectiveFrom: '2026-01-01' });
    const water = await rate(item.water, { rateFen: '350.5', effectiveFrom: '2026-01-01' });
    expect(water.rate).toMatchObject({ rateFen: '350.5000', buildingId: null, effectiveFrom: '2026-01-01' });
    await rate(item.insurance, { rateFen: '10', effectiveFrom: '2026-01-01' });

    const before = await count('fee_rates');
    const bad = await api('manager', 'POST', `/api/billing/fee-items/${item.mgmt}/rates`, { rateFen: '1.23456', effectiveFrom: '2026-02-30' });
    expect(bad.statusCode).toBe(400);
    expect(fieldsOf(bad.json())).toEqual(expect.arrayContaining(['body.rateFen', 'body.effectiveFrom']));
    const dup = await api('manager', 'POST', `/api/billing/fee-items/${item.mgmt}/rates`, { rateFen: '1', effectiveFrom: '2026-01-01' });
    expect(dup.statusCode).toBe(400);
    expect(fieldsOf(dup.json())).toEqual(['effectiveFrom']);
    const noKind = await api('manager', 'POST', '/api/billing/fee-items', { code: 'elec', name: 'Electricity', basis: 'meter' });
    expect(noKind.statusCode).toBe(400);
    expect(fieldsOf(noKind.json())).toEqual(['meterKind']);
    expect(await count('fee_rates')).toBe(before);
    expect(await count('fee_items')).toBe(5);
    // Technicians do not touch money.
    expect((await api('technician', 'GET', '/api/billing/fee-items')).statusCode).toBe(403);

    await ok('clerk', 'POST', `/api/billing/units/${unit.A}/charges`, { feeItemId: item.parking, quantity: 2, fromPeriod: '2026-01' }, 201);
    const ended = (await ok('clerk', 'POST', `/api/billing/units/${unit.B}/charges`, { feeItemId: item.parking, fromPeriod: '2026-01' }, 201)).charge;
    await ok('clerk', 'POST', `/api/billing/unit-charges/${ended.id}/end`, { toPeriod: '2026-10' });
    await ok('clerk', 'POST', `/api/billing/units/${unit.B}/charges`, { feeItemId: item.repair, amountFen: 5000, description: 'Door lock repair', fromPeriod: '2026-11' }, 201);
    const noAmount = await api('clerk', 'POST', `/api/billing/units/${unit.B}/charges`, { feeItemId: item.repair, fromPeriod: '2026-11' });
    expect(fieldsOf(noAmount.json())).toEqual(['amountFen']);
    expect((await ok('clerk', 'GET', `/api/billing/units/${unit.B}/charges`)).charges).toHaveLength(2);

    const items = (await ok('clerk', 'GET', '/api/billing/fee-items')).items as Json[];
    expect(items.find((i) => i.code === 'mgmt')!.rates).toHaveLength(6);
    expect(await count(`audit_log WHERE action LIKE 'billing.%'`)).toBe(5 + 9 + 4);
  });

  it('registers meters and reads each check case from telemetry, exactly', async () => {
    const add = async (name: string, body: Json) => (meter[name] = (await ok('clerk', 'POST', '/api/billing/meters', body, 201)).meter.id);
    const installed = '2026-08-01T00:00:00Z';
    await add('A', { deviceId: await meterDevice('b1', 'wm-a', { [SEP]: 990, [OCT]: 1000, [NOV]: 1012.345 }), metric: 'total', kind: 'water', unitId: unit.A, installedAt: installed });
    await add('B', { deviceId: await meterDevice('b1', 'wm-b', { [OCT]: 9990, [NOV]: 5.5 }), metric: 'total', kind: 'water', unitId: unit.B, rolloverAt: '9999.999', installedAt: installed });
    await add('C', { deviceId: await meterDevice('b1', 'wm-c', { [OCT]: 50, [NOV]: 40 }), metric: 'total', kind: 'water', unitId: unit.C, installedAt: installed });
    // D's register went silent a week before the period's end: too far to stand for it.
    await add('D', { deviceId: await meterDevice('b1', 'wm-d', { [OCT]: 200, '2026-11-23T00:00:00Z': 205 }), metric: 'total', kind: 'water', unitId: unit.D, installedAt: installed });
    await add('E', { deviceId: await meterDevice('b1', 'wm-e1', { [OCT]: 900, '2026-11-15T00:00:00Z': 910 }), metric: 'total', kind: 'water', unitId: unit.E, installedAt: installed });
    await meterDevice('b1', 'wm-f', { [AUG]: 100, [SEP]: 101, [OCT]: 102.2, [NOV]: 150 });
    await add('F', { deviceCode: 'wm-f', metric: 'total', kind: 'water', unitId: unit.F, installedAt: installed });
    const shared = (await ok('clerk', 'POST', '/api/billing/meters', { deviceId: await meterDevice('b1', 'wm-shared', { [OCT]: 0, [NOV]: 100 }), metric: 'total', kind: 'water', installedAt: installed }, 201)).meter;
    expect(shared).toMatchObject({ unitId: null, buildingId: 'b1', multiplier: '1.0000' });

    const newDevice = await meterDevice('b1', 'wm-e2', { [NOV]: 3 });
    const replaced = await ok('clerk', 'POST', `/api/billing/meters/${meter.E}/replace`, { finalValue: '910', newDeviceId: newDevice, initialValue: '0.5', at: '2026-11-15T02:00:00Z' });
    expect(replaced.old).toMatchObject({ finalValue: '910.000', removedAt: '2026-11-15T02:00:00.000Z' });
    expect(replaced.meter).toMatchObject({ unitId: unit.E, initialValue: '0.500', replacesId: meter.E });
    meter.E = replaced.meter.id;
    const badMeter = await api('clerk', 'POST', '/api/billing/meters', { deviceId: newDevice, metric: 'total', kind: 'gas', rolloverAt: '-1' });
    expect(badMeter.statusCode).toBe(400);
    expect(fieldsOf(badMeter.json())).toEqual(expect.arrayContaining(['body.kind', 'body.rolloverAt']));

    // Two earlier periods give F its usual consumption (1.000 and 1.200 m³).
    for (const period of ['2026-09', '2026-10']) await ok('clerk', 'POST', '/api/billing/readings/check', { period, buildingId: 'b1' });
    const checked = await ok('clerk', 'POST', '/api/billing/readings/check', { period: '2026-11' });
    expect(checked).toMatchObject({ checked: 7, ok: 2, flagged: 5 });
    for (const r of checked.readings as Json[]) readings[Object.keys(meter).find((k) => meter[k] === r.meterId) ?? 'shared'] = r;
    expect(readings.A).toMatchObject({ startValue: '1000.000', endValue: '1012.345', consumption: '12.345', flags: [], status: 'ok', source: 'telemetry', unitNumber: 'b1-A' });
    expect(readings.B).toMatchObject({ consumption: '15.499', flags: ['rollover'], status: 'flagged' });
    expect(readings.C).toMatchObject({ consumption: '-10.000', flags: ['negative'], status: 'flagged' });
    expect(readings.D).toMatchObject({ startValue: '200.000', endValue: null, consumption: null, flags: ['missing'], source: 'estimated', status: 'flagged' });
    expect(readings.E).toMatchObject({ startValue: '900.000', endValue: '3.000', consumption: '12.500', flags: ['replaced'], status: 'flagged' });
    expect(readings.F).toMatchObject({ consumption: '47.800', usual: '1.100', flags: ['implausible'], status: 'flagged' });
    expect(readings.shared).toMatchObject({ consumption: '100.000', unitId: null, status: 'ok' });
  });

  it('blocks units with unresolved readings, and lets a clerk confirm or correct them with a reason, audited', async () => {
    const preview = await ok('clerk', 'POST', '/api/billing/runs/preview', { period: '2026-11' });
    expect((preview.blocked as Json[]).map((b) => b.unitId).sort()).toEqual([unit.B, unit.C, unit.D, unit.E, unit.F].sort());
    expect(preview.blocked.find((b: Json) => b.unitId === unit.B).reason).toContain('rollover');

    expect((await api('clerk', 'POST', `/api/billing/readings/${readings.C.id}/confirm`, { reason: 'looks fine' })).statusCode).toBe(409);
    expect((await api('clerk', 'POST', `/api/billing/readings/${readings.A.id}/confirm`, { reason: 'ok' })).statusCode).toBe(409);
    const noReason = await api('clerk', 'POST', `/api/billing/readings/${readings.C.id}/correct`, { endValue: '60' });
    expect(fieldsOf(noReason.json())).toEqual(['body.reason']);
    expect(await count('meter_reading_corrections')).toBe(0);

    expect((await ok('clerk', 'POST', `/api/billing/readings/${readings.B.id}/confirm`, { reason: 'register wrapped, photo on file' })).reading).toMatchObject({ status: 'confirmed', consumption: '15.499', resolvedBy: 'clerk' });
    expect((await ok('clerk', 'POST', `/api/billing/readings/${readings.C.id}/correct`, { endValue: '60', reason: 'misread digit' })).reading).toMatchObject({ status: 'corrected', source: 'manual', endValue: '60.000', consumption: '10.000' });
    expect((await ok('clerk', 'POST', `/api/billing/readings/${readings.D.id}/correct`, { consumption: 7.5, reason: 'read on site' })).reading).toMatchObject({ status: 'corrected', consumption: '7.500' });
    for (const name of ['E', 'F']) await ok('clerk', 'POST', `/api/billing/readings/${readings[name].id}/confirm`, { reason: name === 'F' ? 'leak confirmed by plumber' : 'meter changed' });

    const corrections = (await hub.db.query(`SELECT action, reason, actor, before->>'status' AS was, after->>'status' AS now FROM meter_reading_corrections WHERE reading_id = $1`, [readings.C.id])).rows;
    expect(corrections).toEqual([{ action: 'correct', reason: 'misread digit', actor: 'clerk', was: 'flagged', now: 'corrected' }]);
    expect(await count(`audit_log WHERE action IN ('billing.reading.confirm', 'billing.reading.correct')`)).toBe(5);

    // A re-check keeps what the clerk resolved.
    const again = await ok('clerk', 'POST', '/api/billing/readings/check', { period: '2026-11', buildingId: 'b1' });
    expect(again).toMatchObject({ checked: 7, flagged: 0 });
    expect((again.readings as Json[]).find((r) => r.id === readings.C.id)).toMatchObject({ status: 'corrected', consumption: '10.000' });
    expect((await ok('clerk', 'GET', '/api/billing/readings?period=2026-11&status=confirmed')).readings).toHaveLength(3);
  });

  it('previews exactly what the run makes: lines, shared-area shares to the fen, owner, due date, ledger, credit', async () => {
    // Unit B paid ahead: 20.00 yuan of credit, applied to its new bill.
    await ok('clerk', 'POST', '/api/billing/payments', { unitId: unit.B, amountFen: 2000, method: 'cash', idempotencyKey: `credit-${kind}` }, 201);

    const body = { period: '2026-11', issuedOn: '2026-12-01' };
    const preview = await ok('clerk', 'POST', '/api/billing/runs/preview', body);
    expect(preview).toMatchObject({ units: 9, billCount: 8, existing: 0, blocked: [], unitsSkipped: 1 });
    expect(await count('bills')).toBe(0);

    const { run } = await ok('clerk', 'POST', '/api/billing/runs', body, 201);
    expect(run).toMatchObject({ status: 'done', billsCreated: 8, billsExisting: 0, unitsSkipped: 1, totalFen: preview.totalFen, period: '2026-11' });

    const bills = (await hub.db.query<Json>(
      `SELECT b.id::int AS id, b.number, b.unit_id::int AS "unitId", b.owner_id::int AS "ownerId", to_char(b.due_on, 'YYYY-MM-DD') AS "dueOn", b.total_fen::int AS "totalFen",
              (SELECT json_agg(json_build_object('description', l.description, 'quantity', l.quantity::text, 'unitPriceFen', l.unit_price_fen::text, 'amountFen', l.amount_fen, 'feeItemId', l.fee_item_id, 'meterReadingId', l.meter_reading_id) ORDER BY l.line_no) FROM bill_lines l WHERE l.bill_id = b.id) AS lines
         FROM bills b WHERE b.period = '2026-11' ORDER BY b.unit_id`,
    )).rows;
    expect(bills.map((b) => ({ unitId: b.unitId, ownerId: b.ownerId, dueOn: b.dueOn, totalFen: b.totalFen, lines: b.lines })))
      .toEqual((preview.bills as Json[]).map((d) => ({ unitId: d.unitId, ownerId: d.ownerId, dueOn: d.dueOn, totalFen: d.totalFen, lines: d.lines })));
    expect(bills.every((b) => /^B202611-\d{6}$/.test(b.number))).toBe(true);

    const billOf = (name: string) => bills.find((b) => b.unitId === unit[name])!;
    const amounts = (name: string) => Object.fromEntries((billOf(name).lines as Json[]).map((l) => [l.description, l.amountFen]));
    // A: b1 + 3br rate (300), not the one from December; 2 parking spaces due after 10 days; water 12.345 × 350.5 half-up.
    expect(billOf('A')).toMatchObject({ ownerId: ownerA, dueOn: '2026-12-11' });
    expect(amounts('A')).toMatchObject({ 'Management fee': 30150, 'Parking space': 30000, Water: 4327 });
    expect(billOf('A').lines.find((l: Json) => l.description === 'Parking space')).toMatchObject({ quantity: '2.000', unitPriceFen: '15000.0000' });
    // B: building rate (280); its parking ended in October; its one-off repair.
    expect(amounts('B')).toMatchObject({ 'Management fee': 22400, 'Door lock repair': 5000, Water: 5432 });
    expect(amounts('B')['Parking space']).toBeUndefined();
    expect(billOf('B')).toMatchObject({ ownerId: null, dueOn: '2026-12-16' });
    // b2: layout-only rate for 3br (260), estate-wide for the rest (250); no insurance in November (cycle 12).
    expect(amounts('H')).toEqual({ 'Management fee': 13000 });
    expect(amounts('I')).toEqual({ 'Management fee': 10000 });
    expect(bills.find((b) => b.unitId === unit.G)).toBeUndefined();

    // The shared water (100 m³ × 350.5 = 35,050 fen) split over b1's units with an area, by area, to the fen.
    const sharedName = 'Water (shared area 公摊)';
    const members = ['A', 'B', 'C', 'D', 'E', 'F'];
    const expected = apportion(35050, [10050n, 8000n, 6025n, 7000n, 5555n, 9010n]);
    expect(members.map((n) => amounts(n)[sharedName])).toEqual(expected);
    expect(expected.reduce((a, b) => a + b, 0)).toBe(35050);

    // Every line is one charge entry; the charges of a bill add up to its total; B's credit applied as a pair.
    for (const b of bills) {
      const e = (await hub.db.query<{ charges: string; all: string; n: string }>(
        `SELECT coalesce(sum(amount_fen) FILTER (WHERE kind = 'charge'), 0)::text AS charges, sum(amount_fen)::text AS all, count(*) FILTER (WHERE kind = 'charge')::text AS n FROM ledger_entries WHERE bill_id = $1`,
        [b.id],
      )).rows[0];
      expect(Number(e.charges)).toBe(b.totalFen);
      expect(Number(e.n)).toBe(b.lines.length);
      expect(Number(e.all)).toBe(b.unitId === unit.B ? b.totalFen - 2000 : b.totalFen);
    }
    const account = (await hub.db.query<{ s: string }>(`SELECT sum(amount_fen)::text AS s FROM ledger_entries WHERE unit_id = $1 AND bill_id IS NULL`, [unit.B])).rows[0];
    expect(Number(account.s)).toBe(0);
    expect(await count(`live_events WHERE type = 'billing.run'`)).toBe(1);
  });

  it('re-running the period creates nothing, and a billed reading can no longer be changed', async () => {
    const { run } = await ok('clerk', 'POST', '/api/billing/runs', { period: '2026-11' }, 201);
    expect(run).toMatchObject({ billsCreated: 0, billsExisting: 8, totalFen: 0 });
    expect(await count(`bills WHERE period = '2026-11'`)).toBe(8);
    expect((await api('clerk', 'POST', `/api/billing/readings/${readings.A.id}/correct`, { consumption: '1', reason: 'late change' })).statusCode).toBe(409);
    expect((await ok('clerk', 'GET', '/api/billing/runs?period=2026-11')).runs).toHaveLength(2);
  });

  it('refuses a bad run request field by field, writing nothing', async () => {
    const runs = await count('bill_runs');
    const bad = await api('clerk', 'POST', '/api/billing/runs', { period: '2026-13', issuedOn: 'tomorrow', extra: 1 });
    expect(bad.statusCode).toBe(400);
    expect(fieldsOf(bad.json())).toEqual(expect.arrayContaining(['body.period', 'body.issuedOn']));
    expect(await count('bill_runs')).toBe(runs);
  });

  if (kind === 'postgres') {
    it('runs of a period at once, on this hub and on a second one, make exactly one bill per unit', async () => {
      // A second hub's bill-run service: its own connections to the same database.
      const other = await openDatabase({ url: hub.database.url, dataDir: '.', poolSize: 4, logger: pino({ level: 'silent' }) });
      try {
        const otherHub = new BillRunService(other, new EventBus(), pino({ level: 'silent' }), 'hub-b');
        const clerk = (await hub.db.query<{ id: number }>(`SELECT id::int AS id FROM users WHERE username = 'clerk'`)).rows[0].id;
        const body = { period: '2026-12', buildingId: 'b2' };
        const [one, two, three] = await Promise.all([
          api('clerk', 'POST', '/api/billing/runs', body),
          api('manager', 'POST', '/api/billing/runs', body),
          otherHub.run({ id: clerk, username: 'clerk', displayName: 'Clerk', role: 'clerk', buildings: [] }, body),
        ]);
        expect([one.statusCode, two.statusCode]).toEqual([201, 201]);
        const runs = [one.json().run, two.json().run, three];
        expect(runs.map((r) => r.billsCreated).sort()).toEqual([0, 0, 2]);
        expect(runs.map((r) => r.hubId).sort()).toEqual(['hub-b', hub.config.HUB_ID, hub.config.HUB_ID].sort());
        const perUnit = (await hub.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM bills WHERE period = '2026-12' GROUP BY unit_id`)).rows;
        expect(perUnit).toEqual([{ n: 1 }, { n: 1 }]);
      } finally {
        await other.close();
      }
    });
  }
});
