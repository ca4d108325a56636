import { describe, expect, it } from 'vitest';
import { emptyUnitFilters, pageCount, pageRange, toUnitQuery, unitQueryKey } from './unit-filters.ts';

describe('unit search form', () => {
  it('sends only what is filled in, a floor only with its building', () => {
    const { query, invalid } = toUnitQuery({ ...emptyUnitFilters, floor: '3', q: '  101 ', status: 'vacant' }, 2);
    expect(invalid).toEqual([]);
    expect(query).toEqual({ building: undefined, floor: undefined, status: 'vacant', minArea: undefined, maxArea: undefined, owner: undefined, q: '101', sort: 'number', order: 'asc', page: 2, limit: 25 });
    expect(toUnitQuery({ ...emptyUnitFilters, building: 'bldg-a', floor: '3' }, 1).query).toMatchObject({ building: 'bldg-a', floor: '3' });
  });

  it('reads area bounds with a decimal comma, and holds back ones the hub would refuse', () => {
    expect(toUnitQuery({ ...emptyUnitFilters, minArea: '80,5', maxArea: '120' }, 1)).toMatchObject({ query: { minArea: 80.5, maxArea: 120 }, invalid: [] });
    expect(toUnitQuery({ ...emptyUnitFilters, minArea: 'big', maxArea: '0' }, 1)).toMatchObject({ query: { minArea: undefined, maxArea: undefined }, invalid: ['minArea', 'maxArea'] });
    expect(toUnitQuery({ ...emptyUnitFilters, minArea: '150', maxArea: '100' }, 1)).toMatchObject({ query: { minArea: undefined, maxArea: 100 }, invalid: ['minArea'] });
  });

  it('keys equal queries equally', () => {
    const a = toUnitQuery({ ...emptyUnitFilters, q: 'x' }, 1).query;
    const b = toUnitQuery({ ...emptyUnitFilters, q: 'x ' }, 1).query;
    expect(unitQueryKey(a)).toBe(unitQueryKey(b));
    expect(unitQueryKey(a)).not.toBe(unitQueryKey({ ...a, page: 2 }));
  });

  it('counts pages and the rows shown', () => {
    expect(pageCount(0, 25)).toBe(1);
    expect(pageCount(51, 25)).toBe(3);
    expect(pageRange(3, 25, 51)).toEqual({ first: 51, last: 51 });
    expect(pageRange(1, 25, 0)).toEqual({ first: 0, last: 0 });
  });
});
