import { describe, expect, it } from 'vitest';
import { contributorRows, isKpiRange, rangeSpan, rateRows, tradeRows } from './kpi-range.ts';

describe('manager overview ranges', () => {
  it('spans the chosen range back from now, rounded up to the minute', () => {
    const now = Date.parse('2026-05-01T12:00:30.000Z');
    expect(rangeSpan('24h', now)).toEqual({ from: '2026-04-30T12:01:00.000Z', to: '2026-05-01T12:01:00.000Z' });
    expect(rangeSpan('7d', now).from).toBe('2026-04-24T12:01:00.000Z');
    expect(rangeSpan('30d', now).from).toBe('2026-04-01T12:01:00.000Z');
    expect(isKpiRange('7d')).toBe(true);
    expect(isKpiRange('1y')).toBe(false);
  });
});

describe('KPI chart rows', () => {
  it('orders top contributors biggest first and labels them by device and rule', () => {
    const rows = contributorRows({
      topContributors: [
        { alarmId: 2, ruleName: 'Leak', deviceName: 'Sump', activations: 3, share: 30 },
        { alarmId: 1, ruleName: 'Overheat', deviceName: 'Pump 3', activations: 7, share: 70 },
      ],
    });
    expect(rows.map((r) => [r.label, r.activations])).toEqual([
      ['Pump 3 · Overheat', 7],
      ['Sump · Leak', 3],
    ]);
  });

  it('joins the open backlog with the period’s SLA and mean times per trade, in percent and minutes', () => {
    const block = (accept: number | null, mtta: number | null) => ({
      created: 4,
      cancelled: 0,
      accepted: 3,
      resolved: 2,
      acceptSla: { measured: 4, met: 3, compliance: accept },
      resolveSla: { measured: 2, met: 2, compliance: 1 },
      mttaSeconds: mtta,
      mttrSeconds: 5400,
    });
    const rows = tradeRows({
      openByTrade: [
        { trade: 'lift', open: 1 },
        { trade: 'plumbing', open: 5 },
      ],
      byTrade: [
        { trade: 'plumbing', ...block(0.75, 90) },
        { trade: 'hvac', ...block(null, null) },
      ],
    });
    expect(rows).toEqual([
      { trade: 'plumbing', open: 5, acceptPct: 75, resolvePct: 100, mttaMin: 1.5, mttrMin: 90 },
      { trade: 'lift', open: 1, acceptPct: null, resolvePct: null, mttaMin: null, mttrMin: null },
      { trade: 'hvac', open: 0, acceptPct: null, resolvePct: 100, mttaMin: null, mttrMin: 90 },
    ]);
  });

  it('charts the alarm rate per 10 minutes, with the periods the hub left out as zeros', () => {
    const rows = rateRows([{ start: '2026-03-10T10:10:00.000Z', count: 12 }, { start: '2026-03-10T10:40:00.000Z', count: 3 }], '2026-03-10T10:05:00.000Z', '2026-03-10T11:00:00.000Z');
    expect(rows.map((r) => [new Date(r.t).toISOString().slice(11, 16), r.count])).toEqual([
      ['10:00', 0],
      ['10:10', 12],
      ['10:20', 0],
      ['10:30', 0],
      ['10:40', 3],
      ['10:50', 0],
    ]);
    expect(rateRows([], 'x', '2026-03-10T11:00:00.000Z')).toEqual([]);
  });
});
