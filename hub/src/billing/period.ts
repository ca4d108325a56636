import { z } from 'zod';

/** A billing period: a calendar month, "YYYY-MM". */
export type Period = string;

export const periodSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');

function parts(period: Period): [number, number] {
  const parsed = periodSchema.safeParse(period);
  if (!parsed.success) throw new RangeError(`not a period: ${period}`);
  return [Number(period.slice(0, 4)), Number(period.slice(5, 7))];
}

/** The period's first day, "YYYY-MM-01". */
export function periodStart(period: Period): string {
  return `${period}-01`;
}

/** The first day after the period, "YYYY-MM-01" of the next month. */
export function periodEnd(period: Period): string {
  return `${addMonths(period, 1)}-01`;
}

export function addMonths(period: Period, months: number): Period {
  const [y, m] = parts(period);
  const index = y * 12 + (m - 1) + months;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** Number of days in the period. */
export function daysIn(period: Period): number {
  const [y, m] = parts(period);
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** The month number (1–12). */
export function monthOf(period: Period): number {
  return parts(period)[1];
}

/** The period a calendar date ("YYYY-MM-DD") falls in. */
export function periodOf(date: string): Period {
  return date.slice(0, 7);
}
