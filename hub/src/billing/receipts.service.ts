import { recordAudit } from '../audit/index.js';
import type { SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/index.js';
import type { BillingQueries, ReceiptRow } from './bills-query.js';
import { selectReceipt } from './bills-query.js';
import { lockUnitAccount } from './ledger.service.js';
import { fenOf } from './money.js';
import { renderReceiptPdf, type ReceiptDocument } from './receipt-pdf.js';

/** Who sees the live 'billing.payment' events: the office, by building (owners follow their own through the API). */
export const paymentAudience = ['admin', 'manager', 'clerk'] as const;

export interface IssuedReceipt {
  id: number;
  number: string;
  series: string;
  seq: number;
}

/**
 * Issues the receipt of a payment inside the payment's transaction. Numbers are gap-free
 * per series (R + the year where the estate is: R2026-000001): the series row is
 * created if new, then its counter taken under the row's lock, which is held until the
 * payment commits. A payment that rolls back rolls the counter back with it, so its
 * number is given to the next payment instead of being lost. The price is that
 * payments wait for each other on this one row; recording a payment is a human act, a
 * few a second at most.
 */
export async function issueReceipt(tx: Queryable, paymentId: number): Promise<IssuedReceipt> {
  const { rows } = await tx.query<{ series: string }>(
    `SELECT 'R' || to_char(now() AT TIME ZONE s.timezone, 'YYYY') AS series
       FROM payments p JOIN units u ON u.id = p.unit_id JOIN buildings b ON b.id = u.building_id JOIN sites s ON s.id = b.site_id
      WHERE p.id = $1`,
    [paymentId],
  );
  const series = rows[0].series;
  await tx.query('INSERT INTO receipt_series (series) VALUES ($1) ON CONFLICT (series) DO NOTHING', [series]);
  const seq = fenOf((await tx.query<{ seq: number }>('UPDATE receipt_series SET next_no = next_no + 1 WHERE series = $1 RETURNING next_no - 1 AS seq', [series])).rows[0].seq);
  const number = `${series}-${String(seq).padStart(6, '0')}`;
  const id = (await tx.query<{ id: number }>('INSERT INTO receipts (series, seq, number, payment_id) VALUES ($1, $2, $3, $4) RETURNING id', [series, seq, number, paymentId])).rows[0].id;
  return { id, number, series, seq };
}

/** Receipts: the PDF (clerks of the building, the unit's owner), and voiding. */
export class ReceiptService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly queries: BillingQueries,
  ) {}

  async pdf(user: SessionUser, id: number): Promise<{ receipt: ReceiptRow; pdf: Buffer }> {
    const receipt = await this.queries.receipt(user, id);
    return { receipt, pdf: await renderReceiptPdf(await this.document(receipt)) };
  }

  /**
   * Voids a receipt: the payment was recorded in error (wrong unit, amount, a transfer
   * that never arrived). The receipt keeps its number (the series stays gap-free, the
   * void is visible) and the money follows: every ledger entry of the payment is
   * reversed in the same transaction, so the bills it paid are owed again and the
   * credit it left is gone. A payment that was partly refunded is not voided: money
   * went out against it, and reversing it would leave that unexplained.
   */
  async void(user: SessionUser, id: number, reason: string, ip?: string): Promise<ReceiptRow> {
    const visible = await this.queries.receipt(user, id);
    const liveId = await this.db.transaction(async (tx) => {
      await lockUnitAccount(tx, visible.unit_id);
      const r = (await tx.query<{ voided_at: Date | null; payment_id: number }>('SELECT voided_at, payment_id FROM receipts WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (r.voided_at) throw new WardenError('WARDEN_ERR_CONFLICT', `receipt ${visible.number} is already void`);
      const refunds = (await tx.query('SELECT 1 FROM payments WHERE refund_of = $1', [r.payment_id])).rowCount;
      if (refunds) throw new WardenError('WARDEN_ERR_CONFLICT', `receipt ${visible.number}: its payment was partly refunded; it cannot be voided`);
      await tx.query('UPDATE receipts SET voided_at = now(), voided_by = $2, void_reason = $3 WHERE id = $1', [id, user.username, reason]);
      const reversed = await tx.query<{ amount_fen: number }>(
        `INSERT INTO ledger_entries (unit_id, owner_id, bill_id, bill_line_id, payment_id, kind, amount_fen, entered_by, memo, reverses_id)
         SELECT e.unit_id, e.owner_id, e.bill_id, e.bill_line_id, e.payment_id, 'reversal', -e.amount_fen, $2, $3, e.id
           FROM ledger_entries e
          WHERE e.payment_id = $1 AND e.kind <> 'reversal'
            AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.reverses_id = e.id)
         RETURNING amount_fen`,
        [r.payment_id, user.username, `receipt ${visible.number} voided`],
      );
      await recordAudit(tx, {
        userId: user.id,
        actor: user.username,
        action: 'billing.receipt.void',
        targetType: 'receipt',
        targetId: id,
        ip,
        details: { number: visible.number, paymentId: r.payment_id, unitId: visible.unit_id, reversedEntries: reversed.rowCount, reason },
      });
      return appendLiveEvent(tx, {
        type: 'billing.payment',
        buildingId: visible.building_id,
        audience: paymentAudience,
        data: { action: 'void', paymentId: r.payment_id, receiptId: id, receiptNumber: visible.number, unitId: visible.unit_id, amountFen: visible.amount_fen },
      });
    });
    this.bus.emit('live.appended', { lastId: liveId });
    return (await selectReceipt(this.db, id))!;
  }

  private async document(r: ReceiptRow): Promise<ReceiptDocument> {
    const place = (
      await this.db.query<{ estate: string; building: string; timezone: string; recorded_by: string }>(
        `SELECT s.name AS estate, b.name AS building, s.timezone, p.recorded_by
           FROM payments p JOIN units u ON u.id = p.unit_id JOIN buildings b ON b.id = u.building_id JOIN sites s ON s.id = b.site_id
          WHERE p.id = $1`,
        [r.payment_id],
      )
    ).rows[0];
    // What the payment did, from its own entries (not their reversals: a voided receipt still shows what it was).
    const bills = await this.db.query<{ number: string; period: string; amount_fen: number }>(
      `SELECT b.number, b.period, -sum(e.amount_fen)::bigint AS amount_fen
         FROM ledger_entries e JOIN bills b ON b.id = e.bill_id
        WHERE e.payment_id = $1 AND e.kind = 'payment'
        GROUP BY b.id ORDER BY b.due_on, b.id`,
      [r.payment_id],
    );
    const credit = await this.db.query<{ fen: number }>(`SELECT coalesce(-sum(amount_fen), 0)::bigint AS fen FROM ledger_entries WHERE payment_id = $1 AND kind = 'credit'`, [r.payment_id]);
    return {
      number: r.number,
      issuedAt: r.issued_at,
      paidAt: r.paid_at,
      timezone: place.timezone,
      estate: place.estate,
      building: place.building,
      unit: r.unit_number,
      payer: r.owner_name,
      amountFen: r.amount_fen,
      method: r.method,
      reference: r.reference,
      bills: bills.rows.map((b) => ({ number: b.number, period: b.period, amountFen: fenOf(b.amount_fen) })),
      creditFen: fenOf(credit.rows[0].fen),
      recordedBy: place.recorded_by,
      voided: r.voided_at ? { at: r.voided_at, by: r.voided_by ?? '', reason: r.void_reason ?? '' } : null,
    };
  }
}
