import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSmsProvider, type SmsProvider } from '../src/billing/index.js';
import { createMailer } from '../src/billing/mailer.js';
import { scrubContacts } from '../src/billing/notices.service.js';
import { ratePct } from '../src/billing/reports.service.js';
import { residentIdCheckChar, upsertBuilding, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { startMailbox, type Mailbox } from './support/mailbox.js';
import { pdfText } from './support/pdf-text.js';
import { waitFor } from './support/wait.js';

type Login = 'admin' | 'clerk' | 'manager' | 'guard' | 'technician';

/** The SMS boundary: records what the hub hands to the gateway; can be told to reject the next message. */
class RecordingSms implements SmsProvider {
  readonly sent: { to: string; text: string }[] = [];
  failNext = false;
  async send(to: string, text: string): Promise<{ id: string }> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('gateway rejected the message');
    }
    this.sent.push({ to, text });
    return { id: `sms-${this.sent.length}` };
  }
}

let currentSms = new RecordingSms();
registerSmsProvider('recording', () => currentSms);

/** YYYY-MM-DD, `days` before today in Shanghai. */
function daysAgo(days: number): string {
  const d = new Date(Date.now() + 8 * 3_600_000);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

function residentId(serial: number): string {
  const first17 = `11010119900307${String(serial).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

/**
 * Notices, arrears and reports through the real API and database on both back-ends,
 * with a real local SMTP server receiving the e-mail. Bills are made in SQL (bill, lines,
 * one 'charge' ledger entry per line; payments as 'payment' entries), dated as needed.
 */
describe.each(databaseKinds)('billing notices, arrears and reports on %s', (kind) => {
  let hub: TestHub;
  let mailbox: Mailbox;
  const sms = new RecordingSms();
  const tokens = {} as Record<Login, string>;
  const items = {} as Record<'mgmt' | 'water', number>;
  let billNo = 0;
  let idSerial = 100;

  const api = (who: Login, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    hub.http.inject({ method, url, payload: payload as Record<string, unknown> | undefined, headers: { authorization: `Bearer ${tokens[who]}` } });
  const one = async <T>(sql: string, params: unknown[] = []) => (await hub.db.query(sql, params)).rows[0] as T;
  const mailsTo = (address: string) => mailbox.mails.filter((m) => m.to.includes(address));

  const addUnit = async (building: string, number: string) => (await one<{ id: number }>(`INSERT INTO units (building_id, number, area_m2) VALUES ($1, $2, 88) RETURNING id`, [building, number])).id;
  const addOwner = async (unitId: number, name: string, { language, ...contact }: { email?: string; phone?: string; language?: 'en' }) => {
    const res = await api('admin', 'POST', '/api/owners', { name, nationalId: residentId(idSerial++), ...contact });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().owner.id as number;
    await hub.db.query(`INSERT INTO unit_owners (unit_id, owner_id, role, from_date, created_by) VALUES ($1, $2, 'owner', '2020-01-01', 'test')`, [unitId, id]);
    if (language) await hub.db.query(`UPDATE owners SET language = $2 WHERE id = $1`, [id, language]);
    return id;
  };
  /** A bill as a bill run leaves it: the bill, its lines, one charge per line dated on the issue day. */
  const addBill = async (b: { unitId: number; ownerId: number | null; building: string; period: string; issuedOn: string; dueOn: string; lines: { item: number; description: string; fen: number }[] }) => {
    const total = b.lines.reduce((a, l) => a + l.fen, 0);
    const id = (await one<{ id: number }>(
      `INSERT INTO bills (number, unit_id, owner_id, building_id, period, issued_on, due_on, total_fen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [`T${kind[0]}-${b.period}-${++billNo}`, b.unitId, b.ownerId, b.building, b.period, b.issuedOn, b.dueOn, total],
    )).id;
    for (const [i, l] of b.lines.entries()) {
      const line = (await one<{ id: number }>(
        `INSERT INTO bill_lines (bill_id, line_no, fee_item_id, description, quantity, unit_price_fen, amount_fen) VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING id`,
        [id, i + 1, l.item, l.description, l.fen, l.fen],
      )).id;
      await hub.db.query(`INSERT INTO ledger_entries (unit_id, owner_id, bill_id, bill_line_id, kind, amount_fen, at, entered_by) VALUES ($1, $2, $3, $4, 'charge', $5, $6::date, 'test')`, [b.unitId, b.ownerId, id, line, l.fen, b.issuedOn]);
    }
    return id;
  };
  const pay = async (unitId: number, billId: number, fen: number, at: string | Date) => {
    const payment = (await one<{ id: number }>(
      `INSERT INTO payments (unit_id, kind, amount_fen, method, paid_at, idempotency_key, recorded_by) VALUES ($1, 'payment', $2, 'cash', $3, $4, 'test') RETURNING id`,
      [unitId, fen, at, randomUUID()],
    )).id;
    await hub.db.query(`INSERT INTO ledger_entries (unit_id, bill_id, payment_id, kind, amount_fen, at, entered_by) VALUES ($1, $2, $3, 'payment', $4, $5, 'test')`, [unitId, billId, payment, -fen, at]);
  };

  beforeAll(async () => {
    mailbox = await startMailbox();
    currentSms = sms;
    hub = await startTestHub(kind, { SMTP_URL: mailbox.url, MAIL_FROM: 'Estate Office <office@estate.test>', SMS_PROVIDER: 'recording', BILLING_MANAGER_EMAILS: 'boss@estate.test' });
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    for (const who of ['clerk', 'manager', 'guard', 'technician'] as const) tokens[who] = await hub.login(who, demoPassword(hub, who));
    await upsertSite(hub.db, { id: 'site-b', name: 'Site B', timezone: 'Asia/Shanghai' });
    for (const b of ['bb1', 'bb2', 'bb3', 'bb4', 'bb5']) await upsertBuilding(hub.db, { id: b, siteId: 'site-b', name: `Tower ${b.toUpperCase()}` });
    items.mgmt = (await one<{ id: number }>(`INSERT INTO fee_items (code, name, name_zh, basis) VALUES ('mgmt', 'Management fee', '物业管理费', 'area') RETURNING id`)).id;
    items.water = (await one<{ id: number }>(`INSERT INTO fee_items (code, name, name_zh, basis, meter_kind) VALUES ('water', 'Water', '水费', 'meter', 'water') RETURNING id`)).id;
    // The demo manager has an e-mail in their staff record: warnings reach them too.
    await hub.db.query(`INSERT INTO staff (user_id, name, email) SELECT id, 'Mia Manager', 'mia.manager@estate.test' FROM users WHERE username = 'manager'`);
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    await mailbox?.close();
  });

  it('sends each bill once per channel in the owner language, masks recipients, retries failures', async () => {
    const zhUnit = await addUnit('bb1', '101');
    const enUnit = await addUnit('bb1', '102');
    const zhOwner = await addOwner(zhUnit, '张伟', { email: 'zhang.wei@example.com', phone: '13812345678' });
    const enOwner = await addOwner(enUnit, 'Emma Brown', { email: 'emma@example.com', language: 'en' });
    await addBill({ unitId: zhUnit, ownerId: zhOwner, building: 'bb1', period: '2099-10', issuedOn: '2099-10-01', dueOn: '2099-10-15', lines: [{ item: items.mgmt, description: '物业管理费', fen: 100_000 }, { item: items.water, description: '水费', fen: 23_456 }] });
    const enBill = await addBill({ unitId: enUnit, ownerId: enOwner, building: 'bb1', period: '2099-10', issuedOn: '2099-10-01', dueOn: '2099-10-15', lines: [{ item: items.mgmt, description: 'Management fee', fen: 50_000 }] });
    await pay(enUnit, enBill, 20_000, '2099-10-03T10:00:00Z');

    sms.failNext = true;
    const first = await api('clerk', 'POST', '/api/billing/notices/bills', { period: '2099-10', buildingId: 'bb1' });
    expect(first.statusCode, first.body).toBe(200);
    // zh: e-mail sent, SMS rejected by the gateway; en: e-mail sent, no phone on record.
    expect(first.json()).toEqual({ sent: 2, failed: 1, skipped: 1 });
    const zhMail = await waitFor(() => mailsTo('zhang.wei@example.com')[0], 'the Chinese bill notice');
    expect(zhMail.subject).toBe(`2099-10 物业账单 T${kind[0]}-2099-10-1：应缴 ¥1,234.56，请于 2099-10-15 前缴纳`);
    expect(zhMail.text).toContain('尊敬的 张伟');
    expect(zhMail.text).toContain('水费: ¥234.56');
    const enMail = await waitFor(() => mailsTo('emma@example.com')[0], 'the English bill notice');
    expect(enMail.text).toContain('Dear Emma Brown');
    expect(enMail.text).toContain('is ¥500.00:');
    expect(enMail.text).toContain('Amount due: ¥300.00, by 2099-10-15.');

    // The failed SMS is tried again; what was sent is not sent again.
    const second = await api('clerk', 'POST', '/api/billing/notices/bills', { period: '2099-10', buildingId: 'bb1', channels: ['email', 'sms'] });
    expect(second.json()).toEqual({ sent: 1, failed: 0, skipped: 3 });
    expect(sms.sent).toEqual([{ to: '13812345678', text: '【物业】Tower BB1 101 2099-10 账单应缴 ¥1,234.56，请于 2099-10-15 前缴纳。' }]);
    expect((await api('clerk', 'POST', '/api/billing/notices/bills', { period: '2099-10' })).json()).toEqual({ sent: 0, failed: 0, skipped: 4 });
    expect(mailsTo('zhang.wei@example.com')).toHaveLength(1);

    const listed = await api('clerk', 'GET', `/api/billing/notices?unit=${zhUnit}`);
    expect(listed.statusCode).toBe(200);
    const notices = listed.json().notices as { channel: string; status: string; recipient: string; error: string | null; purpose: string }[];
    expect(notices.map((n) => [n.purpose, n.channel, n.status, n.recipient]).sort()).toEqual([
      ['bill', 'email', 'sent', 'z***@example.com'],
      ['bill', 'sms', 'failed', '138****5678'],
      ['bill', 'sms', 'sent', '138****5678'],
    ]);
    expect(notices.find((n) => n.status === 'failed')?.error).toBe('gateway rejected the message');
    // Nothing stored in clear.
    const stored = await hub.db.query(`SELECT recipient FROM billing_notices WHERE recipient LIKE '%zhang%' OR recipient LIKE '%12345678%'`);
    expect(stored.rowCount).toBe(0);
  });

  it('records e-mail as failed, "not configured", where no SMTP server is set, and never keeps a contact in an error', async () => {
    expect(await createMailer({ from: 'x@y.z' }).send({ to: 'a@b.c', subject: 's', text: 't' })).toEqual({ ok: false, error: 'e-mail is not configured (SMTP_URL is unset)' });
    // A transport's error may quote the recipient: stored and logged masked.
    expect(scrubContacts('550 <zhang.wei@example.com>: Recipient rejected; number 13812345678 unknown')).toBe('550 <z***@example.com>: Recipient rejected; number 138****5678 unknown');
    // The API documents every route of this part.
    const docs = await hub.http.inject({ url: '/api/docs/json' });
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(docs.json().paths)).toEqual(expect.arrayContaining(['/api/billing/notices/bills', '/api/billing/arrears/actions/{id}/letter.pdf', '/api/billing/reports/income']));
  });

  it('ages arrears into 0–30, 31–90, 91–180 and over 180 days as of a date', async () => {
    const unit = await addUnit('bb2', '201');
    const owner = await addOwner(unit, 'Wang Fang', {});
    const b1 = { unitId: unit, ownerId: owner, building: 'bb2', lines: [{ item: items.mgmt, description: 'mgmt', fen: 10_000 }] };
    await addBill({ ...b1, period: '2025-12', issuedOn: '2025-12-31', dueOn: '2026-01-15' });
    await addBill({ ...b1, period: '2026-03', issuedOn: '2026-03-31', dueOn: '2026-04-10', lines: [{ item: items.mgmt, description: 'mgmt', fen: 20_000 }] });
    const june = await addBill({ ...b1, period: '2026-06', issuedOn: '2026-06-05', dueOn: '2026-06-20', lines: [{ item: items.mgmt, description: 'mgmt', fen: 30_000 }] });
    await pay(unit, june, 5_000, '2026-06-25T03:00:00Z');

    const july = await api('clerk', 'GET', '/api/billing/arrears?building=bb2&asOf=2026-07-01');
    expect(july.statusCode, july.body).toBe(200);
    // Ages on 1 July: 167, 82 and 11 days past due.
    expect(july.json()).toMatchObject({ asOf: '2026-07-01', buckets: { '0-30': 25_000, '31-90': 20_000, '91-180': 10_000, '180+': 0 } });
    expect(july.json().units).toEqual([expect.objectContaining({ unitId: unit, unitNumber: '201', ownerName: 'Wang Fang', totalFen: 55_000, ageDays: 167, oldestDueOn: '2026-01-15' })]);
    // Before the payment, the June bill was owed in full; on its due day it was not yet in arrears.
    expect((await api('clerk', 'GET', '/api/billing/arrears?building=bb2&asOf=2026-06-22')).json().buckets).toEqual({ '0-30': 30_000, '31-90': 20_000, '91-180': 10_000, '180+': 0 });
    expect((await api('clerk', 'GET', '/api/billing/arrears?building=bb2&asOf=2026-06-20')).json().buckets['0-30']).toBe(0);
    // On 20 July: 186, 101 and 30 days.
    expect((await api('clerk', 'GET', '/api/billing/arrears?building=bb2&asOf=2026-07-20')).json().buckets).toEqual({ '0-30': 25_000, '31-90': 0, '91-180': 20_000, '180+': 10_000 });
    expect((await api('clerk', 'GET', '/api/billing/arrears?building=bb2&asOf=2026-07-20&bucket=180%2B')).json().units).toHaveLength(1);
    expect((await api('clerk', 'GET', '/api/billing/arrears?building=bb2&asOf=2026-07-20&bucket=31-90')).json().units).toEqual([]);

    const bad = await api('clerk', 'GET', '/api/billing/arrears?asOf=2026-02-30&bucket=old');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.issues.map((i: { field: string }) => i.field).sort()).toEqual(['querystring.asOf', 'querystring.bucket']);
  });

  it('climbs the escalation ladder at the right ages, once, and warns managers once', async () => {
    const unit = await addUnit('bb3', '301');
    const owner = await addOwner(unit, '李娜', { email: 'li.na@example.com', phone: '13900001111' });
    const bill = await addBill({ unitId: unit, ownerId: owner, building: 'bb3', period: '2026-02', issuedOn: '2026-02-14', dueOn: '2026-03-01', lines: [{ item: items.mgmt, description: 'mgmt', fen: 80_000 }] });
    const actions = async () => (await hub.db.query<{ step: number; action: string; status: string }>('SELECT step, action, status FROM arrears_actions WHERE unit_id = $1 ORDER BY step', [unit])).rows;
    const sweepAt = (iso: string) => hub.billing.arrears.sweep(new Date(iso));

    await sweepAt('2026-03-10T04:00:00Z');
    expect(await actions()).toEqual([]);

    // Day 16 (Shanghai): the reminder, sent by e-mail and SMS, done.
    await sweepAt('2026-03-17T04:00:00Z');
    expect(await actions()).toEqual([{ step: 1, action: 'reminder', status: 'done' }]);
    const reminderMail = await waitFor(() => mailsTo('li.na@example.com')[0], 'the reminder e-mail');
    expect(reminderMail.subject).toBe('缴费提醒：Tower BB3 301 欠费 ¥800.00');
    expect(reminderMail.text).toContain('最早一笔已逾期 16 天');
    expect(sms.sent.filter((m) => m.to === '13900001111').map((m) => m.text)).toEqual(['【物业】Tower BB3 301 欠费 ¥800.00，已逾期 16 天，请尽快缴纳。']);
    const again = await sweepAt('2026-03-17T05:00:00Z');
    expect(again.actionsCreated).toBe(0);
    expect(mailsTo('li.na@example.com')).toHaveLength(1);

    // Two sweeps at once (as on two hubs): the call is taken once.
    const both = await Promise.all([sweepAt('2026-04-20T04:00:00Z'), sweepAt('2026-04-20T04:00:00Z')]);
    expect(both.map((r) => r.actionsCreated).sort()).toEqual([0, expect.any(Number)]);
    expect(await actions()).toEqual([{ step: 1, action: 'reminder', status: 'done' }, { step: 2, action: 'call', status: 'due' }]);

    // Day 92: the visit, and the age warning (live event, managers e-mailed).
    const visit = await sweepAt('2026-06-01T04:00:00Z');
    expect(visit.warningsRaised).toBeGreaterThanOrEqual(1);
    expect((await actions()).map((a) => a.action)).toEqual(['reminder', 'call', 'visit']);
    const warning = await one<{ id: number; reason: string; amount_fen: number; age_days: number }>('SELECT id, reason, amount_fen, age_days FROM arrears_warnings WHERE unit_id = $1 AND cleared_at IS NULL', [unit]);
    expect(warning).toMatchObject({ reason: 'age', amount_fen: 80_000, age_days: 92 });
    const live = await hub.db.query(`SELECT building_id, audience, data FROM live_events WHERE type = 'billing.arrears_warning' AND (data->>'unitId')::bigint = $1`, [unit]);
    expect(live.rows).toEqual([{ building_id: 'bb3', audience: ['admin', 'manager'], data: expect.objectContaining({ state: 'raised', reason: 'age', amountFen: 80_000, ageDays: 92 }) }]);
    for (const manager of ['boss@estate.test', 'mia.manager@estate.test']) {
      const m = await waitFor(() => mailsTo(manager).find((x) => x.subject.includes('Tower BB3 301')), `the warning e-mail to ${manager}`);
      expect(m.text).toContain('逾期达到 90 天');
    }
    await sweepAt('2026-06-02T04:00:00Z');
    expect(await hub.db.query('SELECT 1 FROM arrears_warnings WHERE unit_id = $1', [unit])).toMatchObject({ rowCount: 1 });
    expect(mailsTo('boss@estate.test').filter((x) => x.subject.includes('Tower BB3 301'))).toHaveLength(1);

    // Day 184: the lawyer's letter, a PDF stating the debt and the deadline.
    await sweepAt('2026-09-01T04:00:00Z');
    expect((await actions()).map((a) => a.action)).toEqual(['reminder', 'call', 'visit', 'lawyer_letter']);
    const workList = await api('clerk', 'GET', '/api/billing/arrears/actions?status=due&building=bb3');
    expect(workList.statusCode).toBe(200);
    const due = workList.json().actions as { id: number; action: string; letterUrl: string | null; summary: { en: string } }[];
    expect(due.map((a) => a.action)).toEqual(['call', 'visit', 'lawyer_letter']);
    expect(due[0].summary.en).toBe('Phone call: Tower BB3 301 owes ¥800.00, 50 days overdue');
    const letter = due.find((a) => a.action === 'lawyer_letter')!;
    const pdf = await api('clerk', 'GET', letter.letterUrl!);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const letterText = (await pdfText(pdf.rawPayload)).replace(/\s+/g, ' ');
    expect(letterText).toContain("Lawyer's letter");
    expect(letterText).toContain('¥800.00');
    expect(letterText).toContain('Tower BB3 301');
    expect(letterText).toContain('Please pay the above in full by 2026-09-16');
    expect(letterText).toContain('2026-02');
    expect((await api('clerk', 'GET', `/api/billing/arrears/actions/${due[0].id}/letter.pdf`)).statusCode).toBe(404);

    // The clerk's work: a logged call completes the call rung; the visit and the letter are marked done.
    const call = await api('clerk', 'POST', '/api/billing/arrears/calls', { unitId: unit, outcome: 'promised to pay next week' });
    expect(call.statusCode, call.body).toBe(201);
    expect(call.json().actionsCompleted).toBe(1);
    for (const a of due.slice(1)) {
      const done = await api('clerk', 'POST', `/api/billing/arrears/actions/${a.id}/done`, { outcome: a.action === 'visit' ? 'nobody home; card left' : 'sent by registered post' });
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json().action).toMatchObject({ status: 'done', doneBy: 'clerk' });
    }
    expect((await api('clerk', 'POST', `/api/billing/arrears/actions/${due[1].id}/done`, { outcome: 'twice' })).statusCode).toBe(409);
    const logged = (await api('clerk', 'GET', `/api/billing/notices?unit=${unit}`)).json().notices as { channel: string; status: string }[];
    expect(logged.filter((n) => n.status === 'logged').map((n) => n.channel).sort()).toEqual(['letter', 'phone', 'visit']);

    // Acknowledged, then cleared by payment.
    const ack = await api('manager', 'POST', `/api/billing/arrears/warnings/${warning.id}/ack`);
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json().warning).toMatchObject({ acknowledgedBy: 'manager', clearedAt: null });
    await pay(unit, bill, 80_000, new Date());
    const cleared = await sweepAt(new Date().toISOString());
    expect(cleared.warningsCleared).toBeGreaterThanOrEqual(1);
    const open = (await api('manager', 'GET', '/api/billing/arrears/warnings?open=true&building=bb3')).json().warnings;
    expect(open).toEqual([]);
    const liveCleared = await hub.db.query(`SELECT 1 FROM live_events WHERE type = 'billing.arrears_warning' AND data->>'state' = 'cleared' AND (data->>'unitId')::bigint = $1`, [unit]);
    expect(liveCleared.rowCount).toBe(1);
  });

  it('warns on the amount through the hourly sweep route, once, and clears after payment', async () => {
    const unit = await addUnit('bb5', '501');
    const owner = await addOwner(unit, 'Big Debtor', {});
    const bill = await addBill({ unitId: unit, ownerId: owner, building: 'bb5', period: '2026-10', issuedOn: daysAgo(20), dueOn: daysAgo(5), lines: [{ item: items.mgmt, description: 'mgmt', fen: 600_000 }] });
    const first = await api('clerk', 'POST', '/api/billing/arrears/sweep');
    expect(first.statusCode, first.body).toBe(200);
    const warnings = (await api('manager', 'GET', '/api/billing/arrears/warnings?open=true&building=bb5')).json().warnings;
    expect(warnings).toEqual([expect.objectContaining({ unitId: unit, reason: 'amount', amountFen: 600_000, ageDays: 5 })]);
    await waitFor(() => mailsTo('boss@estate.test').find((m) => m.subject === '欠费预警 Arrears warning: Tower BB5 501 ¥6,000.00'), 'the amount warning e-mail');
    const second = (await api('clerk', 'POST', '/api/billing/arrears/sweep')).json();
    expect(second).toEqual({ actionsCreated: 0, remindersSent: 0, warningsRaised: 0, warningsCleared: 0 });
    expect(mailsTo('boss@estate.test').filter((m) => m.subject.includes('BB5 501'))).toHaveLength(1);

    await pay(unit, bill, 150_000, new Date());
    // ¥4,500 left, 5 days: below both thresholds.
    expect((await api('clerk', 'POST', '/api/billing/arrears/sweep')).json().warningsCleared).toBe(1);
    expect((await api('manager', 'GET', '/api/billing/arrears/warnings?open=false&building=bb5')).json().warnings).toEqual([expect.objectContaining({ unitId: unit, clearedAt: expect.any(String) })]);
  });

  it('keeps a per-site policy, validated per field', async () => {
    const policies = (await api('clerk', 'GET', '/api/billing/arrears/policy')).json().policies;
    expect(policies.find((p: { siteId: string }) => p.siteId === 'site-b')).toMatchObject({ isDefault: true, warnAmountFen: 500_000, warnAgeDays: 90, ladder: [{ afterDays: 15, action: 'reminder' }, { afterDays: 45, action: 'call' }, { afterDays: 90, action: 'visit' }, { afterDays: 180, action: 'lawyer_letter' }] });
    expect((await api('clerk', 'PUT', '/api/billing/arrears/policy', { siteId: 'site-b', ladder: [{ afterDays: 10, action: 'reminder' }], warnAmountFen: 1, warnAgeDays: 1 })).statusCode).toBe(403);
    const bad = await api('manager', 'PUT', '/api/billing/arrears/policy', { siteId: 'site-b', ladder: [{ afterDays: 30, action: 'call' }, { afterDays: 20, action: 'visit' }], warnAmountFen: 100_000, warnAgeDays: 60 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.issues).toEqual([{ field: 'body.ladder.1.afterDays', message: 'must be later than the step before (30 days)' }]);
    const wrong = await api('manager', 'PUT', '/api/billing/arrears/policy', { siteId: 'site-b', ladder: [{ afterDays: 5, action: 'sue' }], warnAmountFen: -1, warnAgeDays: 60 });
    expect(wrong.json().error.details.issues.map((i: { field: string }) => i.field).sort()).toEqual(['body.ladder.0.action', 'body.warnAmountFen']);
    const set = await api('manager', 'PUT', '/api/billing/arrears/policy', { siteId: 'site-b', ladder: [{ afterDays: 10, action: 'reminder' }, { afterDays: 60, action: 'lawyer_letter' }], warnAmountFen: 1_000_000, warnAgeDays: 365 });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().policy).toMatchObject({ isDefault: false, updatedBy: 'manager', warnAmountFen: 1_000_000 });
    // Back to the defaults' values for the other tests' expectations.
    await hub.db.query(`DELETE FROM arrears_policies WHERE site_id = 'site-b'`);
  });

  it('reports collection, income by fee item, utility use and ageing exactly, in JSON, CSV and PDF', async () => {
    const f = await addUnit('bb4', '401');
    const g = await addUnit('bb4', '402');
    const fBill = await addBill({ unitId: f, ownerId: null, building: 'bb4', period: '2026-08', issuedOn: '2026-08-01', dueOn: '2026-08-15', lines: [{ item: items.mgmt, description: 'mgmt', fen: 70_000 }, { item: items.water, description: 'water', fen: 30_000 }] });
    const gBill = await addBill({ unitId: g, ownerId: null, building: 'bb4', period: '2026-08', issuedOn: '2026-08-01', dueOn: '2026-08-15', lines: [{ item: items.mgmt, description: 'mgmt', fen: 33_333 }] });
    await hub.db.query(`INSERT INTO ledger_entries (unit_id, bill_id, kind, amount_fen, at, entered_by, late_fee_on) VALUES ($1, $2, 'late_fee', 1000, '2026-08-20', 'test', '2026-08-20')`, [f, fBill]);
    await pay(f, fBill, 50_000, '2026-08-10T02:00:00Z');
    await pay(g, gBill, 33_333, '2026-08-10T02:00:00Z');
    // Meters: a unit's and the shared area's water, and a flagged electricity reading (not counted).
    await hub.db.query(`INSERT INTO agents (id, site_id, building_id, secret_hash) VALUES ('agent-bb4-${kind}', 'site-b', 'bb4', 'x')`);
    const device = async (code: string) => (await one<{ id: number }>(`INSERT INTO devices (agent_id, code, site_id, building_id, type, name) VALUES ('agent-bb4-${kind}', $1, 'site-b', 'bb4', 'meter', $1) RETURNING id`, [code])).id;
    const meter = async (code: string, kindOf: string, unitId: number | null) =>
      (await one<{ id: number }>(`INSERT INTO meters (device_id, metric, kind, building_id, unit_id, created_by) VALUES ($1, 'total', $2, 'bb4', $3, 'test') RETURNING id`, [await device(code), kindOf, unitId])).id;
    const reading = (meterId: number, consumption: string, status: string) =>
      hub.db.query(`INSERT INTO meter_readings (meter_id, period, consumption, source, status) VALUES ($1, '2026-08', $2, 'telemetry', $3)`, [meterId, consumption, status]);
    await reading(await meter('wm-401', 'water', f), '12.345', 'ok');
    await reading(await meter('wm-shared', 'water', null), '100.000', 'confirmed');
    await reading(await meter('em-401', 'electricity', f), '999.900', 'flagged');

    const collection = await api('manager', 'GET', '/api/billing/reports/collection?from=2026-08&to=2026-08&building=bb4');
    expect(collection.statusCode, collection.body).toBe(200);
    // 83,333 collected of 133,333 billed + 1,000 late fees.
    expect(collection.json().rows).toEqual([{ period: '2026-08', buildingId: 'bb4', bills: 2, billedFen: 133_333, lateFeesFen: 1_000, collectedFen: 83_333, outstandingFen: 51_000, ratePct: '62.03' }]);

    // F's ¥500 split over 700 : 300 : 10 (mgmt, water, late fee) = 34,653 / 14,852 / 495 (the spare fen to the largest remainder).
    const income = await api('manager', 'GET', '/api/billing/reports/income?from=2026-08&to=2026-08&building=bb4');
    expect(income.json().rows).toEqual([
      { period: '2026-08', feeItem: 'late_fee', name: '滞纳金 Late fees', billedFen: 1_000, collectedFen: 495 },
      { period: '2026-08', feeItem: 'mgmt', name: '物业管理费 Management fee', billedFen: 103_333, collectedFen: 67_986 },
      { period: '2026-08', feeItem: 'water', name: '水费 Water', billedFen: 30_000, collectedFen: 14_852 },
    ]);

    const utilities = await api('manager', 'GET', '/api/billing/reports/utilities?from=2026-08&to=2026-08&building=bb4');
    expect(utilities.json().rows).toEqual([
      { period: '2026-08', buildingId: 'bb4', kind: 'electricity', unit: 'kWh', readings: 1, flagged: 1, unitConsumption: '0', sharedConsumption: '0' },
      { period: '2026-08', buildingId: 'bb4', kind: 'water', unit: 'm³', readings: 2, flagged: 0, unitConsumption: '12.345', sharedConsumption: '100.000' },
    ]);

    const ageing = await api('clerk', 'GET', '/api/billing/reports/ageing?building=bb4&asOf=2026-09-01');
    expect(ageing.json().rows).toEqual([{ buildingId: 'bb4', unitNumber: '401', ownerName: null, 'fen_0-30': 51_000, 'fen_31-90': 0, 'fen_91-180': 0, 'fen_180+': 0, totalFen: 51_000, ageDays: 17 }]);

    const csv = await api('clerk', 'GET', '/api/billing/reports/income?from=2026-08&to=2026-08&building=bb4&format=csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv.rawPayload.toString('utf8').slice(1)).toBe(
      'period,feeItem,name,billedFen,collectedFen\r\n2026-08,late_fee,滞纳金 Late fees,1000,495\r\n2026-08,mgmt,物业管理费 Management fee,103333,67986\r\n2026-08,water,水费 Water,30000,14852\r\n',
    );

    const pdf = await api('clerk', 'GET', '/api/billing/reports/collection?from=2026-08&to=2026-08&building=bb4&format=pdf');
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const text = (await pdfText(pdf.rawPayload)).replace(/\s+/g, ' ');
    expect(text).toContain('Collection rate');
    expect(text).toContain('¥1,333.33');
    expect(text).toContain('62.03');

    const bad = await api('clerk', 'GET', '/api/billing/reports/collection?from=2026-13&format=xls');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.issues.map((i: { field: string }) => i.field).sort()).toEqual(['querystring.format', 'querystring.from']);
    const reversed = await api('clerk', 'GET', '/api/billing/reports/collection?from=2026-09&to=2026-08');
    expect(reversed.json().error.details.issues).toEqual([{ field: 'querystring.from', message: 'must not be after to (2026-08)' }]);
    expect(ratePct(1, 3)).toBe('33.33');
    expect(ratePct(2, 3)).toBe('66.67');
    expect(ratePct(5, 0)).toBeNull();
  });

  it('refuses guards and technicians everywhere, bad requests per field, and other buildings to a limited clerk', async () => {
    for (const who of ['guard', 'technician'] as const) {
      for (const [method, url] of [
        ['POST', '/api/billing/notices/bills'],
        ['GET', '/api/billing/notices'],
        ['GET', '/api/billing/arrears'],
        ['POST', '/api/billing/arrears/sweep'],
        ['GET', '/api/billing/arrears/actions'],
        ['GET', '/api/billing/arrears/warnings'],
        ['GET', '/api/billing/reports/collection'],
      ] as const) {
        expect((await api(who, method, url, method === 'POST' ? { period: '2026-01' } : undefined)).statusCode, `${who} ${method} ${url}`).toBe(403);
      }
    }
    const bad = await api('clerk', 'POST', '/api/billing/notices/bills', { period: '2026-13', channels: ['fax'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.issues.map((i: { field: string }) => i.field).sort()).toEqual(['body.channels.0', 'body.period']);
    const call = await api('clerk', 'POST', '/api/billing/arrears/calls', { unitId: 99_999_999, outcome: 'x' });
    expect(call.json().error.details.issues).toEqual([{ field: 'body.unitId', message: 'no unit 99999999' }]);

    // A clerk limited to Tower BB2 sees its arrears only, and no other building's.
    const limitedUnit = await addUnit('bb2', '299');
    await addBill({ unitId: limitedUnit, ownerId: null, building: 'bb2', period: '2026-09', issuedOn: daysAgo(60), dueOn: daysAgo(40), lines: [{ item: items.mgmt, description: 'mgmt', fen: 1_000 }] });
    const otherUnit = await addUnit('bb4', '499');
    await addBill({ unitId: otherUnit, ownerId: null, building: 'bb4', period: '2026-09', issuedOn: daysAgo(60), dueOn: daysAgo(40), lines: [{ item: items.mgmt, description: 'mgmt', fen: 1_000 }] });
    await hub.billing.arrears.sweep();
    await hub.db.query(`INSERT INTO user_buildings (user_id, building_id) SELECT id, 'bb2' FROM users WHERE username = 'clerk'`);
    expect((await api('clerk', 'GET', '/api/billing/arrears?building=bb4')).statusCode).toBe(403);
    expect((await api('clerk', 'GET', '/api/billing/reports/collection?building=bb4')).statusCode).toBe(403);
    const mine = (await api('clerk', 'GET', '/api/billing/arrears')).json().units as { unitId: number; buildingId: string }[];
    expect(mine.map((u) => u.unitId)).toContain(limitedUnit);
    expect(mine.every((u) => u.buildingId === 'bb2')).toBe(true);
    const work = (await api('clerk', 'GET', '/api/billing/arrears/actions')).json().actions as { unitId: number; buildingId: string }[];
    expect(work.map((a) => a.unitId)).toContain(limitedUnit);
    expect(work.every((a) => a.buildingId === 'bb2')).toBe(true);
    expect((await hub.db.query('SELECT 1 FROM arrears_actions WHERE unit_id = $1', [otherUnit])).rowCount).toBeGreaterThan(0);
    expect((await api('clerk', 'GET', '/api/billing/reports/collection?from=2026-08&to=2026-08')).json().rows).toEqual([]);
  });
});
