import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultBook } from '../../simulators/src/faults/fault-book.js';
import { WaterMeterModel } from '../../simulators/src/models/meter.model.js';
import { apportion } from '../src/billing/index.js';
import { residentIdCheckChar } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { FakeAgent } from './support/fake-agent.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { startMailbox, type Mailbox } from './support/mailbox.js';
import { pdfText } from './support/pdf-text.js';
import { waitFor } from './support/wait.js';

const SITE = 'site-m';
const BUILDING = 'bm1';
const HOUR = 3_600_000;
/** Midnight in Shanghai (the site's time zone) of a calendar day, as epoch ms. */
const shanghai = (day: string) => Date.parse(`${day}T00:00:00+08:00`);

/** Flats of the estate: area and meter; A is the demo owner's, B has a parking space. */
const FLATS = [
  { key: 'A', number: '0101', areaM2: 89.5, meter: 'wm-0101', dailyM3: 0.45 },
  { key: 'B', number: '0102', areaM2: 120, meter: 'wm-0102', dailyM3: 0.6 },
  { key: 'C', number: '0103', areaM2: 65.25, meter: 'wm-0103', dailyM3: 0.3 },
] as const;
type FlatKey = (typeof FLATS)[number]['key'];
const SHARED_METER = 'wm-common';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Two months of a small estate's money, end to end through the real parts: water meters
 * simulated by the simulators' household model publish their registers over MQTT (the
 * embedded broker), the hub stores them, readings are checked per period, bill runs make
 * one bill per flat (twice at once, and again, still one), payments partial and over,
 * credit carried into the next bill, late fees posted once a day, a receipt PDF read back,
 * a reminder e-mail received by a real SMTP server, arrears warnings raised and cleared;
 * and at every step the ledger adds up to the fen.
 */
describe.each(databaseKinds)('a billing month on %s', (kind) => {
  let hub: TestHub;
  let mailbox: Mailbox;
  let agent: FakeAgent;
  const tokens: Record<string, string> = {};
  const unit = {} as Record<FlatKey, number>;
  const ownerEmail = (k: FlatKey) => `owner.${k.toLowerCase()}@estate.test`;
  /** Register values published per meter, by timestamp. */
  const published = new Map<string, Map<number, number>>();

  const api = async (who: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown): Promise<Json> => {
    const res = await hub.http.inject({ method, url, payload: payload as Json | undefined, headers: { authorization: `Bearer ${tokens[who]}` } });
    if (res.statusCode >= 300) throw new Error(`${method} ${url} → ${res.statusCode}: ${res.body}`);
    return res.headers['content-type']?.toString().startsWith('application/json') ? (res.json() as Json) : { raw: res.rawPayload, type: res.headers['content-type'] };
  };
  const status = async (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    (await hub.http.inject({ method, url, payload: payload as Json | undefined, headers: { authorization: `Bearer ${tokens[who]}` } })).statusCode;
  const one = async <T>(sql: string, args: unknown[] = []) => (await hub.db.query<T & Record<string, unknown>>(sql, args)).rows[0];
  const num = async (sql: string, args: unknown[] = []) => Number((await one<{ n: string }>(sql, args)).n);

  /** The register at the last published reading at or before `ts` (what the hub must have read), in litres. */
  const registerAt = (meter: string, ts: number) => {
    let best = -Infinity;
    for (const t of published.get(meter)!.keys()) if (t <= ts && t > best) best = t;
    return Math.round(published.get(meter)!.get(best)! * 1000);
  };
  const litres = (meter: string, from: string, to: string) => registerAt(meter, shanghai(to)) - registerAt(meter, shanghai(from));

  /** Every invariant of the ledger, to the fen. */
  const expectLedgerBalances = async () => {
    const totals = await one<{ entries: string; charged: string; late: string; paid: string; refunded: string }>(
      `SELECT (SELECT coalesce(sum(amount_fen), 0) FROM ledger_entries) AS entries,
              (SELECT coalesce(sum(total_fen), 0) FROM bills WHERE voided_at IS NULL) AS charged,
              (SELECT coalesce(sum(amount_fen), 0) FROM ledger_entries WHERE kind = 'late_fee') AS late,
              (SELECT coalesce(sum(amount_fen), 0) FROM payments WHERE kind = 'payment') AS paid,
              (SELECT coalesce(sum(amount_fen), 0) FROM payments WHERE kind = 'refund') AS refunded`,
    );
    expect(Number(totals.entries)).toBe(Number(totals.charged) + Number(totals.late) - Number(totals.paid) + Number(totals.refunded));
    // Each bill: its charges are its lines, its lines its total.
    const bills = (await hub.db.query<{ id: string; total_fen: string; lines: string; charges: string }>(
      `SELECT b.id, b.total_fen,
              (SELECT sum(amount_fen) FROM bill_lines WHERE bill_id = b.id) AS lines,
              (SELECT sum(amount_fen) FROM ledger_entries WHERE bill_id = b.id AND kind = 'charge') AS charges
         FROM bills b`,
    )).rows;
    for (const b of bills) {
      expect(Number(b.lines)).toBe(Number(b.total_fen));
      expect(Number(b.charges)).toBe(Number(b.total_fen));
    }
    // Each flat's account: its balance is what its bills still owe less its credit.
    for (const k of Object.keys(unit) as FlatKey[]) {
      const account = await api('clerk', 'GET', `/api/billing/units/${unit[k]}/account`);
      const owed = await num(`SELECT coalesce(sum(bb.outstanding_fen), 0) AS n FROM bill_balances bb JOIN bills b ON b.id = bb.bill_id WHERE b.unit_id = $1`, [unit[k]]);
      expect(account.balanceFen).toBe(owed - account.creditFen);
      expect(account.balanceFen).toBe(await num('SELECT coalesce(sum(amount_fen), 0) AS n FROM ledger_entries WHERE unit_id = $1', [unit[k]]));
    }
  };

  beforeAll(async () => {
    mailbox = await startMailbox();
    hub = await startTestHub(kind, { SMTP_URL: mailbox.url, MAIL_FROM: 'Estate Office <office@estate.test>', SMS_PROVIDER: 'none' });
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    for (const who of ['clerk', 'owner', 'manager'] as const) tokens[who] = await hub.login(who, demoPassword(hub, who));
    agent = await FakeAgent.connect(hub, { site: SITE, building: BUILDING, agent: 'agent-m' });

    // Records, as the office keeps them.
    const ownerLogin = (await one<{ id: number }>(`SELECT id FROM users WHERE username = 'owner'`)).id;
    for (const [i, f] of FLATS.entries()) {
      unit[f.key] = (await api('clerk', 'POST', '/api/units', { buildingId: BUILDING, number: f.number, areaM2: f.areaM2, layout: '2室2厅', status: 'occupied' })).unit.id;
      const first17 = `3101011985061${String(i).padStart(4, '0')}`;
      const owner = (await api('admin', 'POST', '/api/owners', {
        name: `Owner ${f.key}`,
        nationalId: first17 + residentIdCheckChar(first17),
        email: ownerEmail(f.key),
        phone: `1390000000${i}`,
        ...(f.key === 'A' ? { userId: ownerLogin } : {}),
      })).owner;
      await api('clerk', 'POST', `/api/units/${unit[f.key]}/owners`, { ownerId: owner.id, role: 'owner', fromDate: '2020-01-01' });
    }

    // The fee schedule: management fee 2.80 yuan/m² a month (due in 15 days; late fee 0.05 % a
    // day after 5 days' grace, at most 10 %), a parking space 300 yuan, water 4.10 yuan/m³.
    const mgmt = (await api('clerk', 'POST', '/api/billing/fee-items', { code: 'mgmt', name: 'Management fee', nameZh: '物业管理费', basis: 'area', dueDays: 15, lateDailyBp: 5, lateCapBp: 1000, lateGraceDays: 5 })).item;
    await api('clerk', 'POST', `/api/billing/fee-items/${mgmt.id}/rates`, { rateFen: '280', effectiveFrom: '2020-01-01' });
    const parking = (await api('clerk', 'POST', '/api/billing/fee-items', { code: 'parking', name: 'Parking space', nameZh: '车位管理费', basis: 'fixed', dueDays: 15 })).item;
    await api('clerk', 'POST', `/api/billing/fee-items/${parking.id}/rates`, { rateFen: '30000', effectiveFrom: '2020-01-01' });
    await api('clerk', 'POST', `/api/billing/units/${unit.B}/charges`, { feeItemId: parking.id, quantity: 1, fromPeriod: '2026-09' });
    const water = (await api('clerk', 'POST', '/api/billing/fee-items', { code: 'water', name: 'Water', nameZh: '水费', basis: 'meter', meterKind: 'water', dueDays: 15 })).item;
    await api('clerk', 'POST', `/api/billing/fee-items/${water.id}/rates`, { rateFen: '410', effectiveFrom: '2020-01-01' });

    // The meters are devices: born over MQTT, then linked to their flats (the common one to the building).
    const metrics = [{ name: 'volume', type: 'number' as const, unit: 'm3' }];
    for (const f of FLATS) {
      const deviceId = await agent.birth(f.meter, 'meter.water', { metrics });
      await api('clerk', 'POST', '/api/billing/meters', { deviceId, metric: 'volume', kind: 'water', unitId: unit[f.key], rolloverAt: '99999.999', installedAt: '2026-08-01T00:00:00+08:00' });
    }
    const commonId = await agent.birth(SHARED_METER, 'meter.water', { metrics });
    await api('clerk', 'POST', '/api/billing/meters', { deviceId: commonId, metric: 'volume', kind: 'water', installedAt: '2026-08-01T00:00:00+08:00' });

    // September and October: the simulators' household model run hour by hour, its register
    // published at 23:55 every evening (Shanghai) in batches, as an agent would after an outage.
    const models = [...FLATS.map((f, i) => ({ id: f.meter, dailyM3: f.dailyM3, seed: 11 + i })), { id: SHARED_METER, dailyM3: 2.5, seed: 99 }].map(
      (m) => ({ id: m.id, model: new WaterMeterModel({ id: m.id, seed: m.seed, utcOffsetMin: 480 }, { dailyM3: m.dailyM3, initialM3: 100 + m.seed, leakM3h: 0 }, { faults: new FaultBook() }) }),
    );
    const points: { device: string; metric: string; ts: number; value: number }[] = [];
    for (let t = shanghai('2026-08-31'); t < shanghai('2026-11-01'); t += HOUR) {
      for (const m of models) {
        m.model.step(t, 3600);
        const ts = t + HOUR - 5 * 60_000;
        if (new Date(ts + 8 * HOUR).getUTCHours() === 23) {
          const value = m.model.read().volume as number;
          points.push({ device: m.id, metric: 'volume', ts, value });
          if (!published.has(m.id)) published.set(m.id, new Map());
          published.get(m.id)!.set(ts, value);
        }
      }
    }
    for (let i = 0; i < points.length; i += 100) await agent.points(points.slice(i, i + 100), true);
    await waitFor(
      async () => (await num(`SELECT count(*) AS n FROM telemetry t JOIN device_metrics m ON m.id = t.series_id JOIN devices d ON d.id = m.device_id WHERE d.agent_id = 'agent-m'`)) === points.length,
      `${points.length} meter readings stored`,
      30_000,
    );
  }, 120_000);

  afterAll(async () => {
    await agent?.close();
    await hub?.close();
    await mailbox?.close();
  });

  it('bills September from the meters\' telemetry, once per flat however often and however concurrently it is run', async () => {
    const check = await api('clerk', 'POST', '/api/billing/readings/check', { period: '2026-09', buildingId: BUILDING });
    expect(check).toMatchObject({ checked: 4, ok: 4, flagged: 0 });
    for (const f of FLATS) {
      const r = check.readings.find((x: Json) => x.unitId === unit[f.key]);
      // Exact decimals: the register's litres at each boundary, from what the meter published.
      expect(Math.round(Number(r.consumption) * 1000)).toBe(litres(f.meter, '2026-09-01', '2026-10-01'));
      expect(r.source).toBe('telemetry');
    }

    const preview = await api('clerk', 'POST', '/api/billing/runs/preview', { period: '2026-09', buildingId: BUILDING, issuedOn: '2026-10-01' });
    const [first, second] = await Promise.all([
      api('clerk', 'POST', '/api/billing/runs', { period: '2026-09', buildingId: BUILDING, issuedOn: '2026-10-01' }),
      api('admin', 'POST', '/api/billing/runs', { period: '2026-09', buildingId: BUILDING, issuedOn: '2026-10-01' }),
    ]);
    expect(first.run.billsCreated + second.run.billsCreated).toBe(3);
    const again = await api('clerk', 'POST', '/api/billing/runs', { period: '2026-09', buildingId: BUILDING, issuedOn: '2026-10-01' });
    expect(again.run).toMatchObject({ billsCreated: 0, billsExisting: 3 });
    expect(await num(`SELECT count(*) AS n FROM bills WHERE period = '2026-09'`)).toBe(3);

    const { bills } = await api('clerk', 'GET', `/api/billing/bills?period=2026-09&building=${BUILDING}`);
    expect(bills.map((b: Json) => b.totalFen).sort()).toEqual(preview.bills.map((b: Json) => b.totalFen).sort());
    const shared = litres(SHARED_METER, '2026-09-01', '2026-10-01');
    let sharedFen = 0;
    for (const f of FLATS) {
      const bill = (await api('clerk', 'GET', `/api/billing/bills/${bills.find((b: Json) => b.unitId === unit[f.key]).id}`)).bill;
      expect(bill).toMatchObject({ issuedOn: '2026-10-01', dueOn: '2026-10-16', outstandingFen: bill.totalFen, status: 'open' });
      const byCode = (code: string) => bill.lines.filter((l: Json) => l.feeItemCode === code);
      // 2.80 yuan/m²: 89.5 m² → 250.60 yuan, to the fen, no float anywhere.
      expect(byCode('mgmt').map((l: Json) => l.amountFen)).toEqual([Math.round(280 * f.areaM2)]);
      expect(byCode('parking').map((l: Json) => l.amountFen)).toEqual(f.key === 'B' ? [30000] : []);
      // Water: the flat's own meter, and its share of the common meter's.
      const water = (await hub.db.query<{ amount_fen: string; own: boolean }>(
        `SELECT l.amount_fen, m.unit_id IS NOT NULL AS own FROM bill_lines l JOIN meter_readings r ON r.id = l.meter_reading_id JOIN meters m ON m.id = r.meter_id WHERE l.bill_id = $1`,
        [bill.id],
      )).rows;
      expect(water.filter((w) => w.own).map((w) => Number(w.amount_fen))).toEqual([Math.round((410 * litres(f.meter, '2026-09-01', '2026-10-01')) / 1000)]);
      expect(water.filter((w) => !w.own)).toHaveLength(1);
      sharedFen += Number(water.find((w) => !w.own)!.amount_fen);
      expect(byCode('water')).toHaveLength(2);
    }
    // The common area's water is shared out exactly: the shares add up to its cost.
    expect(sharedFen).toBe(Math.round((410 * shared) / 1000));
    await expectLedgerBalances();
  });

  it('takes a partial payment, keeps an overpayment as credit, posts late fees once a day and reads back the receipt', async () => {
    const bill = async (k: FlatKey, period: string) => (await api('clerk', 'GET', `/api/billing/bills?period=${period}&unit=${unit[k]}`)).bills[0];
    const a = await bill('A', '2026-09');
    const half = Math.floor(a.totalFen / 2);
    const paidA = await api('clerk', 'POST', '/api/billing/payments', { unitId: unit.A, amountFen: half, method: 'wechat', reference: 'WX-0001', paidAt: '2026-10-10T10:00:00+08:00', idempotencyKey: 'month-a-1' });
    expect(paidA.allocations).toEqual([{ billId: a.id, amountFen: half }]);
    // The same form submitted twice records one payment.
    const twice = await api('clerk', 'POST', '/api/billing/payments', { unitId: unit.A, amountFen: half, method: 'wechat', reference: 'WX-0001', paidAt: '2026-10-10T10:00:00+08:00', idempotencyKey: 'month-a-1' });
    expect(twice.payment.id).toBe(paidA.payment.id);
    expect(await num(`SELECT count(*) AS n FROM payments WHERE unit_id = $1`, [unit.A])).toBe(1);
    expect((await bill('A', '2026-09')).status).toBe('partial');

    const b = await bill('B', '2026-09');
    const paidB = await api('clerk', 'POST', '/api/billing/payments', { unitId: unit.B, amountFen: b.totalFen + 10_000, method: 'bank_transfer', reference: 'BT-77', paidAt: '2026-10-12T09:30:00+08:00', idempotencyKey: 'month-b-1' });
    expect(paidB.creditFen).toBe(10_000);
    expect((await bill('B', '2026-09')).status).toBe('paid');
    expect((await api('clerk', 'GET', `/api/billing/units/${unit.B}/account`)).creditFen).toBe(10_000);

    // Late fees: A's rest and C's bill are overdue after 16 Oct + 5 days' grace; B owes nothing.
    const sweepOn = new Date('2026-10-31T12:00:00+08:00');
    await hub.billing.sweepLateFees(sweepOn);
    const late = async (k: FlatKey) => num(`SELECT coalesce(sum(l.amount_fen), 0) AS n FROM ledger_entries l JOIN bills b ON b.id = l.bill_id WHERE b.unit_id = $1 AND l.kind = 'late_fee'`, [unit[k]]);
    const lateA = await late('A');
    const lateC = await late('C');
    expect(lateA).toBeGreaterThan(0);
    expect(lateC).toBeGreaterThan(lateA); // more overdue (nothing paid), same days
    expect(await late('B')).toBe(0);
    // Exactly the rule: from the day after due (16 Oct) + 5 days' grace, each day 0.05 % of the
    // overdue management fee (the only item with a late-fee rule), rounded to the fen.
    const expectDaily = async (k: FlatKey, paid: number) => {
      const b = await bill(k, '2026-09');
      const lines = (await api('clerk', 'GET', `/api/billing/bills/${b.id}`)).bill.lines as Json[];
      const overdue = apportion(b.totalFen - paid, lines.map((l) => BigInt(l.amountFen)));
      const daily = Math.round((overdue[lines.findIndex((l) => l.feeItemCode === 'mgmt')] * 5) / 10_000);
      const days = (await hub.db.query<{ on: string; fen: string }>(`SELECT to_char(late_fee_on, 'YYYY-MM-DD') AS on, amount_fen AS fen FROM ledger_entries WHERE bill_id = $1 AND kind = 'late_fee' ORDER BY late_fee_on`, [b.id])).rows;
      expect(days[0].on).toBe('2026-10-22');
      expect(days.at(-1)!.on).toBe('2026-10-31');
      expect(days.map((d) => Number(d.fen))).toEqual(days.map(() => daily));
    };
    await expectDaily('A', half);
    await expectDaily('C', 0);
    await hub.billing.sweepLateFees(sweepOn);
    expect([await late('A'), await late('C')]).toEqual([lateA, lateC]);

    // The receipt, as the owner downloads it: number, flat, amount in figures and in 大写.
    const receipt = paidA.receipt;
    expect(receipt.number).toMatch(/^R2026-\d{6}$/);
    const pdf = await api('owner', 'GET', `/api/billing/receipts/${receipt.id}/pdf`);
    expect(pdf.type).toContain('application/pdf');
    const text = await pdfText(pdf.raw as Buffer);
    expect(text).toContain(receipt.number);
    expect(text).toContain('0101');
    expect(text).toContain(`¥${(half / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`);
    expect(text).toMatch(/[壹贰叁肆伍陆柒捌玖].*元/);
    // Not the owner's flat: not theirs to see.
    expect(await status('owner', 'GET', `/api/billing/receipts/${paidB.receipt.id}/pdf`)).toBe(403);
    await expectLedgerBalances();
  });

  it('carries the credit into October\'s bills and sends a reminder and raises warnings for what stays unpaid', async () => {
    const check = await api('clerk', 'POST', '/api/billing/readings/check', { period: '2026-10', buildingId: BUILDING });
    expect(check.flagged).toBe(0);
    const runs = await Promise.all([1, 2].map(() => api('clerk', 'POST', '/api/billing/runs', { period: '2026-10', buildingId: BUILDING, issuedOn: '2026-11-01' })));
    expect(runs[0].run.billsCreated + runs[1].run.billsCreated).toBe(3);
    const octB = (await api('clerk', 'GET', `/api/billing/bills?period=2026-10&unit=${unit.B}`)).bills[0];
    // B's 100 yuan of credit went to its next bill.
    expect(octB.paidFen).toBe(10_000);
    expect(octB.outstandingFen).toBe(octB.totalFen - 10_000);
    expect((await api('clerk', 'GET', `/api/billing/units/${unit.B}/account`)).creditFen).toBe(0);

    // The estate's ladder: a reminder 15 days past due; a warning once arrears are 30 days old.
    await api('admin', 'PUT', '/api/billing/arrears/policy', { siteId: SITE, ladder: [{ afterDays: 15, action: 'reminder' }, { afterDays: 400, action: 'lawyer_letter' }], warnAmountFen: 50_000_000, warnAgeDays: 30 });
    await api('clerk', 'POST', '/api/billing/arrears/sweep');
    // September's bills fell due on 16 Oct: C (nothing paid) and A (half) are reminded by e-mail.
    const reminderC = await waitFor(() => mailbox.mails.find((m) => m.to.includes(ownerEmail('C'))), 'the reminder to C received');
    expect(reminderC.text).toContain('0103');
    expect(mailbox.mails.some((m) => m.to.includes(ownerEmail('A')))).toBe(true);
    expect(mailbox.mails.some((m) => m.to.includes(ownerEmail('B')))).toBe(false);
    const warnings = (await api('manager', 'GET', '/api/billing/arrears/warnings?open=true')).warnings as Json[];
    expect(warnings.map((w) => w.unitId).sort()).toEqual([unit.A, unit.C].sort());
    expect(await num(`SELECT count(*) AS n FROM live_events WHERE type = 'billing.arrears_warning'`)).toBeGreaterThanOrEqual(2);
    // Running the sweep again sends and raises nothing more.
    const sent = mailbox.mails.length;
    const again = await api('clerk', 'POST', '/api/billing/arrears/sweep');
    expect(again).toMatchObject({ warningsRaised: 0 });
    expect(await num(`SELECT count(*) AS n FROM billing_notices WHERE purpose = 'reminder' AND status = 'sent' AND channel = 'email'`)).toBe(2);
    expect(mailbox.mails.length).toBe(sent);

    // A settles everything it owes: its warning clears, C's stays.
    const owed = (await api('clerk', 'GET', `/api/billing/units/${unit.A}/account`)).balanceFen;
    await api('clerk', 'POST', '/api/billing/payments', { unitId: unit.A, amountFen: owed, method: 'cash', idempotencyKey: 'month-a-2' });
    await api('clerk', 'POST', '/api/billing/arrears/sweep');
    const open = (await api('manager', 'GET', '/api/billing/arrears/warnings?open=true')).warnings as Json[];
    expect(open.map((w) => w.unitId)).toEqual([unit.C]);
    expect((await api('clerk', 'GET', `/api/billing/units/${unit.A}/account`)).balanceFen).toBe(0);
    await expectLedgerBalances();
  });
});
