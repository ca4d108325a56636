import { createHash } from 'node:crypto';
import pg from 'pg';
import { recordAudit } from '../audit/index.js';
import type { SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/index.js';
import { selectPayment, selectPaymentByKey, type BillingQueries, type PaymentRow } from './bills-query.js';
import { lockUnitAccount, outstandingBills, ownerIdOfUser, unitBalance, visibleUnit } from './ledger.service.js';
import { fenOf, type Fen } from './money.js';
import { issueReceipt, paymentAudience, type IssuedReceipt } from './receipts.service.js';

export const paymentMethods = ['cash', 'bank_transfer', 'wechat', 'alipay', 'card', 'other'] as const;
export type PaymentMethod = (typeof paymentMethods)[number];
/** What an owner may record through the portal: money that leaves a trace elsewhere (their bank, WeChat, Alipay). */
export const ownerPaymentMethods: readonly PaymentMethod[] = ['wechat', 'alipay', 'bank_transfer'];

export interface PaymentInput {
  unitId: number;
  amountFen: Fen;
  method: PaymentMethod;
  reference?: string;
  paidAt?: Date;
  idempotencyKey: string;
  note?: string;
}

export interface RefundInput {
  amountFen: Fen;
  method: PaymentMethod;
  reference?: string;
  reason: string;
  idempotencyKey: string;
}

export interface Allocation {
  billId: number;
  amountFen: Fen;
}

export interface PaymentResult {
  payment: PaymentRow;
  receipt: IssuedReceipt | null;
  allocations: Allocation[];
  /** What this payment left as credit on the account (paid beyond every outstanding bill). */
  creditFen: Fen;
  /** True when the idempotency key had been used for this same request: nothing new was recorded. */
  replayed: boolean;
}

export interface RefundResult {
  refund: PaymentRow;
  /** The unit's credit after the refund. */
  creditFen: Fen;
  replayed: boolean;
}

/** A payment may be dated a little ahead of the hub's clock (the payer's phone), not into the future. */
const CLOCK_SLACK_MS = 5 * 60_000;

function fieldError(field: string, message: string): WardenError {
  return new WardenError('WARDEN_ERR_VALIDATION', `${field}: ${message}`, { issues: [{ field, message }] });
}

/** The request under an idempotency key, canonical: same fields, same digest, whatever the JSON key order. */
function requestHash(kind: 'payment' | 'refund', fields: Record<string, unknown>): string {
  const canonical = JSON.stringify([kind, ...Object.keys(fields).sort().map((k) => [k, fields[k] instanceof Date ? (fields[k] as Date).toISOString() : (fields[k] ?? null)])]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Thrown inside the transaction when another request took the key first: roll back, then answer as a replay. */
class KeyTaken extends Error {}

/**
 * Payment registration. One transaction per payment: the unit's account is locked,
 * its outstanding bills read, the amount allocated to them oldest due first (one
 * 'payment' entry per bill), the rest kept as credit (one 'credit' entry without a
 * bill, which the next bill run applies), the receipt numbered, the audit and the
 * live event written. A resubmission under the same idempotency key gets the first
 * payment back; the key's unique index decides between two submissions at once.
 */
export class PaymentService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly queries: BillingQueries,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async register(user: SessionUser, input: PaymentInput, ip?: string): Promise<PaymentResult> {
    // Access first: a replay must not hand anyone a payment of a unit they may not see.
    let ownerId: number | null = null;
    if (user.role === 'owner') {
      if (!ownerPaymentMethods.includes(input.method)) throw fieldError('body.method', `owners record ${ownerPaymentMethods.join(', ')} payments; the office records the others`);
      ownerId = (await ownerIdOfUser(this.db, user)) ?? null;
      await visibleUnit(this.db, user, input.unitId);
    } else {
      const unit = (await this.db.query('SELECT 1 FROM units WHERE id = $1', [input.unitId])).rowCount;
      if (!unit) throw fieldError('body.unitId', `no unit ${input.unitId}`);
      await visibleUnit(this.db, user, input.unitId);
    }
    const paidAt = input.paidAt ?? this.now();
    if (paidAt.getTime() > this.now().getTime() + CLOCK_SLACK_MS) throw fieldError('body.paidAt', 'a payment cannot be dated in the future');
    const hash = requestHash('payment', { unitId: input.unitId, amountFen: input.amountFen, method: input.method, reference: input.reference, paidAt: input.paidAt, note: input.note });
    const earlier = await this.replay(input.idempotencyKey, hash);
    if (earlier) return this.paymentResult(earlier, true);

    let created: { paymentId: number; liveId: number };
    try {
      created = await this.db.transaction(async (tx) => {
        await lockUnitAccount(tx, input.unitId);
        // The payer on the receipt: the owner recording it, else who holds the unit now (the earliest owner of several).
        ownerId ??= (
          await tx.query<{ owner_id: number }>(`SELECT owner_id FROM current_unit_owners WHERE unit_id = $1 ORDER BY (role = 'owner') DESC, from_date, id LIMIT 1`, [input.unitId])
        ).rows[0]?.owner_id ?? null;
        const inserted = await tx.query<{ id: number }>(
          `INSERT INTO payments (unit_id, owner_id, kind, amount_fen, method, reference, paid_at, idempotency_key, note, recorded_by, user_id, request_hash)
           VALUES ($1, $2, 'payment', $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
          [input.unitId, ownerId, input.amountFen, input.method, input.reference ?? null, paidAt, input.idempotencyKey, input.note ?? null, user.username, user.id, hash],
        );
        if (!inserted.rows[0]) throw new KeyTaken();
        const paymentId = inserted.rows[0].id;

        let left = input.amountFen;
        const allocations: Allocation[] = [];
        for (const bill of await outstandingBills(tx, input.unitId)) {
          if (left === 0) break;
          const amount = Math.min(left, bill.outstandingFen);
          allocations.push({ billId: bill.billId, amountFen: amount });
          left -= amount;
        }
        for (const a of allocations) await insertEntry(tx, { unitId: input.unitId, ownerId, billId: a.billId, paymentId, kind: 'payment', amountFen: -a.amountFen, at: paidAt, by: user.username });
        if (left > 0) await insertEntry(tx, { unitId: input.unitId, ownerId, billId: null, paymentId, kind: 'credit', amountFen: -left, at: paidAt, by: user.username, memo: 'paid ahead: kept as credit' });

        const receipt = await issueReceipt(tx, paymentId);
        await recordAudit(tx, {
          userId: user.id,
          actor: user.username,
          action: 'billing.payment',
          targetType: 'payment',
          targetId: paymentId,
          ip,
          details: { unitId: input.unitId, amountFen: input.amountFen, method: input.method, receipt: receipt.number, allocations, creditFen: left },
        });
        const liveId = await appendLiveEvent(tx, {
          type: 'billing.payment',
          buildingId: (await tx.query<{ building_id: string }>('SELECT building_id FROM units WHERE id = $1', [input.unitId])).rows[0].building_id,
          audience: paymentAudience,
          data: { action: 'payment', paymentId, receiptNumber: receipt.number, unitId: input.unitId, amountFen: input.amountFen, method: input.method, creditFen: left },
        });
        return { paymentId, liveId };
      });
    } catch (err) {
      // Another submission with this key committed while this one waited: answer as it would be answered now.
      if (!(err instanceof KeyTaken) && !isUniqueViolation(err)) throw err;
      const first = await this.replay(input.idempotencyKey, hash);
      if (!first) throw err;
      return this.paymentResult(first, true);
    }
    this.bus.emit('live.appended', { lastId: created.liveId });
    return this.paymentResult((await selectPayment(this.db, created.paymentId))!, false);
  }

  /**
   * Pays back credit: only what the unit has paid ahead and not yet had applied to a
   * bill, and never more than the payment it refers to (less its earlier refunds). A
   * refund is a payment row of kind 'refund' and one ledger entry of kind 'refund'
   * (+amount, no bill): the credit goes down by what left the office.
   */
  async refund(user: SessionUser, paymentId: number, input: RefundInput, ip?: string): Promise<RefundResult> {
    const original = await this.queries.payment(user, paymentId);
    const hash = requestHash('refund', { paymentId, amountFen: input.amountFen, method: input.method, reference: input.reference, reason: input.reason });
    const earlier = await this.replay(input.idempotencyKey, hash);
    if (earlier) return { refund: earlier, creditFen: (await unitBalance(this.db, earlier.unit_id)).creditFen, replayed: true };
    if (original.kind !== 'payment') throw new WardenError('WARDEN_ERR_CONFLICT', `payment ${paymentId} is itself a refund`);
    if (original.receipt_voided_at) throw new WardenError('WARDEN_ERR_CONFLICT', `payment ${paymentId} was voided (receipt ${original.receipt_number})`);

    let created: { refundId: number; liveId: number; creditFen: Fen };
    try {
      created = await this.db.transaction(async (tx) => {
        await lockUnitAccount(tx, original.unit_id);
        const { creditFen } = await unitBalance(tx, original.unit_id);
        const refunded = fenOf((await tx.query<{ fen: number }>(`SELECT coalesce(sum(amount_fen), 0)::bigint AS fen FROM payments WHERE refund_of = $1`, [paymentId])).rows[0].fen);
        const refundable = Math.min(creditFen, original.amount_fen - refunded);
        if (input.amountFen > refundable) {
          throw new WardenError('WARDEN_ERR_CONFLICT', `only ${refundable} fen can be refunded: refunds come from the unit's credit (${creditFen} fen), up to what is left of payment ${paymentId}`, {
            creditFen,
            refundableFen: refundable,
            requestedFen: input.amountFen,
          });
        }
        const inserted = await tx.query<{ id: number }>(
          `INSERT INTO payments (unit_id, owner_id, kind, amount_fen, method, reference, paid_at, idempotency_key, refund_of, note, recorded_by, user_id, request_hash)
           VALUES ($1, $2, 'refund', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
          [original.unit_id, original.owner_id, input.amountFen, input.method, input.reference ?? null, this.now(), input.idempotencyKey, paymentId, input.reason, user.username, user.id, hash],
        );
        if (!inserted.rows[0]) throw new KeyTaken();
        const refundId = inserted.rows[0].id;
        await insertEntry(tx, { unitId: original.unit_id, ownerId: original.owner_id, billId: null, paymentId: refundId, kind: 'refund', amountFen: input.amountFen, at: this.now(), by: user.username, memo: input.reason });
        await recordAudit(tx, {
          userId: user.id,
          actor: user.username,
          action: 'billing.refund',
          targetType: 'payment',
          targetId: refundId,
          ip,
          details: { refundOf: paymentId, unitId: original.unit_id, amountFen: input.amountFen, method: input.method, reason: input.reason },
        });
        const liveId = await appendLiveEvent(tx, {
          type: 'billing.payment',
          buildingId: original.building_id,
          audience: paymentAudience,
          data: { action: 'refund', paymentId: refundId, refundOf: paymentId, unitId: original.unit_id, amountFen: input.amountFen, method: input.method },
        });
        return { refundId, liveId, creditFen: creditFen - input.amountFen };
      });
    } catch (err) {
      if (!(err instanceof KeyTaken) && !isUniqueViolation(err)) throw err;
      const first = await this.replay(input.idempotencyKey, hash);
      if (!first) throw err;
      return { refund: first, creditFen: (await unitBalance(this.db, first.unit_id)).creditFen, replayed: true };
    }
    this.bus.emit('live.appended', { lastId: created.liveId });
    return { refund: (await selectPayment(this.db, created.refundId))!, creditFen: created.creditFen, replayed: false };
  }

  /** The payment made earlier under this key, if it was the same request; a different request under a used key is a conflict. */
  private async replay(key: string, hash: string): Promise<PaymentRow | undefined> {
    const earlier = await selectPaymentByKey(this.db, key);
    if (!earlier) return undefined;
    // Not naming the earlier payment: the key may have been used for a unit this user may not see.
    if (earlier.request_hash !== hash) throw new WardenError('WARDEN_ERR_CONFLICT', `idempotency key "${key}" was already used for a different request`, { idempotencyKey: key });
    return earlier;
  }

  private async paymentResult(payment: PaymentRow, replayed: boolean): Promise<PaymentResult> {
    const { rows } = await this.db.query<{ kind: string; bill_id: number | null; amount_fen: number }>(
      `SELECT kind, bill_id, amount_fen FROM ledger_entries WHERE payment_id = $1 AND kind IN ('payment', 'credit') ORDER BY id`,
      [payment.id],
    );
    const receipt = payment.receipt_id === null ? null : (await this.db.query<IssuedReceipt>('SELECT id, number, series, seq FROM receipts WHERE id = $1', [payment.receipt_id])).rows[0];
    return {
      payment,
      receipt,
      allocations: rows.filter((r) => r.kind === 'payment').map((r) => ({ billId: r.bill_id!, amountFen: -fenOf(r.amount_fen) })),
      creditFen: -rows.filter((r) => r.kind === 'credit').reduce((s, r) => s + fenOf(r.amount_fen), 0),
      replayed,
    };
  }
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof pg.DatabaseError && err.code === '23505';
}

async function insertEntry(
  tx: Queryable,
  e: { unitId: number; ownerId: number | null; billId: number | null; paymentId: number; kind: 'payment' | 'credit' | 'refund'; amountFen: Fen; at: Date; by: string; memo?: string },
): Promise<void> {
  await tx.query(
    `INSERT INTO ledger_entries (unit_id, owner_id, bill_id, payment_id, kind, amount_fen, at, entered_by, memo)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [e.unitId, e.ownerId, e.billId, e.paymentId, e.kind, e.amountFen, e.at, e.by, e.memo ?? null],
  );
}
