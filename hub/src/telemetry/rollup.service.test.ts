import { describe, expect, it } from 'vitest';
import { hourGroups, refreshWindows } from './rollup.service.js';

const at = (iso: string) => new Date(iso);
const ms = (iso: string) => Date.parse(iso);

describe('refreshWindows (TimescaleDB refresh of replayed ranges)', () => {
  it('covers each range with whole hours, its last point included', () => {
    expect(refreshWindows([{ from: at('2026-10-01T03:20:00Z'), to: at('2026-10-01T05:00:00Z') }])).toEqual([
      // 05:00:00 is a point of the 05:00 hour: that hour is refreshed too.
      { from: ms('2026-10-01T03:00:00Z'), to: ms('2026-10-01T06:00:00Z') },
    ]);
  });

  it('merges overlapping and adjacent ranges, keeps apart the rest, oldest first', () => {
    const windows = refreshWindows([
      { from: at('2026-10-02T10:10:00Z'), to: at('2026-10-02T10:50:00Z') },
      { from: at('2026-10-01T00:05:00Z'), to: at('2026-10-01T00:06:00Z') },
      { from: at('2026-10-02T11:00:00Z'), to: at('2026-10-02T11:30:00Z') },
      { from: at('2026-10-02T10:30:00Z'), to: at('2026-10-02T10:40:00Z') },
    ]);
    expect(windows).toEqual([
      { from: ms('2026-10-01T00:00:00Z'), to: ms('2026-10-01T01:00:00Z') },
      { from: ms('2026-10-02T10:00:00Z'), to: ms('2026-10-02T12:00:00Z') },
    ]);
  });

  it('has nothing to refresh for nothing queued', () => {
    expect(refreshWindows([])).toEqual([]);
  });

  it('agrees with the plain path on which hours a range touches', () => {
    const ranges = [{ from: at('2026-10-01T03:20:00Z'), to: at('2026-10-01T05:00:00Z'), seriesIds: null, historical: true }];
    const hours = hourGroups(ranges).map((g) => g.hour).sort((a, b) => a - b);
    const [w] = refreshWindows(ranges);
    expect(hours).toEqual([ms('2026-10-01T03:00:00Z'), ms('2026-10-01T04:00:00Z'), ms('2026-10-01T05:00:00Z')]);
    expect([w.from, w.to]).toEqual([hours[0], hours.at(-1)! + 3_600_000]);
  });
});
