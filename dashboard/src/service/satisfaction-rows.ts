import { type SatisfactionGroup } from './service-api.ts';

/** Report periods offered: the calendar month, quarter or year that contains `now`. */
export const reportPeriods = ['month', 'quarter', 'year'] as const;
export type ReportPeriod = (typeof reportPeriods)[number];

/**
 * The [from, to) the hub is asked for, as local dates: the satisfaction report is read
 * by the office calendar, so a "month" starts at local midnight on its first day.
 */
export function periodRange(period: ReportPeriod, now: Date): { from: string; to: string } {
  const year = now.getFullYear();
  const month = now.getMonth();
  const startMonth = period === 'month' ? month : period === 'quarter' ? month - (month % 3) : 0;
  const months = period === 'month' ? 1 : period === 'quarter' ? 3 : 12;
  return { from: new Date(year, startMonth, 1).toISOString(), to: new Date(year, startMonth + months, 1).toISOString() };
}

export type ScoreTone = 'ok' | 'warn' | 'bad';

export interface ScoreRow {
  key: string;
  label: string;
  average: number;
  count: number;
}

/**
 * Chart rows with averages kept to one decimal, as the 1–5 scale reads. Rankings put the
 * worst average first (what needs an improvement plan shows on top), ties by more
 * answers; a time series (months) keeps the order of its keys.
 */
export function scoreRows(groups: readonly SatisfactionGroup[], labelOf: (group: SatisfactionGroup) => string, order: 'worst-first' | 'by-key' = 'worst-first'): ScoreRow[] {
  const rows = groups.map((g) => ({ key: g.key, label: labelOf(g), average: Math.round(g.average * 10) / 10, count: g.count }));
  return order === 'by-key'
    ? rows.sort((a, b) => a.key.localeCompare(b.key))
    : rows.sort((a, b) => a.average - b.average || b.count - a.count || a.label.localeCompare(b.label));
}

/** How an average on the 1–5 scale reads: 4 and up is good, below 3 poor. */
export function averageTone(average: number, count: number): ScoreTone | 'none' {
  if (count === 0) return 'none';
  if (average >= 4) return 'ok';
  return average >= 3 ? 'warn' : 'bad';
}
