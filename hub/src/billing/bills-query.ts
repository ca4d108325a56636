import type { SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { billStatusSql, ledgerEntries, ownerIdOfUser, type BillStatus, type LedgerEntryRow } from './ledger.service.js';

/**
 * Reading bills, payments and receipts, for the office (by building, unit, owner,
 * period, status) and for owners (their own only). What an owner may see: the bills,
 * payments and receipts of the units they hold now, and those addressed to them (a
 * former owner still sees the bills of the years they held the unit).
 */

/** Who is asking, as the SQL filters need it. */
export interface Scope {
  /** Buildings a limited staff user may see; empty = all. */
  buildings: string[];
  /** Set for owners: only their own. */
  owner?: { id: number; unitIds: number[] };
}

export async function scopeOf(db: Queryable, user: SessionUser): Promise<Scope> {
  if (user.role !== 'owner') return { buildings: user.buildings };
  const ownerId = await ownerIdOfUser(db, user);
  if (ownerId === undefined) return { buildings: [], owner: { id: 0, unitIds: [] } };
  const { rows } = await db.query<{ unit_id: number }>('SELECT DISTINCT unit_id FROM current_unit_owners WHERE owner_id = $1', [ownerId]);
  return { buildings: [], owner: { id: ownerId, unitIds: rows.map((r) => r.unit_id) } };
}

function canSee(scope: Scope, row: { unit_id: number; owner_id: number | null; building_id: string }): boolean {
  if (scope.owner) return scope.owner.unitIds.includes(row.unit_id) || (row.owner_id !== null && row.owner_id === scope.owner.id);
  return scope.buildings.length === 0 || scope.buildings.includes(row.building_id);
}

/**
 * Parameterised WHERE clauses for one table alias carrying unit_id, owner_id and a
 * building: the scope first, then the filters the caller adds.
 */
class Where {
  readonly clauses: string[] = [];
  readonly values: unknown[] = [];

  constructor(scope: Scope, private readonly alias: string, buildingColumn: string) {
    if (scope.owner) this.add((unitIds, ownerId) => `(${alias}.unit_id = ANY(${unitIds}) OR ${alias}.owner_id = ${ownerId})`, scope.owner.unitIds, scope.owner.id);
    else if (scope.buildings.length > 0) this.add((b) => `${buildingColumn} = ANY(${b})`, scope.buildings);
  }

  /** Adds a clause; `make` receives the placeholders ($n) of the values. */
  add(make: (...placeholders: string[]) => string, ...values: unknown[]): this {
    const placeholders = values.map((v) => {
      this.values.push(v);
      return `$${this.values.length}`;
    });
    this.clauses.push(make(...placeholders));
    return this;
  }

  /** Bills/payments of an owner: addressed to them, or of a unit they hold now. */
  owner(ownerId: number | undefined): this {
    if (ownerId === undefined) return this;
    return this.add(
      (o) => `(${this.alias}.owner_id = ${o} OR ${this.alias}.unit_id IN (SELECT unit_id FROM current_unit_owners WHERE owner_id = ${o}))`,
      ownerId,
    );
  }

  get sql(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }

  page(limit: number, offset: number): string {
    this.values.push(limit, offset);
    return `LIMIT $${this.values.length - 1} OFFSET $${this.values.length}`;
  }
}

// ------------------------------------------------------------------ bills

export interface BillRow {
  id: number;
  number: string;
  unit_id: number;
  unit_number: string;
  building_id: string;
  owner_id: number | null;
  owner_name: string | null;
  period: string;
  issued_on: string;
  due_on: string;
  total_fen: number;
  paid_fen: number;
  late_fees_fen: number;
  outstanding_fen: number;
  status: BillStatus;
  voided_at: Date | null;
  void_reason: string | null;
}

export interface BillLineRow {
  id: number;
  line_no: number;
  fee_item_id: number;
  fee_item_code: string;
  description: string;
  quantity: string;
  unit_price_fen: string;
  amount_fen: number;
}

const BILL_SELECT = `
  SELECT b.id, b.number, b.unit_id, u.number AS unit_number, b.building_id, b.owner_id, o.name AS owner_name,
         b.period, b.issued_on::text AS issued_on, b.due_on::text AS due_on, b.total_fen,
         bb.paid_fen, bb.late_fees_fen, bb.outstanding_fen, ${billStatusSql} AS status, b.voided_at, b.void_reason
    FROM bills b
    JOIN bill_balances bb ON bb.bill_id = b.id
    JOIN units u ON u.id = b.unit_id
    LEFT JOIN owners o ON o.id = b.owner_id`;

export interface BillFilter {
  building?: string;
  unit?: number;
  owner?: number;
  period?: string;
  status?: BillStatus;
  limit: number;
  offset: number;
}

export async function listBills(db: Queryable, scope: Scope, f: BillFilter): Promise<{ bills: BillRow[]; total: number }> {
  const w = new Where(scope, 'b', 'b.building_id').owner(f.owner);
  if (f.building !== undefined) w.add((p) => `b.building_id = ${p}`, f.building);
  if (f.unit !== undefined) w.add((p) => `b.unit_id = ${p}`, f.unit);
  if (f.period !== undefined) w.add((p) => `b.period = ${p}`, f.period);
  if (f.status !== undefined) w.add((p) => `${billStatusSql} = ${p}`, f.status);
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM bills b JOIN bill_balances bb ON bb.bill_id = b.id ${w.sql}`, w.values)).rows[0].n;
  const bills = (await db.query<BillRow>(`${BILL_SELECT} ${w.sql} ORDER BY b.period DESC, b.building_id, u.number, b.id ${w.page(f.limit, f.offset)}`, w.values)).rows;
  return { bills, total };
}

export async function billLines(db: Queryable, billId: number): Promise<BillLineRow[]> {
  return (
    await db.query<BillLineRow>(
      `SELECT l.id, l.line_no, l.fee_item_id, f.code AS fee_item_code, l.description, l.quantity::text AS quantity, l.unit_price_fen::text AS unit_price_fen, l.amount_fen
         FROM bill_lines l JOIN fee_items f ON f.id = l.fee_item_id WHERE l.bill_id = $1 ORDER BY l.line_no`,
      [billId],
    )
  ).rows;
}

// ------------------------------------------------------------------ payments

export interface PaymentRow {
  id: number;
  kind: 'payment' | 'refund';
  unit_id: number;
  unit_number: string;
  building_id: string;
  owner_id: number | null;
  owner_name: string | null;
  amount_fen: number;
  method: string;
  reference: string | null;
  paid_at: Date;
  note: string | null;
  refund_of: number | null;
  recorded_by: string;
  recorded_at: Date;
  request_hash: string | null;
  receipt_id: number | null;
  receipt_number: string | null;
  receipt_voided_at: Date | null;
}

const PAYMENT_SELECT = `
  SELECT p.id, p.kind, p.unit_id, u.number AS unit_number, u.building_id, p.owner_id, o.name AS owner_name,
         p.amount_fen, p.method, p.reference, p.paid_at, p.note, p.refund_of, p.recorded_by, p.recorded_at, p.request_hash,
         r.id AS receipt_id, r.number AS receipt_number, r.voided_at AS receipt_voided_at
    FROM payments p
    JOIN units u ON u.id = p.unit_id
    LEFT JOIN owners o ON o.id = p.owner_id
    LEFT JOIN receipts r ON r.payment_id = p.id`;

export interface PaymentFilter {
  building?: string;
  unit?: number;
  owner?: number;
  from?: Date;
  to?: Date;
  method?: string;
  kind?: 'payment' | 'refund';
  limit: number;
  offset: number;
}

export async function listPayments(db: Queryable, scope: Scope, f: PaymentFilter): Promise<{ payments: PaymentRow[]; total: number }> {
  const w = new Where(scope, 'p', 'u.building_id').owner(f.owner);
  if (f.building !== undefined) w.add((p) => `u.building_id = ${p}`, f.building);
  if (f.unit !== undefined) w.add((p) => `p.unit_id = ${p}`, f.unit);
  if (f.from !== undefined) w.add((p) => `p.paid_at >= ${p}`, f.from);
  if (f.to !== undefined) w.add((p) => `p.paid_at < ${p}`, f.to);
  if (f.method !== undefined) w.add((p) => `p.method = ${p}`, f.method);
  if (f.kind !== undefined) w.add((p) => `p.kind = ${p}`, f.kind);
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM payments p JOIN units u ON u.id = p.unit_id ${w.sql}`, w.values)).rows[0].n;
  const payments = (await db.query<PaymentRow>(`${PAYMENT_SELECT} ${w.sql} ORDER BY p.paid_at DESC, p.id DESC ${w.page(f.limit, f.offset)}`, w.values)).rows;
  return { payments, total };
}

export async function selectPayment(db: Queryable, id: number): Promise<PaymentRow | undefined> {
  return (await db.query<PaymentRow>(`${PAYMENT_SELECT} WHERE p.id = $1`, [id])).rows[0];
}

export async function selectPaymentByKey(db: Queryable, key: string): Promise<PaymentRow | undefined> {
  return (await db.query<PaymentRow>(`${PAYMENT_SELECT} WHERE p.idempotency_key = $1`, [key])).rows[0];
}

// ------------------------------------------------------------------ receipts

export interface ReceiptRow {
  id: number;
  series: string;
  seq: number;
  number: string;
  payment_id: number;
  issued_at: Date;
  voided_at: Date | null;
  voided_by: string | null;
  void_reason: string | null;
  unit_id: number;
  unit_number: string;
  building_id: string;
  owner_id: number | null;
  owner_name: string | null;
  amount_fen: number;
  method: string;
  reference: string | null;
  paid_at: Date;
}

const RECEIPT_SELECT = `
  SELECT r.id, r.series, r.seq, r.number, r.payment_id, r.issued_at, r.voided_at, r.voided_by, r.void_reason,
         p.unit_id, u.number AS unit_number, u.building_id, p.owner_id, o.name AS owner_name,
         p.amount_fen, p.method, p.reference, p.paid_at
    FROM receipts r
    JOIN payments p ON p.id = r.payment_id
    JOIN units u ON u.id = p.unit_id
    LEFT JOIN owners o ON o.id = p.owner_id`;

export interface ReceiptFilter {
  building?: string;
  unit?: number;
  owner?: number;
  from?: Date;
  to?: Date;
  voided?: boolean;
  limit: number;
  offset: number;
}

export async function listReceipts(db: Queryable, scope: Scope, f: ReceiptFilter): Promise<{ receipts: ReceiptRow[]; total: number }> {
  const w = new Where(scope, 'p', 'u.building_id').owner(f.owner);
  if (f.building !== undefined) w.add((p) => `u.building_id = ${p}`, f.building);
  if (f.unit !== undefined) w.add((p) => `p.unit_id = ${p}`, f.unit);
  if (f.from !== undefined) w.add((p) => `r.issued_at >= ${p}`, f.from);
  if (f.to !== undefined) w.add((p) => `r.issued_at < ${p}`, f.to);
  if (f.voided !== undefined) w.clauses.push(f.voided ? 'r.voided_at IS NOT NULL' : 'r.voided_at IS NULL');
  const from = 'FROM receipts r JOIN payments p ON p.id = r.payment_id JOIN units u ON u.id = p.unit_id';
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n ${from} ${w.sql}`, w.values)).rows[0].n;
  const receipts = (await db.query<ReceiptRow>(`${RECEIPT_SELECT} ${w.sql} ORDER BY r.series DESC, r.seq DESC ${w.page(f.limit, f.offset)}`, w.values)).rows;
  return { receipts, total };
}

export async function selectReceipt(db: Queryable, id: number): Promise<ReceiptRow | undefined> {
  return (await db.query<ReceiptRow>(`${RECEIPT_SELECT} WHERE r.id = $1`, [id])).rows[0];
}

// ------------------------------------------------------------------ access

/**
 * Bills, payments and receipts as the asking user may see them. Something that exists
 * but is not theirs is refused (403); staff asking for an unknown id get 404.
 */
export class BillingQueries {
  constructor(private readonly db: Database) {}

  async bills(user: SessionUser, filter: BillFilter): Promise<{ bills: BillRow[]; total: number }> {
    return listBills(this.db, await scopeOf(this.db, user), filter);
  }

  async bill(user: SessionUser, id: number): Promise<{ bill: BillRow; lines: BillLineRow[]; entries: LedgerEntryRow[] }> {
    const bill = (await this.db.query<BillRow>(`${BILL_SELECT} WHERE b.id = $1`, [id])).rows[0];
    await this.check(user, bill, `bill ${id}`);
    return { bill: bill!, lines: await billLines(this.db, id), entries: await ledgerEntries(this.db, { billId: id }) };
  }

  async payments(user: SessionUser, filter: PaymentFilter): Promise<{ payments: PaymentRow[]; total: number }> {
    return listPayments(this.db, await scopeOf(this.db, user), filter);
  }

  async receipts(user: SessionUser, filter: ReceiptFilter): Promise<{ receipts: ReceiptRow[]; total: number }> {
    return listReceipts(this.db, await scopeOf(this.db, user), filter);
  }

  async receipt(user: SessionUser, id: number): Promise<ReceiptRow> {
    const receipt = await selectReceipt(this.db, id);
    await this.check(user, receipt, `receipt ${id}`);
    return receipt!;
  }

  async payment(user: SessionUser, id: number): Promise<PaymentRow> {
    const payment = await selectPayment(this.db, id);
    await this.check(user, payment, `payment ${id}`);
    return payment!;
  }

  private async check(user: SessionUser, row: { unit_id: number; owner_id: number | null; building_id: string } | undefined, what: string): Promise<void> {
    const scope = await scopeOf(this.db, user);
    if (!row) throw new WardenError(scope.owner ? 'WARDEN_ERR_FORBIDDEN' : 'WARDEN_ERR_NOT_FOUND', scope.owner ? `${what} is not yours` : `no ${what}`);
    if (!canSee(scope, row)) throw new WardenError('WARDEN_ERR_FORBIDDEN', scope.owner ? `${what} is not yours` : `${what} is in building ${row.building_id}, which you may not see`);
  }
}
