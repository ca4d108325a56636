import { type AgeingBucket, type Bill, type BillQuery, type BillStatus, type CollectionRow } from './billing-api.ts';

/** Pure helpers of the billing pages: periods, the bill search form, chart rows. */

export const BILLS_PER_PAGE = 25;
const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

export function isPeriod(value: string): boolean {
  return PERIOD.test(value);
}

/** The month `date` falls in, in the browser's calendar (the estate's, for its office). */
export function periodOf(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

/** '2026-01' → '2025-12'; `months` may be negative to go forward. */
export function shiftPeriod(period: string, months: number): string {
  const [year, month] = period.split('-').map(Number) as [number, number];
  const index = year * 12 + (month - 1) - months;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** A unit or owner chosen from a search: its id for the hub, its label for the form. */
export interface Picked {
  id: number;
  label: string;
}

export interface BillFilters {
  building: string;
  period: string;
  status: BillStatus | '';
  unit: Picked | null;
  owner: Picked | null;
}

export const emptyBillFilters: BillFilters = { building: '', period: '', status: '', unit: null, owner: null };

/**
 * The search the hub is sent for the form and page. A half-typed period is held back
 * (and reported) rather than sent to be refused.
 */
export function toBillQuery(filters: BillFilters, page: number): { query: BillQuery; invalid: 'period'[] } {
  const period = filters.period.trim();
  const periodOk = period === '' || isPeriod(period);
  return {
    query: {
      building: filters.building || undefined,
      unit: filters.unit?.id,
      owner: filters.owner?.id,
      period: periodOk && period ? period : undefined,
      status: filters.status || undefined,
      limit: BILLS_PER_PAGE,
      offset: (Math.max(1, page) - 1) * BILLS_PER_PAGE,
    },
    invalid: periodOk ? [] : ['period'],
  };
}

export function billQueryKey(query: BillQuery): string {
  return JSON.stringify([query.building, query.unit, query.owner, query.period, query.status, query.limit, query.offset]);
}

/** Bills still owing, oldest due first: what a payment is allocated to. */
export function owingBills(bills: readonly Bill[]): Bill[] {
  return bills.filter((b) => b.status !== 'void' && b.outstandingFen > 0).sort((a, b) => (a.dueOn === b.dueOn ? a.id - b.id : a.dueOn < b.dueOn ? -1 : 1));
}

/** The units an owner's bills concern, each once, in the order first seen. */
export function unitsOfBills(bills: readonly Bill[]): { unitId: number; unitNumber: string }[] {
  const seen = new Map<number, string>();
  for (const b of bills) if (!seen.has(b.unitId)) seen.set(b.unitId, b.unitNumber);
  return [...seen].map(([unitId, unitNumber]) => ({ unitId, unitNumber }));
}

/** Pill colour of a bill: paid is done, partial in progress, open still owed, void greyed out. */
export function billStatusTone(status: BillStatus, overdue: boolean): 'ok' | 'medium' | 'high' | 'low' | 'unknown' {
  switch (status) {
    case 'paid':
      return 'ok';
    case 'void':
      return 'unknown';
    case 'partial':
      return overdue ? 'high' : 'medium';
    case 'open':
      return overdue ? 'high' : 'low';
  }
}

/** Due before `today` ('YYYY-MM-DD') and not settled. */
export function isOverdue(bill: Pick<Bill, 'dueOn' | 'status' | 'outstandingFen'>, today: string): boolean {
  return (bill.status === 'open' || bill.status === 'partial') && bill.outstandingFen > 0 && bill.dueOn < today;
}

/** Today as the hub writes dates, in the browser's calendar. */
export function todayIso(now: Date = new Date()): string {
  return `${periodOf(now)}-${String(now.getDate()).padStart(2, '0')}`;
}

/** The ageing chart's bars, in bucket order, amounts in fen. */
export function ageingRows(buckets: Partial<Record<AgeingBucket, number>>, order: readonly AgeingBucket[]): { bucket: AgeingBucket; fen: number }[] {
  return order.map((bucket) => ({ bucket, fen: buckets[bucket] ?? 0 }));
}

/**
 * Collection rate per period (categories) and building (series), in percent for the
 * chart. The hub's rate is exact text; a bar's height is the one place it becomes a float.
 */
export function collectionSeries(rows: readonly CollectionRow[]): { periods: Record<string, string | number | null>[]; buildings: string[] } {
  const buildings = [...new Set(rows.map((r) => r.buildingId))].sort();
  const byPeriod = new Map<string, Record<string, string | number | null>>();
  for (const row of rows) {
    const entry = byPeriod.get(row.period) ?? { period: row.period };
    entry[row.buildingId] = row.ratePct === null ? null : Number(row.ratePct);
    byPeriod.set(row.period, entry);
  }
  return { periods: [...byPeriod.values()].sort((a, b) => String(a.period).localeCompare(String(b.period))), buildings };
}

/**
 * A fresh idempotency key: one per opened payment form, so a double click or a resent
 * request records the payment once (the hub answers the first payment for a used key).
 */
export function newIdempotencyKey(): string {
  return `pay-${crypto.randomUUID()}`;
}
