import { type HistoryPoint } from '../api/hub-api.ts';

export interface ChartRow {
  t: number;
  avg: number | null;
  range: [number, number] | null;
}

/**
 * Chart rows from history buckets. The hub leaves out empty buckets, so a device that
 * stopped reporting would otherwise be drawn as a straight line across the outage;
 * wherever the spacing jumps past 1.5 × the usual step, a null row breaks the line.
 * The usual step is the median spacing, so this works whatever the bucket size.
 */
export function historyRows(points: readonly HistoryPoint[]): ChartRow[] {
  const rows = points
    .map((p) => ({ t: Date.parse(p.ts), avg: p.avg, range: p.min !== null && p.max !== null ? ([p.min, p.max] as [number, number]) : null }))
    .filter((row) => !Number.isNaN(row.t))
    .sort((a, b) => a.t - b.t);
  if (rows.length < 3) return rows;

  const gaps = rows.slice(1).map((row, i) => row.t - rows[i].t).sort((a, b) => a - b);
  const step = gaps[Math.floor(gaps.length / 2)];
  if (step <= 0) return rows;

  const out: ChartRow[] = [rows[0]];
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].t - rows[i - 1].t > step * 1.5) out.push({ t: rows[i - 1].t + step, avg: null, range: null });
    out.push(rows[i]);
  }
  return out;
}
