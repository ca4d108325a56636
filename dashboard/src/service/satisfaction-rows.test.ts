import { describe, expect, it } from 'vitest';
import { averageTone, periodRange, scoreRows } from './satisfaction-rows.ts';

describe('the satisfaction report', () => {
  it('asks for the local calendar month, quarter or year around now', () => {
    const now = new Date(2026, 10, 27, 15, 0);
    expect(periodRange('month', now)).toEqual({ from: new Date(2026, 10, 1).toISOString(), to: new Date(2026, 11, 1).toISOString() });
    expect(periodRange('quarter', now)).toEqual({ from: new Date(2026, 9, 1).toISOString(), to: new Date(2027, 0, 1).toISOString() });
    expect(periodRange('year', now)).toEqual({ from: new Date(2026, 0, 1).toISOString(), to: new Date(2027, 0, 1).toISOString() });
  });

  it('puts the worst average first, rounded to one decimal', () => {
    const rows = scoreRows(
      [
        { key: 'lift', count: 2, average: 4.75 },
        { key: 'plumbing', count: 5, average: 2.333 },
        { key: 'hvac', count: 9, average: 2.333 },
      ],
      (g) => g.key.toUpperCase(),
    );
    expect(rows).toEqual([
      { key: 'hvac', label: 'HVAC', average: 2.3, count: 9 },
      { key: 'plumbing', label: 'PLUMBING', average: 2.3, count: 5 },
      { key: 'lift', label: 'LIFT', average: 4.8, count: 2 },
    ]);
  });

  it('keeps months in calendar order', () => {
    const rows = scoreRows([{ key: '2026-11', count: 1, average: 5 }, { key: '2026-09', count: 1, average: 2 }, { key: '2026-10', count: 1, average: 3 }], (g) => g.key, 'by-key');
    expect(rows.map((r) => r.key)).toEqual(['2026-09', '2026-10', '2026-11']);
  });

  it('reads the overall average as good, middling or poor, and nothing without answers', () => {
    expect([averageTone(4.2, 3), averageTone(3.5, 3), averageTone(2.1, 3), averageTone(0, 0)]).toEqual(['ok', 'warn', 'bad', 'none']);
  });
});
