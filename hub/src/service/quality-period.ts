import { z } from 'zod';

/**
 * The periods service quality is measured over: a month ('2026-11') or a quarter
 * ('2026-Q4'). Bounds are UTC midnights, [from, to), the same clock as the monthly
 * grouping of the satisfaction analysis (GET /api/service/satisfaction).
 */
export interface QualityPeriod {
  label: string;
  from: Date;
  to: Date;
}

export const qualityPeriodSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/, "a month as YYYY-MM or a quarter as YYYY-Qn (e.g. '2026-11', '2026-Q4')");

export function parsePeriod(label: string): QualityPeriod {
  const year = Number(label.slice(0, 4));
  const quarter = label[5] === 'Q';
  const firstMonth = quarter ? (Number(label.slice(6)) - 1) * 3 : Number(label.slice(5)) - 1;
  const months = quarter ? 3 : 1;
  return { label, from: new Date(Date.UTC(year, firstMonth, 1)), to: new Date(Date.UTC(year, firstMonth + months, 1)) };
}

/** The period of the same length just before (2026-Q1 → 2025-Q4, 2026-01 → 2025-12). */
export function previousPeriod(p: QualityPeriod): QualityPeriod {
  const quarter = p.label[5] === 'Q';
  const d = new Date(p.from);
  d.setUTCMonth(d.getUTCMonth() - (quarter ? 3 : 1));
  return parsePeriod(labelOf(d, quarter));
}

function labelOf(d: Date, quarter: boolean): string {
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  return quarter ? `${year}-Q${Math.floor(month / 3) + 1}` : `${year}-${String(month + 1).padStart(2, '0')}`;
}
