import type { Logger } from 'pino';
import type { Database, Queryable } from '../db/database.js';
import { lockUnitAccount } from './ledger.service.js';
import { apportion, fenOf, type Fen } from './money.js';

/**
 * Late fees (滞纳金). Each fee item carries its rule (0013_billing.sql): a daily rate in
 * basis points of the overdue amount, from the day after due + grace, capped in total
 * at cap_bp of that amount. A bill mixes items, so the rule is applied line by line:
 *
 * - The bill's overdue principal is what is still owed on it less its late fees
 *   (payments pay the principal first), shared over its lines in proportion to their
 *   amounts (largest remainder, exact to the fen).
 * - The fee of day d = round half up (Σ line share × line daily_bp / 10000) over the
 *   lines whose grace has run out by d — one rounding per day, not per line.
 * - The cap of the bill = ⌊Σ line amount × line cap_bp / 10000⌋ over the lines with a
 *   daily rate; what was posted counts towards it (a waived fee too). A cap of 0 means
 *   no late fee at all, as the rule reads.
 *
 * One 'late_fee' entry per bill and day, dated late_fee_on = d: the UNIQUE (bill_id,
 * kind, late_fee_on) makes posting idempotent whatever the number of sweeps or hubs, and
 * a sweep after a gap posts every missed day (on the principal owed at the time of the
 * sweep: a payment after a missed day does not reach back). Days are the estate's.
 */
export interface LateFeeSweep {
  bills: number;
  entries: number;
  totalFen: Fen;
}

interface LineRule {
  amount_fen: number;
  late_daily_bp: number;
  late_cap_bp: number;
  late_grace_days: number;
}

const DAY_MS = 86_400_000;
const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

export class LateFeeService {
  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
  ) {}

  /** Posts the late fees due by `now` on every overdue bill. */
  async sweep(now: Date = new Date()): Promise<LateFeeSweep> {
    // Bills that may owe a fee now: overdue past some line's grace, principal still owed,
    // under the cap, today not yet posted. Summed per bill through ledger_bill_idx rather
    // than through bill_balances, which would aggregate every bill ever made each hour.
    const { rows } = await this.db.query<{ id: number; unit_id: number }>(
      `WITH overdue AS (
         SELECT b.id, b.unit_id, b.due_on, ($1::timestamptz AT TIME ZONE s.timezone)::date AS today
           FROM bills b JOIN buildings bl ON bl.id = b.building_id JOIN sites s ON s.id = bl.site_id
          WHERE b.voided_at IS NULL AND b.due_on < ($1::timestamptz AT TIME ZONE s.timezone)::date)
       SELECT o.id, o.unit_id
         FROM overdue o
         CROSS JOIN LATERAL (
           SELECT floor(sum(greatest(l.amount_fen, 0)::numeric * f.late_cap_bp / 10000)) AS cap,
                  bool_or(o.due_on + f.late_grace_days < o.today) AS past_grace
             FROM bill_lines l JOIN fee_items f ON f.id = l.fee_item_id
            WHERE l.bill_id = o.id AND f.late_daily_bp > 0 AND f.late_cap_bp > 0) rule
         CROSS JOIN LATERAL (
           SELECT coalesce(sum(e.amount_fen) FILTER (WHERE coalesce(r.kind, e.kind) <> 'late_fee'), 0) AS principal,
                  coalesce(sum(e.amount_fen) FILTER (WHERE e.kind = 'late_fee'), 0) AS posted,
                  bool_or(e.kind = 'late_fee' AND e.late_fee_on = o.today) AS posted_today
             FROM ledger_entries e LEFT JOIN ledger_entries r ON r.id = e.reverses_id
            WHERE e.bill_id = o.id) money
        WHERE rule.past_grace AND money.principal > 0 AND money.posted < rule.cap AND money.posted_today IS NOT TRUE
        ORDER BY o.id`,
      [now],
    );
    const result: LateFeeSweep = { bills: 0, entries: 0, totalFen: 0 };
    for (const bill of rows) {
      try {
        const posted = await this.db.transaction((tx) => this.postBill(tx, bill.id, bill.unit_id, now));
        if (posted.entries > 0) result.bills += 1;
        result.entries += posted.entries;
        result.totalFen += posted.totalFen;
      } catch (err) {
        // One bill's failure must not stop the others; the next sweep retries it.
        this.logger.warn({ err: (err as Error).message, billId: bill.id }, 'late fees of a bill could not be posted');
      }
    }
    if (result.entries > 0) this.logger.info(result, 'late fees posted');
    return result;
  }

  private async postBill(tx: Queryable, billId: number, unitId: number, now: Date): Promise<{ entries: number; totalFen: Fen }> {
    // Under the account's lock, so a payment being recorded now is either all in the principal or not at all.
    await lockUnitAccount(tx, unitId);
    const bill = (
      await tx.query<{ owner_id: number | null; due_on: string; today: string; outstanding_fen: number; late_fees_fen: number }>(
        `SELECT b.owner_id, b.due_on::text AS due_on, (($2::timestamptz) AT TIME ZONE s.timezone)::date::text AS today, bb.outstanding_fen, bb.late_fees_fen
           FROM bills b JOIN bill_balances bb ON bb.bill_id = b.id JOIN buildings bl ON bl.id = b.building_id JOIN sites s ON s.id = bl.site_id
          WHERE b.id = $1`,
        [billId, now],
      )
    ).rows[0];
    const principal = fenOf(bill.outstanding_fen) - fenOf(bill.late_fees_fen);
    if (principal <= 0) return { entries: 0, totalFen: 0 };

    const lines = (
      await tx.query<LineRule>(
        `SELECT l.amount_fen, f.late_daily_bp, f.late_cap_bp, f.late_grace_days
           FROM bill_lines l JOIN fee_items f ON f.id = l.fee_item_id WHERE l.bill_id = $1 ORDER BY l.line_no`,
        [billId],
      )
    ).rows;
    const shares = apportion(principal, lines.map((l) => BigInt(Math.max(0, fenOf(l.amount_fen)))));
    const ruled = lines.map((l, i) => ({ ...l, share: BigInt(shares[i]) })).filter((l) => l.late_daily_bp > 0 && l.late_cap_bp > 0);
    if (ruled.length === 0) return { entries: 0, totalFen: 0 };
    const cap = Number(ruled.reduce((s, l) => s + BigInt(Math.max(0, fenOf(l.amount_fen))) * BigInt(l.late_cap_bp), 0n) / 10_000n);

    const done = await tx.query<{ day: string; amount_fen: number }>(`SELECT late_fee_on::text AS day, amount_fen FROM ledger_entries WHERE bill_id = $1 AND kind = 'late_fee'`, [billId]);
    const postedDays = new Set(done.rows.map((r) => r.day));
    let posted = done.rows.reduce((s, r) => s + fenOf(r.amount_fen), 0);

    let entries = 0;
    let total = 0;
    const firstDay = addDays(bill.due_on, 1 + Math.min(...ruled.map((l) => l.late_grace_days)));
    for (let day = firstDay; day <= bill.today && posted < cap; day = addDays(day, 1)) {
      if (postedDays.has(day)) continue;
      const overdue = ruled.filter((l) => addDays(bill.due_on, l.late_grace_days) < day);
      const raw = overdue.reduce((s, l) => s + l.share * BigInt(l.late_daily_bp), 0n);
      const fee = Math.min(Number((raw + 5_000n) / 10_000n), cap - posted);
      if (fee <= 0) continue;
      const inserted = await tx.query(
        `INSERT INTO ledger_entries (unit_id, owner_id, bill_id, kind, amount_fen, at, entered_by, memo, late_fee_on)
         VALUES ($1, $2, $3, 'late_fee', $4, $5, 'system', $6, $7)
         ON CONFLICT DO NOTHING`,
        [unitId, bill.owner_id, billId, fee, now, `late fee for ${day}`, day],
      );
      if (inserted.rowCount) {
        posted += fee;
        total += fee;
        entries += 1;
      }
    }
    return { entries, totalFen: total };
  }
}
