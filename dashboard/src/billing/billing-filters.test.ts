import { describe, expect, it } from 'vitest';
import { type Bill } from './billing-api.ts';
import { ageingRows, billQueryKey, billStatusTone, collectionSeries, emptyBillFilters, isOverdue, newIdempotencyKey, owingBills, periodOf, shiftPeriod, todayIso, toBillQuery, unitsOfBills } from './billing-filters.ts';

const bill = (over: Partial<Bill>): Bill => ({
  id: 1,
  number: 'B-1',
  unitId: 10,
  unitNumber: '101',
  buildingId: 'bldg-a',
  ownerId: 3,
  ownerName: 'Li',
  period: '2026-10',
  issuedOn: '2026-10-01',
  dueOn: '2026-10-16',
  totalFen: 10000,
  paidFen: 0,
  lateFeesFen: 0,
  outstandingFen: 10000,
  status: 'open',
  voidReason: null,
  ...over,
});

describe('periods', () => {
  it('names the month of a date and steps across years', () => {
    expect(periodOf(new Date(2026, 0, 31))).toBe('2026-01');
    expect(shiftPeriod('2026-01', 1)).toBe('2025-12');
    expect(shiftPeriod('2025-12', -1)).toBe('2026-01');
    expect(shiftPeriod('2026-06', 12)).toBe('2025-06');
    expect(todayIso(new Date(2026, 10, 5))).toBe('2026-11-05');
  });
});

describe('bill search form', () => {
  it('sends what is filled in, as a page of 25', () => {
    const { query, invalid } = toBillQuery({ ...emptyBillFilters, building: 'bldg-a', owner: { id: 7, label: 'Li' }, status: 'partial', period: '2026-10' }, 3);
    expect(invalid).toEqual([]);
    expect(query).toEqual({ building: 'bldg-a', unit: undefined, owner: 7, period: '2026-10', status: 'partial', limit: 25, offset: 50 });
    expect(toBillQuery({ ...emptyBillFilters, unit: { id: 12, label: 'A-101' } }, 1).query).toMatchObject({ unit: 12, owner: undefined, offset: 0 });
  });

  it('holds back a half-typed period', () => {
    expect(toBillQuery({ ...emptyBillFilters, period: '2026-1' }, 1)).toMatchObject({ query: { period: undefined }, invalid: ['period'] });
  });

  it('keys equal searches equally', () => {
    const a = toBillQuery({ ...emptyBillFilters, owner: { id: 3, label: 'x' } }, 1).query;
    expect(billQueryKey(a)).toBe(billQueryKey(toBillQuery({ ...emptyBillFilters, owner: { id: 3, label: 'another label' } }, 1).query));
    expect(billQueryKey(a)).not.toBe(billQueryKey({ ...a, owner: 4 }));
    expect(billQueryKey(a)).not.toBe(billQueryKey({ ...a, offset: 25 }));
  });
});

describe('bills owed', () => {
  it('lists what is still owed, oldest due first, and the units once each', () => {
    const bills = [
      bill({ id: 1, dueOn: '2026-11-16', unitId: 10 }),
      bill({ id: 2, dueOn: '2026-10-16', unitId: 11, unitNumber: '102' }),
      bill({ id: 3, status: 'paid', outstandingFen: 0 }),
      bill({ id: 4, status: 'void', outstandingFen: 500 }),
    ];
    expect(owingBills(bills).map((b) => b.id)).toEqual([2, 1]);
    expect(unitsOfBills(bills)).toEqual([
      { unitId: 10, unitNumber: '101' },
      { unitId: 11, unitNumber: '102' },
    ]);
  });

  it('calls a bill overdue only when it is due before today and unsettled', () => {
    expect(isOverdue(bill({}), '2026-10-17')).toBe(true);
    expect(isOverdue(bill({}), '2026-10-16')).toBe(false);
    expect(isOverdue(bill({ status: 'paid', outstandingFen: 0 }), '2026-12-01')).toBe(false);
    expect(billStatusTone('open', true)).toBe('high');
    expect(billStatusTone('partial', false)).toBe('medium');
    expect(billStatusTone('paid', false)).toBe('ok');
  });
});

describe('charts', () => {
  it('keeps every ageing bucket in order, empty ones as zero', () => {
    expect(ageingRows({ '31-90': 500 }, ['0-30', '31-90', '91-180', '180+'])).toEqual([
      { bucket: '0-30', fen: 0 },
      { bucket: '31-90', fen: 500 },
      { bucket: '91-180', fen: 0 },
      { bucket: '180+', fen: 0 },
    ]);
  });

  it('puts collection rates per period and building, none where nothing was due', () => {
    const row = { bills: 1, lateFeesFen: 0, outstandingFen: 0 };
    const { periods, buildings } = collectionSeries([
      { ...row, period: '2026-10', buildingId: 'b', billedFen: 30000, collectedFen: 10000, ratePct: '33.33' },
      { ...row, period: '2026-09', buildingId: 'a', billedFen: 20000, collectedFen: 20000, ratePct: '100.00' },
      { ...row, period: '2026-10', buildingId: 'a', billedFen: 0, collectedFen: 0, ratePct: null },
    ]);
    expect(buildings).toEqual(['a', 'b']);
    expect(periods).toEqual([
      { period: '2026-09', a: 100 },
      { period: '2026-10', a: null, b: 33.33 },
    ]);
  });
});

describe('idempotency keys', () => {
  it('differ per form', () => {
    const a = newIdempotencyKey();
    expect(a).toMatch(/^pay-[0-9a-f-]{36}$/);
    expect(newIdempotencyKey()).not.toBe(a);
  });
});
