import { type StockLine } from './assets-api.ts';

/** Stock as the storeroom reads it, quantities as the forms take them, warranties as dates to watch. */

export interface StoreStock {
  store: string;
  lines: StockLine[];
  /** Lines at or below their reorder level. */
  low: number;
}

/**
 * Stock grouped by store (stores in name order); within a store the lines needing a
 * reorder come first, then by part code, so a glance at the top of each store is enough.
 */
export function stockByStore(lines: readonly StockLine[]): StoreStock[] {
  const stores = new Map<string, StockLine[]>();
  for (const line of lines) {
    const list = stores.get(line.store) ?? [];
    list.push(line);
    stores.set(line.store, list);
  }
  return [...stores.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([store, list]) => ({
      store,
      lines: [...list].sort((a, b) => Number(b.low) - Number(a.low) || a.partCode.localeCompare(b.partCode)),
      low: list.filter((l) => l.low).length,
    }));
}

export type QuantityProblem = 'notWhole' | 'notPositive' | 'zero' | 'tooLarge';

/** The hub's bound on one movement (hub/src/assets/assets.routes.ts). */
const MAX_QTY = 1_000_000;

/**
 * A quantity typed in a form: a whole number; positive for a receipt, signed but not 0
 * for a count adjustment. The hub checks the same; this spares the round trip.
 */
export function parseQuantity(text: string, signed: boolean): { qty: number } | { problem: QuantityProblem } {
  const trimmed = text.trim();
  if (!/^[-+]?\d+$/.test(trimmed)) return { problem: 'notWhole' };
  const qty = Number(trimmed);
  if (Math.abs(qty) > MAX_QTY) return { problem: 'tooLarge' };
  if (signed) return qty === 0 ? { problem: 'zero' } : { qty };
  return qty > 0 ? { qty } : { problem: 'notPositive' };
}

export type WarrantyState = 'expired' | 'soon' | 'ok' | 'unknown';

/** Warranties ending within this many days are flagged: time to plan a renewal or a claim. */
export const WARRANTY_SOON_DAYS = 90;

/** Where a warranty stands on `today` (both YYYY-MM-DD; the last day is still covered). */
export function warrantyState(warrantyUntil: string | null, today: string): WarrantyState {
  if (!warrantyUntil) return 'unknown';
  if (warrantyUntil < today) return 'expired';
  const days = (Date.parse(`${warrantyUntil}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000;
  return days <= WARRANTY_SOON_DAYS ? 'soon' : 'ok';
}

/** Today in the browser's calendar, as the hub writes dates. */
export function localDate(now: Date): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}
