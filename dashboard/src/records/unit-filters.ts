import { type UnitSearchQuery, type UnitSort, type UnitStatus } from '../api/hub-api.ts';

/** The units search form as typed: strings, '' meaning "any". */
export interface UnitFilters {
  building: string;
  floor: string;
  status: UnitStatus | '';
  minArea: string;
  maxArea: string;
  owner: string;
  q: string;
  sort: UnitSort;
  order: 'asc' | 'desc';
}

export const emptyUnitFilters: UnitFilters = { building: '', floor: '', status: '', minArea: '', maxArea: '', owner: '', q: '', sort: 'number', order: 'asc' };

export const UNITS_PER_PAGE = 25;

/** An area box: blank is no bound; anything else must be a number ≥ 0 (a comma works as the decimal mark). */
function area(text: string): number | undefined | null {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/**
 * The search form as the hub's query, and which boxes hold something the hub would
 * refuse (checked here so the list does not flash an error while someone types).
 */
export function toUnitQuery(f: UnitFilters, page: number, limit = UNITS_PER_PAGE): { query: UnitSearchQuery; invalid: ('minArea' | 'maxArea')[] } {
  const minArea = area(f.minArea);
  const maxArea = area(f.maxArea);
  const invalid: ('minArea' | 'maxArea')[] = [];
  if (minArea === null) invalid.push('minArea');
  if (maxArea === null || maxArea === 0) invalid.push('maxArea');
  if (typeof minArea === 'number' && typeof maxArea === 'number' && minArea > maxArea) invalid.push('minArea');
  const text = (v: string) => v.trim() || undefined;
  const query: UnitSearchQuery = {
    building: text(f.building),
    // A floor code means something only within a building.
    floor: f.building ? text(f.floor) : undefined,
    status: f.status || undefined,
    minArea: invalid.includes('minArea') ? undefined : (minArea ?? undefined),
    maxArea: invalid.includes('maxArea') ? undefined : (maxArea ?? undefined),
    owner: text(f.owner),
    q: text(f.q),
    sort: f.sort,
    order: f.order,
    page,
    limit,
  };
  return { query, invalid };
}

/** Stable key of a query, for the polled list (same key: same list). */
export function unitQueryKey(query: UnitSearchQuery): string {
  return JSON.stringify(Object.entries(query).filter(([, v]) => v !== undefined));
}

export function pageCount(total: number, limit: number): number {
  return Math.max(1, Math.ceil(total / limit));
}

/** "1–25 of 130" numbers for the page shown. */
export function pageRange(page: number, limit: number, total: number): { first: number; last: number } {
  if (total === 0) return { first: 0, last: 0 };
  const first = (page - 1) * limit + 1;
  return { first: Math.min(first, total), last: Math.min(page * limit, total) };
}
