import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueReceipt } from '../src/billing/receipts.service.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { pdfText } from './support/pdf-text.js';

type Login = 'owner' | 'clerk' | 'manager' | 'technician';

interface PaymentAnswer {
  payment: { id: number; unitId: number; amountFen: number; receipt: { id: number; number: string; voided: boolean } | null };
  receipt: { id: number; number: string };
  allocations: { billId: number; amountFen: number }[];
  creditFen: number;
}

/**
 * Payments, receipts and late fees through the real API and database on both back-ends.
 * Bills are made here in SQL (bill, lines, one 'charge' entry per line), as a bill run
 * leaves them, so these tests stand on the ledger alone.
 */
describe.each(databaseKinds)('billing payments on %s', (kind) => {
  let hub: TestHub;
  const tokens = {} as Record<Login, string>;
  const units = {} as Record<'mine' | 'neighbour' | 'late' | 'other', number>;
  const items = {} as Record<'mgmt' | 'parking', number>;
  let owners: { mine: number; neighbour: number };
  const year = new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date());
  let keySeq = 0;
  const key = () => `key-${kind}-${++keySeq}`;

  const api = (who: Login, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    hub.http.inject({ method, url, payload: payload as Record<string, unknown> | undefined, headers: { authorization: `Bearer ${tokens[who]}` } });
  const q = async <T extends Record<string, unknown>>(sql: string, values?: unknown[]) => (await hub.db.query<T>(sql, values)).rows;
  const count = async (table: string) => Number((await q<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0].n);

  const addUnit = async (number: string) => (await q<{ id: number }>(`INSERT INTO units (building_id, number, area_m2) VALUES ('pb1', $1, 100) RETURNING id`, [number]))[0].id;
  const addOwner = async (name: string, userId: number | null, unitId: number) => {
    const id = (await q<{ id: number }>(`INSERT INTO owners (name, national_id_enc, national_id_index, user_id) VALUES ($1, $2, $3, $4) RETURNING id`, [name, Buffer.from(`enc-${name}`), Buffer.from(`idx-${name}`), userId]))[0].id;
    await q(`INSERT INTO unit_owners (unit_id, owner_id, role, from_date, created_by) VALUES ($1, $2, 'owner', '2020-01-01', 'test')`, [unitId, id]);
    return id;
  };

  /** A bill as a bill run makes it: the bill, its lines, one charge entry per line. */
  const addBill = async (unitId: number, period: string, dueOn: string, lines: { item: number; amountFen: number }[]) => {
    const total = lines.reduce((s, l) => s + l.amountFen, 0);
    const owner = (await q<{ owner_id: number }>('SELECT owner_id FROM unit_owners WHERE unit_id = $1', [unitId]))[0]?.owner_id ?? null;
    const billId = (
      await q<{ id: number }>(
        `INSERT INTO bills (number, unit_id, owner_id, building_id, period, issued_on, due_on, total_fen) VALUES ($1, $2, $3, 'pb1', $4, $5::date - 15, $5, $6) RETURNING id`,
        [`T${period.replace('-', '')}-${unitId}`, unitId, owner, period, dueOn, total],
      )
    )[0].id;
    for (const [i, l] of lines.entries()) {
      const lineId = (
        await q<{ id: number }>(
          `INSERT INTO bill_lines (bill_id, line_no, fee_item_id, description, quantity, unit_price_fen, amount_fen) VALUES ($1, $2, $3, 'test line', 1, $4::bigint, $4::bigint) RETURNING id`,
          [billId, i + 1, l.item, l.amountFen],
        )
      )[0].id;
      await q(`INSERT INTO ledger_entries (unit_id, owner_id, bill_id, bill_line_id, kind, amount_fen, entered_by) VALUES ($1, $2, $3, $4, 'charge', $5, 'bill-run')`, [unitId, owner, billId, lineId, l.amountFen]);
    }
    return billId;
  };

  const bill = async (id: number) => (await api('clerk', 'GET', `/api/billing/bills/${id}`)).json().bill as { status: string; paidFen: number; outstandingFen: number; lateFeesFen: number };
  const account = async (unitId: number) => (await api('clerk', 'GET', `/api/billing/units/${unitId}/account`)).json() as { balanceFen: number; creditFen: number; entries: { kind: string; amountFen: number }[] };
  const pay = async (who: Login, body: Record<string, unknown>) => {
    const res = await api(who, 'POST', '/api/billing/payments', { method: 'cash', idempotencyKey: key(), ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as PaymentAnswer;
  };

  beforeAll(async () => {
    hub = await startTestHub(kind);
    for (const who of ['owner', 'clerk', 'manager', 'technician'] as const) tokens[who] = await hub.login(who, demoPassword(hub, who));
    await upsertSite(hub.db, { id: 'site-p', name: '幸福家园 Happy Gardens', timezone: 'Asia/Shanghai' });
    await upsertBuilding(hub.db, { id: 'pb1', siteId: 'site-p', name: 'Tower 1' });
    units.mine = await addUnit('101');
    units.neighbour = await addUnit('102');
    units.late = await addUnit('103');
    units.other = await addUnit('104');
    const ownerUser = (await q<{ id: number }>(`SELECT id FROM users WHERE username = 'owner'`))[0].id;
    owners = { mine: await addOwner('Olga Owner', ownerUser, units.mine), neighbour: await addOwner('Nina Neighbour', null, units.neighbour) };
    await addOwner('Larry Late', null, units.late);
    await addOwner('Otto Other', null, units.other);
    // Management fee: 0.05 % a day after 10 days' grace, capped at 10 %; parking: 0.1 % a day after 20 days, capped at 5 %.
    items.mgmt = (await q<{ id: number }>(`INSERT INTO fee_items (code, name, name_zh, basis, late_daily_bp, late_cap_bp, late_grace_days) VALUES ('mgmt', 'Management fee', '物业费', 'area', 5, 1000, 10) RETURNING id`))[0].id;
    items.parking = (await q<{ id: number }>(`INSERT INTO fee_items (code, name, basis, late_daily_bp, late_cap_bp, late_grace_days) VALUES ('parking', 'Parking', 'fixed', 10, 500, 20) RETURNING id`))[0].id;
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
  });

  it('allocates payments oldest due first: partial, full, then overpayment kept as credit', async () => {
    const jan = await addBill(units.mine, '2026-01', '2026-02-15', [{ item: items.mgmt, amountFen: 10_000 }]);
    const feb = await addBill(units.mine, '2026-02', '2026-03-15', [{ item: items.mgmt, amountFen: 15_000 }, { item: items.parking, amountFen: 5_000 }]);
    expect(await bill(jan)).toMatchObject({ status: 'open', paidFen: 0, outstandingFen: 10_000 });

    const partial = await pay('clerk', { unitId: units.mine, amountFen: 6_000, reference: 'cash desk 1' });
    expect(partial.allocations).toEqual([{ billId: jan, amountFen: 6_000 }]);
    expect(partial.creditFen).toBe(0);
    expect(partial.receipt.number).toBe(`R${year}-000001`);
    expect(await bill(jan)).toMatchObject({ status: 'partial', paidFen: 6_000, outstandingFen: 4_000 });

    const full = await pay('clerk', { unitId: units.mine, amountFen: 14_000 });
    expect(full.allocations).toEqual([{ billId: jan, amountFen: 4_000 }, { billId: feb, amountFen: 10_000 }]);
    expect(await bill(jan)).toMatchObject({ status: 'paid', paidFen: 10_000, outstandingFen: 0 });
    expect(await bill(feb)).toMatchObject({ status: 'partial', paidFen: 10_000, outstandingFen: 10_000 });

    const over = await pay('clerk', { unitId: units.mine, amountFen: 15_000, method: 'bank_transfer', reference: 'TX-998' });
    expect(over.allocations).toEqual([{ billId: feb, amountFen: 10_000 }]);
    expect(over.creditFen).toBe(5_000);
    expect(await bill(feb)).toMatchObject({ status: 'paid', outstandingFen: 0 });
    const acct = await account(units.mine);
    expect(acct).toMatchObject({ balanceFen: -5_000, creditFen: 5_000 });
    expect(acct.entries.filter((e) => e.kind === 'credit').map((e) => e.amountFen)).toEqual([-5_000]);

    // A payment on an account with nothing owed is all credit.
    const ahead = await pay('clerk', { unitId: units.mine, amountFen: 1_000 });
    expect(ahead.allocations).toEqual([]);
    expect(ahead.creditFen).toBe(1_000);
    expect(await account(units.mine)).toMatchObject({ balanceFen: -6_000, creditFen: 6_000 });

    // The office sees each payment live, by building.
    const live = await q<{ data: { action: string; paymentId: number } }>(`SELECT data FROM live_events WHERE type = 'billing.payment' AND building_id = 'pb1' ORDER BY id`);
    expect(live.map((e) => e.data.paymentId)).toEqual([partial.payment.id, full.payment.id, over.payment.id, ahead.payment.id]);
    const audit = await q<{ action: string }>(`SELECT action FROM audit_log WHERE action = 'billing.payment'`);
    expect(audit).toHaveLength(4);
  });

  it('refunds from credit only, once per key, never beyond the credit', async () => {
    const payment = (await api('clerk', 'GET', `/api/billing/payments?unit=${units.mine}&method=bank_transfer`)).json().payments[0] as { id: number };
    const refundKey = key();
    const body = { amountFen: 3_000, method: 'bank_transfer', reference: 'RF-1', reason: 'owner asked for the overpayment back', idempotencyKey: refundKey };
    const refund = await api('clerk', 'POST', `/api/billing/payments/${payment.id}/refund`, body);
    expect(refund.statusCode, refund.body).toBe(201);
    expect(refund.json()).toMatchObject({ refund: { kind: 'refund', amountFen: 3_000, refundOf: payment.id, receipt: null }, creditFen: 3_000 });
    const again = await api('clerk', 'POST', `/api/billing/payments/${payment.id}/refund`, body);
    expect(again.statusCode).toBe(200);
    expect(again.json().refund.id).toBe(refund.json().refund.id);
    expect(await account(units.mine)).toMatchObject({ balanceFen: -3_000, creditFen: 3_000 });

    const beyond = await api('clerk', 'POST', `/api/billing/payments/${payment.id}/refund`, { ...body, amountFen: 3_001, idempotencyKey: key() });
    expect(beyond.statusCode).toBe(409);
    expect(beyond.json().error).toMatchObject({ code: 'WARDEN_ERR_CONFLICT', details: { creditFen: 3_000, requestedFen: 3_001 } });
    // Owners do not refund.
    expect((await api('owner', 'POST', `/api/billing/payments/${payment.id}/refund`, { ...body, idempotencyKey: key() })).statusCode).toBe(403);
    expect(await count(`payments WHERE kind = 'refund'`)).toBe(1);
    expect((await q(`SELECT 1 FROM audit_log WHERE action = 'billing.refund'`)).length).toBe(1);
  });

  it('records a double-submitted payment once: same key and body replays, a different body is refused', async () => {
    await addBill(units.other, '2026-03', '2026-04-15', [{ item: items.mgmt, amountFen: 8_000 }]);
    const before = await count('payments');
    const body = { unitId: units.other, amountFen: 2_000, method: 'cash', idempotencyKey: key(), note: 'at the desk' };
    const first = await api('clerk', 'POST', '/api/billing/payments', body);
    expect(first.statusCode, first.body).toBe(201);
    const second = await api('clerk', 'POST', '/api/billing/payments', { note: 'at the desk', idempotencyKey: body.idempotencyKey, method: 'cash', amountFen: 2_000, unitId: units.other });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toEqual(first.json());

    const changed = await api('clerk', 'POST', '/api/billing/payments', { ...body, amountFen: 2_001 });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().error.code).toBe('WARDEN_ERR_CONFLICT');
    expect(changed.json().error.message).toContain(body.idempotencyKey);
    expect(await count('payments')).toBe(before + 1);

    // Two submissions at the same moment: one payment, one receipt; both answers name it.
    const racing = { ...body, amountFen: 1_000, idempotencyKey: key() };
    const answers = await Promise.all([api('clerk', 'POST', '/api/billing/payments', racing), api('clerk', 'POST', '/api/billing/payments', racing)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 201]);
    expect(answers[0].json().payment.id).toBe(answers[1].json().payment.id);
    expect(await count('payments')).toBe(before + 2);
    expect(await count(`receipts WHERE payment_id = ${answers[0].json().payment.id as number}`)).toBe(1);
    expect((await bill((await q<{ id: number }>('SELECT id FROM bills WHERE unit_id = $1', [units.other]))[0].id)).outstandingFen).toBe(5_000);
  });

  it('refuses bad input field by field and writes nothing', async () => {
    const payments = await count('payments');
    const series = await q('SELECT series, next_no FROM receipt_series ORDER BY series');
    const bad = async (body: Record<string, unknown>, field: string) => {
      const res = await api('clerk', 'POST', '/api/billing/payments', body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('WARDEN_ERR_VALIDATION');
      expect((res.json().error.details.issues as { field: string }[]).map((i) => i.field)).toContain(field);
    };
    const good = { unitId: units.other, amountFen: 100, method: 'cash', idempotencyKey: key() };
    await bad({ ...good, amountFen: 0 }, 'body.amountFen');
    await bad({ ...good, amountFen: -5 }, 'body.amountFen');
    await bad({ ...good, amountFen: 1.5 }, 'body.amountFen');
    await bad({ ...good, amountFen: '100' }, 'body.amountFen');
    await bad({ ...good, method: 'bitcoin' }, 'body.method');
    await bad({ ...good, idempotencyKey: undefined }, 'body.idempotencyKey');
    await bad({ ...good, paidAt: 'yesterday' }, 'body.paidAt');
    await bad({ ...good, paidAt: new Date(Date.now() + 86_400_000).toISOString() }, 'body.paidAt');
    await bad({ ...good, unitId: 999_999 }, 'body.unitId');
    await bad({ ...good, surprise: true }, 'body');
    const refund = await api('clerk', 'POST', `/api/billing/payments/1/refund`, { amountFen: 10, method: 'cash', idempotencyKey: key() });
    expect(refund.statusCode).toBe(400);
    expect(refund.json().error.details.issues.map((i: { field: string }) => i.field)).toContain('body.reason');
    expect((await api('clerk', 'GET', '/api/billing/bills?status=unpaid')).statusCode).toBe(400);
    expect((await api('clerk', 'GET', '/api/billing/bills?period=2026-13')).statusCode).toBe(400);
    expect(await count('payments')).toBe(payments);
    expect(await q('SELECT series, next_no FROM receipt_series ORDER BY series')).toEqual(series);
  });

  it('numbers receipts without gaps: a rolled-back payment gives its number back', async () => {
    const last = (await q<{ seq: number }>(`SELECT max(seq)::int AS seq FROM receipts WHERE series = $1`, [`R${year}`]))[0].seq;
    // A payment whose transaction fails after its receipt was numbered (here: it throws at the end).
    await expect(
      hub.db.transaction(async (tx) => {
        const p = (await tx.query<{ id: number }>(`INSERT INTO payments (unit_id, kind, amount_fen, method, paid_at, idempotency_key, recorded_by) VALUES ($1, 'payment', 500, 'cash', now(), 'doomed', 'test') RETURNING id`, [units.other])).rows[0];
        const receipt = await issueReceipt(tx, p.id);
        expect(receipt.seq).toBe(last + 1);
        throw new Error('the payment fails after numbering');
      }),
    ).rejects.toThrow('the payment fails after numbering');

    const next = await pay('clerk', { unitId: units.other, amountFen: 500 });
    expect(next.receipt.number).toBe(`R${year}-${String(last + 1).padStart(6, '0')}`);

    // Several payments at once (on PostgreSQL truly concurrent): distinct, consecutive numbers.
    const many = await Promise.all([1, 2, 3, 4].map((i) => pay('clerk', { unitId: i % 2 ? units.other : units.neighbour, amountFen: 100 * i })));
    const seqs = (await q<{ seq: number }>(`SELECT seq FROM receipts WHERE series = $1 ORDER BY seq`, [`R${year}`])).map((r) => Number(r.seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(new Set(many.map((m) => m.receipt.number)).size).toBe(4);
    expect((await q(`SELECT next_no FROM receipt_series WHERE series = $1`, [`R${year}`]))[0]).toEqual({ next_no: seqs.length + 1 });
  });

  it('prints a bilingual receipt PDF with the amount in figures and in 大写; only the clerk and the unit owner may download it', async () => {
    const nBill = await addBill(units.neighbour, '2026-04', '2026-05-15', [{ item: items.mgmt, amountFen: 100_000 }]);
    // 1,234.50 yuan: the bill's 1,000 yuan, and 234.50 kept as credit.
    const paid = await pay('clerk', { unitId: units.neighbour, amountFen: 123_450, method: 'wechat', reference: 'WX-4200' });
    expect(paid.allocations).toEqual([{ billId: nBill, amountFen: 100_000 }]);
    expect(paid.creditFen).toBe(23_450);

    const res = await api('clerk', 'GET', `/api/billing/receipts/${paid.receipt.id}/pdf`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/pdf');
    const text = await pdfText(res.rawPayload);
    expect(text).toContain(paid.receipt.number);
    expect(text).toContain('¥1,234.50');
    expect(text).toContain('壹仟贰佰叁拾肆元伍角整');
    expect(text).toContain('102');
    expect(text).toContain('Nina Neighbour');
    expect(text).toContain('收款收据');
    expect(text).toContain('Payment Receipt');
    expect(text).toContain('微信支付');
    expect(text).toContain('WX-4200');
    expect(text).toContain('T202604-');
    expect(text).not.toContain('VOID');

    // Not the owner's unit: refused; guards and technicians have no business with receipts.
    expect((await api('owner', 'GET', `/api/billing/receipts/${paid.receipt.id}/pdf`)).statusCode).toBe(403);
    expect((await api('technician', 'GET', `/api/billing/receipts/${paid.receipt.id}/pdf`)).statusCode).toBe(403);
    const mine = (await api('owner', 'GET', '/api/billing/receipts')).json().receipts as { id: number }[];
    const own = await api('owner', 'GET', `/api/billing/receipts/${mine[0].id}/pdf`);
    expect(own.statusCode).toBe(200);
    expect(await pdfText(own.rawPayload)).toContain('Olga Owner');
  });

  it('voids a receipt: it keeps its number, the void is recorded, and the payment is reversed', async () => {
    const nBill = (await q<{ id: number }>(`SELECT id FROM bills WHERE unit_id = $1 AND period = '2026-04'`, [units.neighbour]))[0].id;
    const receipt = (await api('clerk', 'GET', `/api/billing/receipts?unit=${units.neighbour}`)).json().receipts[0] as { id: number; number: string; amountFen: number; paymentId: number };
    expect(receipt.amountFen).toBe(123_450);
    const before = await account(units.neighbour);
    expect(await bill(nBill)).toMatchObject({ status: 'paid' });

    expect((await api('clerk', 'POST', `/api/billing/receipts/${receipt.id}/void`, {})).statusCode).toBe(400);
    expect((await api('owner', 'POST', `/api/billing/receipts/${receipt.id}/void`, { reason: 'mine' })).statusCode).toBe(403);
    const voided = await api('clerk', 'POST', `/api/billing/receipts/${receipt.id}/void`, { reason: 'WeChat transfer was for unit 104, recorded on the wrong unit' });
    expect(voided.statusCode, voided.body).toBe(200);
    expect(voided.json().receipt).toMatchObject({ id: receipt.id, number: receipt.number, voidedBy: 'clerk', voidReason: expect.stringContaining('wrong unit'), voidedAt: expect.any(String) });
    expect((await api('clerk', 'POST', `/api/billing/receipts/${receipt.id}/void`, { reason: 'again' })).statusCode).toBe(409);

    // The money follows, by reversal entries: the bill is owed again (and shows nothing paid), the credit it left is gone.
    expect(await bill(nBill)).toMatchObject({ status: 'open', paidFen: 0, outstandingFen: 100_000 });
    const after = await account(units.neighbour);
    expect(after.balanceFen).toBe(before.balanceFen + 123_450);
    expect(after.creditFen).toBe(before.creditFen - 23_450);
    const reversals = await q<{ amount_fen: number; reverses_id: number }>(`SELECT amount_fen, reverses_id FROM ledger_entries WHERE kind = 'reversal' AND payment_id = $1`, [receipt.paymentId]);
    expect(reversals.reduce((s, r) => s + Number(r.amount_fen), 0)).toBe(123_450);
    expect(reversals.every((r) => r.reverses_id !== null)).toBe(true);
    expect((await q(`SELECT 1 FROM audit_log WHERE action = 'billing.receipt.void' AND target_id = $1`, [String(receipt.id)])).length).toBe(1);

    // The PDF still prints, marked VOID with the reason; refunds against it are refused.
    const text = await pdfText((await api('clerk', 'GET', `/api/billing/receipts/${receipt.id}/pdf`)).rawPayload);
    expect(text).toContain('VOID');
    expect(text).toContain('作废');
    expect(text).toContain('recorded on the wrong unit');
    expect(text).toContain(receipt.number);
    expect((await api('clerk', 'POST', `/api/billing/payments/${receipt.paymentId}/refund`, { amountFen: 1, method: 'cash', reason: 'x', idempotencyKey: key() })).statusCode).toBe(409);

    // The number is not reused: the next receipt follows the highest.
    const next = await pay('clerk', { unitId: units.other, amountFen: 100 });
    const max = (await q<{ seq: number }>(`SELECT max(seq)::int AS seq FROM receipts WHERE series = $1`, [`R${year}`]))[0].seq;
    expect(next.receipt.number).toBe(`R${year}-${String(max).padStart(6, '0')}`);
    expect((await api('clerk', 'GET', '/api/billing/receipts?voided=true')).json().receipts.map((r: { id: number }) => r.id)).toEqual([receipt.id]);
  });

  it('shows owners their own bills, payments, receipts and account only', async () => {
    const bills = (await api('owner', 'GET', '/api/billing/bills')).json() as { bills: { unitId: number; id: number }[]; total: number };
    expect(bills.total).toBe(2);
    expect(bills.bills.every((b) => b.unitId === units.mine)).toBe(true);
    const theirs = (await q<{ id: number }>('SELECT id FROM bills WHERE unit_id = $1', [units.neighbour]))[0].id;
    expect((await api('owner', 'GET', `/api/billing/bills/${theirs}`)).statusCode).toBe(403);
    expect((await api('owner', 'GET', `/api/billing/bills/${bills.bills[0].id}`)).statusCode).toBe(200);
    // Asking for someone else's unit in the filter does not widen what an owner sees.
    expect((await api('owner', 'GET', `/api/billing/bills?unit=${units.neighbour}`)).json().total).toBe(0);
    const payments = (await api('owner', 'GET', '/api/billing/payments')).json().payments as { unitId: number }[];
    expect(payments.length).toBeGreaterThan(0);
    expect(payments.every((p) => p.unitId === units.mine)).toBe(true);
    const receipts = (await api('owner', 'GET', '/api/billing/receipts')).json().receipts as { unitId: number }[];
    expect(receipts.every((r) => r.unitId === units.mine)).toBe(true);
    expect((await api('owner', 'GET', `/api/billing/units/${units.neighbour}/account`)).statusCode).toBe(403);
    expect((await api('owner', 'GET', `/api/billing/units/${units.mine}/account`)).json()).toMatchObject({ creditFen: 3_000 });

    // Owners record payments for their own unit, by WeChat, Alipay or bank transfer only.
    expect((await api('owner', 'POST', '/api/billing/payments', { unitId: units.neighbour, amountFen: 100, method: 'wechat', idempotencyKey: key() })).statusCode).toBe(403);
    const cash = await api('owner', 'POST', '/api/billing/payments', { unitId: units.mine, amountFen: 100, method: 'cash', idempotencyKey: key() });
    expect(cash.statusCode).toBe(400);
    expect(cash.json().error.details.issues[0].field).toBe('body.method');
    const own = await pay('owner', { unitId: units.mine, amountFen: 100, method: 'alipay', reference: 'ALI-1' });
    expect(own.payment).toMatchObject({ unitId: units.mine, ownerId: owners.mine, recordedBy: 'owner' });
    expect((await api('technician', 'GET', '/api/billing/bills')).statusCode).toBe(403);
  });

  it('keeps a clerk limited to other buildings out of these bills, payments and receipts', async () => {
    await upsertBuilding(hub.db, { id: 'pb2', siteId: 'site-p', name: 'Tower 2' });
    const username = `clerk-pb2-${kind}`;
    const userId = await hub.auth.createUser({ username, displayName: 'Clerk of Tower 2', password: 'clerk-pb2-password-1', role: 'clerk' }, 'test');
    await q('INSERT INTO user_buildings (user_id, building_id) VALUES ($1, $2)', [userId, 'pb2']);
    const token = await hub.login(username, 'clerk-pb2-password-1');
    const as = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
      hub.http.inject({ method, url, payload: payload as Record<string, unknown> | undefined, headers: { authorization: `Bearer ${token}` } });

    expect((await as('GET', '/api/billing/bills')).json()).toMatchObject({ total: 0, bills: [] });
    expect((await as('GET', '/api/billing/payments')).json().payments).toEqual([]);
    expect((await as('GET', '/api/billing/receipts')).json().receipts).toEqual([]);
    const billId = (await q<{ id: number }>('SELECT id FROM bills WHERE unit_id = $1 LIMIT 1', [units.mine]))[0].id;
    const receiptId = (await q<{ id: number }>('SELECT id FROM receipts ORDER BY id LIMIT 1'))[0].id;
    expect((await as('GET', `/api/billing/bills/${billId}`)).statusCode).toBe(403);
    expect((await as('GET', `/api/billing/receipts/${receiptId}/pdf`)).statusCode).toBe(403);
    expect((await as('POST', `/api/billing/receipts/${receiptId}/void`, { reason: 'not mine to void' })).statusCode).toBe(403);
    expect((await as('GET', `/api/billing/units/${units.mine}/account`)).statusCode).toBe(403);
    expect((await as('POST', '/api/billing/payments', { unitId: units.mine, amountFen: 100, method: 'cash', idempotencyKey: key() })).statusCode).toBe(403);
    expect(await count('receipts WHERE voided_at IS NOT NULL')).toBe(1);
  });

  it('queries bills by unit, owner, period and status with a total for paging', async () => {
    const all = (await api('clerk', 'GET', `/api/billing/bills?unit=${units.mine}`)).json();
    expect(all.total).toBe(2);
    const page = (await api('clerk', 'GET', `/api/billing/bills?unit=${units.mine}&limit=1&offset=1`)).json();
    expect(page).toMatchObject({ total: 2, bills: [{ period: '2026-01' }] });
    expect((await api('clerk', 'GET', `/api/billing/bills?status=paid&unit=${units.mine}`)).json().total).toBe(2);
    expect((await api('clerk', 'GET', `/api/billing/bills?status=partial`)).json().bills.map((b: { unitId: number }) => b.unitId)).toEqual([units.other]);
    expect((await api('clerk', 'GET', `/api/billing/bills?status=open`)).json().bills.map((b: { unitId: number }) => b.unitId)).toEqual([units.neighbour]);
    const byOwner = (await api('clerk', 'GET', `/api/billing/bills?owner=${owners.neighbour}`)).json();
    expect(byOwner.bills.map((b: { unitId: number }) => b.unitId)).toEqual([units.neighbour]);
    expect((await api('clerk', 'GET', `/api/billing/bills?period=2026-02`)).json()).toMatchObject({ total: 1, bills: [{ unitId: units.mine, status: 'paid', ownerName: 'Olga Owner' }] });

    const detail = (await api('clerk', 'GET', `/api/billing/bills/${all.bills[0].id as number}`)).json();
    expect(detail.bill.lines).toHaveLength(2);
    expect(detail.bill.lines[0]).toMatchObject({ lineNo: 1, feeItemCode: 'mgmt', amountFen: 15_000 });
    expect(detail.entries.map((e: { kind: string }) => e.kind)).toEqual(['charge', 'charge', 'payment', 'payment']);
    expect((await api('clerk', 'GET', '/api/billing/bills/999999')).statusCode).toBe(404);

    // The routes are in the OpenAPI document, their schemas with them.
    const docs = await hub.http.inject({ url: '/api/docs/json' });
    expect(docs.statusCode).toBe(200);
    const paths = docs.json().paths as Record<string, unknown>;
    for (const path of ['/api/billing/bills', '/api/billing/payments', '/api/billing/payments/{id}/refund', '/api/billing/receipts/{id}/pdf', '/api/billing/receipts/{id}/void', '/api/billing/units/{unitId}/account']) {
      expect(paths[path], path).toBeDefined();
    }
  });

  it('posts late fees after due + grace, once a day however often it sweeps, catching up, capped', async () => {
    const lateBill = await addBill(units.late, '2026-02', '2026-03-15', [{ item: items.mgmt, amountFen: 100_000 }, { item: items.parking, amountFen: 20_000 }]);
    const sweep = (at: string) => hub.billing.sweepLateFees(new Date(at));
    const fees = async () => q<{ day: string; fen: number }>(`SELECT late_fee_on::text AS day, amount_fen AS fen FROM ledger_entries WHERE bill_id = $1 AND kind = 'late_fee' ORDER BY late_fee_on`, [lateBill]);

    // Management's grace runs to 25 March (due + 10): nothing yet on the evening of the 25th, Shanghai time.
    await sweep('2026-03-25T23:30:00+08:00');
    expect(await fees()).toEqual([]);
    // The 26th: 0.05 % of 1,000 yuan = 50 fen. A second sweep that day posts nothing more.
    expect((await sweep('2026-03-26T00:30:00+08:00')).entries).toBeGreaterThanOrEqual(1);
    await sweep('2026-03-26T09:00:00+08:00');
    expect(await fees()).toEqual([{ day: '2026-03-26', fen: 50 }]);

    // Down for ten days: the sweep catches up. Parking's grace ends 4 April (due + 20): from the 5th it adds 0.1 % of 200 yuan.
    await sweep('2026-04-05T08:00:00+08:00');
    const caught = await fees();
    expect(caught).toHaveLength(11);
    expect(caught.slice(1, 10).every((f) => f.fen === 50)).toBe(true);
    expect(caught[10]).toEqual({ day: '2026-04-05', fen: 70 });
    expect(await bill(lateBill)).toMatchObject({ lateFeesFen: 570, outstandingFen: 120_570, status: 'open' });

    // A payment pays the principal first: 600 yuan left, shared 500 / 100 over the lines → 25 + 10 fen a day.
    const paid = await pay('clerk', { unitId: units.late, amountFen: 60_000 });
    expect(paid.allocations).toEqual([{ billId: lateBill, amountFen: 60_000 }]);
    await sweep('2026-04-06T08:00:00+08:00');
    expect((await fees()).at(-1)).toEqual({ day: '2026-04-06', fen: 35 });

    // Capped at 10 % of the management fee + 5 % of parking = 110 yuan, whatever the time.
    await sweep('2028-01-01T08:00:00+08:00');
    const capped = await fees();
    expect(capped.reduce((s, f) => s + Number(f.fen), 0)).toBe(11_000);
    expect(new Set(capped.map((f) => f.day)).size).toBe(capped.length);
    expect((await sweep('2028-06-01T08:00:00+08:00')).entries).toBe(0);
    expect(await bill(lateBill)).toMatchObject({ lateFeesFen: 11_000, outstandingFen: 120_000 + 11_000 - 60_000, status: 'partial' });
  });

  it('balances to the fen: every unit is the sum of its entries, and the whole ledger adds up', async () => {
    const entries = await q<{ unit_id: number; sum: number }>(`SELECT unit_id, sum(amount_fen)::bigint AS sum FROM ledger_entries GROUP BY unit_id`);
    for (const e of entries) expect((await account(e.unit_id)).balanceFen).toBe(Number(e.sum));

    const allBills = (await api('clerk', 'GET', '/api/billing/bills?limit=500')).json().bills as { outstandingFen: number }[];
    const outstanding = allBills.reduce((s, b) => s + b.outstandingFen, 0);
    let credit = 0;
    for (const unitId of Object.values(units)) credit += (await account(unitId)).creditFen;
    const sums = (
      await q<{ charged: number; late: number; paid: number; refunded: number }>(
        `SELECT (SELECT coalesce(sum(amount_fen), 0) FROM ledger_entries WHERE kind = 'charge')::bigint AS charged,
                (SELECT coalesce(sum(amount_fen), 0) FROM ledger_entries WHERE kind = 'late_fee')::bigint AS late,
                (SELECT coalesce(sum(p.amount_fen), 0) FROM payments p JOIN receipts r ON r.payment_id = p.id WHERE p.kind = 'payment' AND r.voided_at IS NULL)::bigint AS paid,
                (SELECT coalesce(sum(amount_fen), 0) FROM payments WHERE kind = 'refund')::bigint AS refunded`,
      )
    )[0];
    expect(outstanding - credit).toBe(Number(sums.charged) + Number(sums.late) - Number(sums.paid) + Number(sums.refunded));
    expect(credit).toBeGreaterThan(0);
  });
});
