import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { fenOf, type Fen } from './money.js';

/**
 * The ledger is the only truth about money (0013_billing.sql): a unit's balance is the
 * sum of its entries, a bill's outstanding amount the sum of the entries carrying its
 * id, and the unit's credit what was paid ahead, held on entries without a bill. These
 * functions read it; they are exported for the other billing parts (arrears, reports,
 * the bill run) so everyone derives balances the same way.
 */

export const billStatuses = ['open', 'partial', 'paid', 'void'] as const;
export type BillStatus = (typeof billStatuses)[number];

/** A bill's status, derived, never stored: void if voided; paid once nothing is outstanding; partial once anything was paid. */
export function billStatus(b: { voided: boolean; outstandingFen: Fen; paidFen: Fen }): BillStatus {
  if (b.voided) return 'void';
  if (b.outstandingFen <= 0) return 'paid';
  return b.paidFen > 0 ? 'partial' : 'open';
}

/** The same rule in SQL, over `bills` aliased `b` joined to `bill_balances` aliased `bb`, for filters and sorting. */
export const billStatusSql = `CASE WHEN b.voided_at IS NOT NULL THEN 'void' WHEN bb.outstanding_fen <= 0 THEN 'paid' WHEN bb.paid_fen > 0 THEN 'partial' ELSE 'open' END`;

export const ledgerKinds = ['charge', 'late_fee', 'payment', 'credit', 'credit_applied', 'refund', 'adjustment', 'reversal'] as const;
export type LedgerKind = (typeof ledgerKinds)[number];

export interface LedgerEntryRow {
  id: number;
  unit_id: number;
  owner_id: number | null;
  bill_id: number | null;
  bill_line_id: number | null;
  payment_id: number | null;
  kind: LedgerKind;
  amount_fen: number;
  at: Date;
  entered_by: string;
  memo: string | null;
  reverses_id: number | null;
  late_fee_on: string | null;
}

const ENTRY_COLUMNS = `id, unit_id, owner_id, bill_id, bill_line_id, payment_id, kind, amount_fen, at, entered_by, memo, reverses_id, late_fee_on::text AS late_fee_on`;

export interface UnitRow {
  id: number;
  number: string;
  building_id: string;
}

/**
 * Serialises every change of one unit's account (payments, refunds, voids, late fees,
 * credit applied by a bill run): whoever allocates money reads the outstanding bills
 * and the credit after taking it, so two payments at once never pay the same fen
 * twice. A row lock on the unit, FOR NO KEY UPDATE: it conflicts with itself and with
 * FOR UPDATE, but not with the key-share locks that inserting bills and entries (their
 * foreign keys to the unit) take. Held until the transaction ends.
 */
export async function lockUnitAccount(tx: Queryable, unitId: number): Promise<UnitRow | undefined> {
  return (await tx.query<UnitRow>('SELECT id, number, building_id FROM units WHERE id = $1 FOR NO KEY UPDATE', [unitId])).rows[0];
}

export interface OutstandingBill {
  billId: number;
  number: string;
  period: string;
  dueOn: string;
  outstandingFen: Fen;
}

/** A unit's bills with money still owed, oldest due first (the order payments are allocated in). */
export async function outstandingBills(db: Queryable, unitId: number): Promise<OutstandingBill[]> {
  const { rows } = await db.query<{ id: number; number: string; period: string; due_on: string; outstanding_fen: number }>(
    `SELECT b.id, b.number, b.period, b.due_on::text AS due_on, bb.outstanding_fen
       FROM bills b JOIN bill_balances bb ON bb.bill_id = b.id
      WHERE b.unit_id = $1 AND b.voided_at IS NULL AND bb.outstanding_fen > 0
      ORDER BY b.due_on, b.issued_on, b.id`,
    [unitId],
  );
  return rows.map((r) => ({ billId: r.id, number: r.number, period: r.period, dueOn: r.due_on, outstandingFen: fenOf(r.outstanding_fen) }));
}

export interface UnitBalance {
  unitId: number;
  unitNumber: string;
  buildingId: string;
  /** Sum of all the unit's entries: > 0 the unit owes, < 0 it has paid ahead. */
  balanceFen: Fen;
  /** Owed on bills (sum of the entries carrying a bill). */
  billedFen: Fen;
  /** Paid ahead and not yet applied to a bill: −(entries without a bill) when that is negative, else 0. */
  creditFen: Fen;
}

export interface UnitBalanceFilter {
  unitIds?: number[];
  buildingId?: string;
  /** Buildings a limited user may see; empty or absent = all. */
  buildings?: string[];
}

/** Balances of the units matching the filter that have any ledger entry. */
export async function unitBalances(db: Queryable, filter: UnitBalanceFilter = {}): Promise<UnitBalance[]> {
  const { rows } = await db.query<{ id: number; number: string; building_id: string; balance: number; unbilled: number }>(
    `SELECT u.id, u.number, u.building_id,
            sum(l.amount_fen)::bigint AS balance,
            coalesce(sum(l.amount_fen) FILTER (WHERE l.bill_id IS NULL), 0)::bigint AS unbilled
       FROM units u JOIN ledger_entries l ON l.unit_id = u.id
      WHERE ($1::bigint[] IS NULL OR u.id = ANY($1))
        AND ($2::text IS NULL OR u.building_id = $2)
        AND (cardinality($3::text[]) = 0 OR u.building_id = ANY($3))
      GROUP BY u.id
      ORDER BY u.building_id, u.number`,
    [filter.unitIds ?? null, filter.buildingId ?? null, filter.buildings ?? []],
  );
  return rows.map((r) => {
    const balance = fenOf(r.balance);
    const unbilled = fenOf(r.unbilled);
    return { unitId: r.id, unitNumber: r.number, buildingId: r.building_id, balanceFen: balance, billedFen: balance - unbilled, creditFen: unbilled < 0 ? -unbilled : 0 };
  });
}

/** One unit's balance and credit (zero for a unit with no entries). */
export async function unitBalance(db: Queryable, unitId: number): Promise<{ balanceFen: Fen; creditFen: Fen }> {
  const { rows } = await db.query<{ balance: number; unbilled: number }>(
    `SELECT coalesce(sum(amount_fen), 0)::bigint AS balance,
            coalesce(sum(amount_fen) FILTER (WHERE bill_id IS NULL), 0)::bigint AS unbilled
       FROM ledger_entries WHERE unit_id = $1`,
    [unitId],
  );
  const unbilled = fenOf(rows[0].unbilled);
  return { balanceFen: fenOf(rows[0].balance), creditFen: unbilled < 0 ? -unbilled : 0 };
}

/** Entries of a unit's account, or of one bill, or of one payment, in the order they took effect. */
export async function ledgerEntries(db: Queryable, of: { unitId: number } | { billId: number } | { paymentId: number }): Promise<LedgerEntryRow[]> {
  const [column, id] = 'unitId' in of ? ['unit_id', of.unitId] : 'billId' in of ? ['bill_id', of.billId] : ['payment_id', of.paymentId];
  return (await db.query<LedgerEntryRow>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE ${column} = $1 ORDER BY at, id`, [id])).rows;
}

/** The owner record of an owner-portal login, or undefined. */
export async function ownerIdOfUser(db: Queryable, user: SessionUser): Promise<number | undefined> {
  return (await db.query<{ id: number }>('SELECT id FROM owners WHERE user_id = $1', [user.id])).rows[0]?.id;
}

/**
 * The unit, if this user may see its account: staff of its building, or an owner who
 * holds it now. Refused with 403 otherwise; an unknown unit is 404 for staff, and 403
 * for owners, who are not told which units exist.
 */
export async function visibleUnit(db: Queryable, user: SessionUser, unitId: number): Promise<UnitRow> {
  const unit = (await db.query<UnitRow>('SELECT id, number, building_id FROM units WHERE id = $1', [unitId])).rows[0];
  if (user.role === 'owner') {
    const holds = unit && (await db.query('SELECT 1 FROM current_unit_owners c JOIN owners o ON o.id = c.owner_id WHERE c.unit_id = $1 AND o.user_id = $2', [unitId, user.id])).rowCount;
    if (!holds) throw new WardenError('WARDEN_ERR_FORBIDDEN', `unit ${unitId} is not one of yours`);
    return unit;
  }
  if (!unit) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no unit ${unitId}`);
  if (!canSeeBuilding(user, unit.building_id)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `you may not work in building ${unit.building_id}`);
  return unit;
}

/** Accounts: what a unit owes, what it paid ahead, and the entries behind both. */
export class LedgerService {
  constructor(private readonly db: Database) {}

  async account(user: SessionUser, unitId: number): Promise<{ balanceFen: Fen; creditFen: Fen; entries: LedgerEntryRow[] }> {
    await visibleUnit(this.db, user, unitId);
    const { balanceFen, creditFen } = await unitBalance(this.db, unitId);
    return { balanceFen, creditFen, entries: await ledgerEntries(this.db, { unitId }) };
  }
}
