import { describe, expect, it } from 'vitest';
import { type HistoryPoint } from '../api/hub-api.ts';
import { historyRows } from './history-rows.ts';

const at = (minute: number): HistoryPoint => ({
  ts: new Date(Date.UTC(2025, 0, 1, 10, minute)).toISOString(),
  avg: minute,
  min: minute - 1,
  max: minute + 1,
  last: minute,
  count: 6,
});

describe('history rows', () => {
  it('breaks the line where buckets are missing instead of drawing across the outage', () => {
    const rows = historyRows([at(0), at(1), at(2), at(7), at(8)]);
    expect(rows.map((r) => r.avg)).toEqual([0, 1, 2, null, 7, 8]);
    expect(rows[3].t).toBe(Date.UTC(2025, 0, 1, 10, 3));
  });

  it('keeps a complete series as it is, with min–max as the range', () => {
    const rows = historyRows([at(2), at(0), at(1)]);
    expect(rows.map((r) => r.avg)).toEqual([0, 1, 2]);
    expect(rows[0].range).toEqual([-1, 1]);
  });
});
