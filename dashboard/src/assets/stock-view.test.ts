import { describe, expect, it } from 'vitest';
import { type StockLine } from './assets-api.ts';
import { localDate, parseQuantity, stockByStore, warrantyState } from './stock-view.ts';

const line = (store: string, partCode: string, qty: number, reorderLevel: number): StockLine => ({
  partId: 1,
  partCode,
  name: partCode,
  unit: 'pcs',
  reorderLevel,
  store,
  qty,
  low: qty <= reorderLevel,
  updatedAt: '2026-11-01T00:00:00Z',
});

describe('stock per store', () => {
  it('groups by store and puts the parts to reorder on top', () => {
    const stores = stockByStore([line('main', 'VALVE', 10, 2), line('b-basement', 'FUSE', 1, 5), line('main', 'BELT', 8, 2), line('main', 'SEAL', 0, 4)]);
    expect(stores.map((s) => s.store)).toEqual(['b-basement', 'main']);
    expect(stores[1].lines.map((l) => l.partCode)).toEqual(['SEAL', 'BELT', 'VALVE']);
    expect(stores.map((s) => s.low)).toEqual([1, 1]);
  });
});

describe('quantities typed in the stock forms', () => {
  it('takes a positive whole number for a receipt', () => {
    expect(parseQuantity(' 12 ', false)).toEqual({ qty: 12 });
    expect(parseQuantity('0', false)).toEqual({ problem: 'notPositive' });
    expect(parseQuantity('-3', false)).toEqual({ problem: 'notPositive' });
    expect(parseQuantity('1.5', false)).toEqual({ problem: 'notWhole' });
    expect(parseQuantity('', false)).toEqual({ problem: 'notWhole' });
    expect(parseQuantity('2000000', false)).toEqual({ problem: 'tooLarge' });
  });

  it('takes a signed, non-zero whole number for a count adjustment', () => {
    expect(parseQuantity('-3', true)).toEqual({ qty: -3 });
    expect(parseQuantity('+4', true)).toEqual({ qty: 4 });
    expect(parseQuantity('0', true)).toEqual({ problem: 'zero' });
  });
});

describe('warranties', () => {
  it('flags an ended warranty, one ending within 90 days, and one not recorded', () => {
    expect(warrantyState('2026-11-26', '2026-11-27')).toBe('expired');
    expect(warrantyState('2026-11-27', '2026-11-27')).toBe('soon');
    expect(warrantyState('2027-02-25', '2026-11-27')).toBe('soon');
    expect(warrantyState('2027-02-26', '2026-11-27')).toBe('ok');
    expect(warrantyState(null, '2026-11-27')).toBe('unknown');
  });

  it("writes today's date as the hub does", () => {
    expect(localDate(new Date(2026, 0, 5, 23, 30))).toBe('2026-01-05');
  });
});
