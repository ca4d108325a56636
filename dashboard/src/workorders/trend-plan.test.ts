import { describe, expect, it } from 'vitest';
import { type LatestMetric } from '../api/hub-api.ts';
import { chooseTrendMetrics, faultTime, trendSpan, TREND_LEAD_MS } from './trend-plan.ts';
import { at, workOrder } from './work-order.fixture.ts';

const latest: LatestMetric[] = [
  { metric: 'motorTemp', unit: '°C', value: 91.5, ts: null },
  { metric: 'outletPressure', unit: 'kPa', value: 410, ts: null },
  { metric: 'running', unit: null, value: true, ts: null },
  { metric: 'vibration', unit: 'mm/s', value: 2.1, ts: null },
];

describe('equipment trend of a work order', () => {
  it('charts the reading that raised the alarm first, with the rule threshold', () => {
    const chosen = chooseTrendMetrics('motorTemp', [{ metric: 'motorTemp', op: '>', threshold: 80 }], latest);
    expect(chosen).toEqual([{ metric: 'motorTemp', unit: '°C', threshold: 80, trigger: true, boolean: false }]);
  });

  it('falls back to the numeric readings the rule tests when an event raised it', () => {
    const rule = [
      { metric: 'running', op: null, threshold: null },
      { metric: 'outletPressure', op: '<', threshold: 300 },
    ];
    expect(chooseTrendMetrics(null, rule, latest)).toEqual([{ metric: 'outletPressure', unit: 'kPa', threshold: 300, trigger: false, boolean: false }]);
  });

  it('falls back to every numeric reading of the device, at most four', () => {
    expect(chooseTrendMetrics(null, [], latest).map((m) => m.metric)).toEqual(['motorTemp', 'outletPressure', 'vibration']);
    const many = Array.from({ length: 6 }, (_, i): LatestMetric => ({ metric: `m${i}`, unit: null, value: i, ts: null }));
    expect(chooseTrendMetrics(null, [], many)).toHaveLength(4);
  });

  it('charts on/off readings (a leak contact) only when the device has no numbers', () => {
    const leak: LatestMetric[] = [{ metric: 'leak', unit: null, value: false, ts: null }];
    expect(chooseTrendMetrics(null, [], leak)).toEqual([{ metric: 'leak', unit: null, threshold: null, trigger: false, boolean: true }]);
    expect(chooseTrendMetrics(null, [], latest).some((m) => m.boolean)).toBe(false);
  });

  it('leaves out a text reading that raised the alarm and charts the device’s numbers instead', () => {
    const lift: LatestMetric[] = [
      { metric: 'doorCycles', unit: null, value: 412380, ts: null },
      { metric: 'floor', unit: null, value: 1, ts: null },
      { metric: 'status', unit: null, value: 'fault', ts: null },
    ];
    expect(chooseTrendMetrics('status', [{ metric: 'status', op: null, threshold: null }], lift).map((m) => m.metric)).toEqual(['doorCycles', 'floor']);
  });

  it('takes the fault time from the episode that opened the work order, else when it was opened', () => {
    const wo = workOrder({ alarmEpisodeId: 2, createdAt: '2026-05-01T12:00:05.000Z' });
    const alarm = {
      id: 1,
      ruleId: 1,
      ruleName: 'Pump motor overheating',
      state: 'unack',
      active: true,
      suppressed: false,
      episodes: [
        { id: 1, priority: 'high', message: '', raisedAt: '2026-04-30T08:00:00.000Z', clearedAt: null, ackedAt: null, endedAt: null },
        { id: 2, priority: 'high', message: '', raisedAt: '2026-05-01T12:00:00.000Z', clearedAt: null, ackedAt: null, endedAt: null },
      ],
    };
    expect(faultTime(wo, alarm)).toBe(at('2026-05-01T12:00:00.000Z'));
    expect(faultTime(wo, null)).toBe(at('2026-05-01T12:00:05.000Z'));
  });

  it('spans two hours before the fault to now', () => {
    const fault = at('2026-05-01T12:00:00.000Z');
    expect(trendSpan(fault, fault + 600_000)).toEqual({ from: fault - TREND_LEAD_MS, to: fault + 600_000 });
  });
});
