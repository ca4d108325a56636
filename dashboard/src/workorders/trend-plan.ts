import { type AlarmRuleMetric, type LatestMetric, type WorkOrder, type WorkOrderAlarmSummary } from '../api/hub-api.ts';

/**
 * What the equipment trend of a work order shows: which readings, over which span.
 * The reading that raised the alarm says most; failing that (an event such as a leak
 * contact), the readings its rule tests; failing that, whatever numbers the device reports.
 */

export const TREND_LEAD_MS = 2 * 60 * 60 * 1000;
export const MAX_TREND_METRICS = 4;

export interface TrendMetric {
  metric: string;
  unit: string | null;
  /** The rule's threshold on this reading, drawn as a line. */
  threshold: number | null;
  /** True for the reading that raised the alarm. */
  trigger: boolean;
  /** An on/off reading (leak, running): drawn as a step between no and yes. */
  boolean: boolean;
}

/** When the fault began: the raise of the episode that opened the work order (or its latest), else when the work order was opened. */
export function faultTime(wo: Pick<WorkOrder, 'alarmEpisodeId' | 'createdAt'>, alarm: WorkOrderAlarmSummary | null): number {
  const episodes = alarm?.episodes ?? [];
  const episode = episodes.find((e) => e.id === wo.alarmEpisodeId) ?? episodes.at(-1);
  const at = Date.parse(episode?.raisedAt ?? wo.createdAt);
  return Number.isNaN(at) ? Date.parse(wo.createdAt) : at;
}

/** The span to chart: from two hours before the fault until now. */
export function trendSpan(fault: number, now: number): { from: number; to: number } {
  const from = fault - TREND_LEAD_MS;
  return { from, to: Math.max(now, fault + 60_000) };
}

export function chooseTrendMetrics(triggerMetric: string | null, ruleMetrics: readonly AlarmRuleMetric[], latest: readonly LatestMetric[]): TrendMetric[] {
  const numeric = latest.filter((m) => typeof m.value === 'number');
  const booleans = latest.filter((m) => typeof m.value === 'boolean');
  const unitOf = (metric: string) => latest.find((m) => m.metric === metric)?.unit ?? null;
  const thresholdOf = (metric: string) => ruleMetrics.find((r) => r.metric === metric && r.threshold !== null)?.threshold ?? null;
  const chosen: TrendMetric[] = [];
  const add = (metric: string, trigger: boolean) => {
    if (chosen.some((c) => c.metric === metric) || chosen.length >= MAX_TREND_METRICS) return;
    const boolean = booleans.some((m) => m.metric === metric);
    chosen.push({ metric, unit: boolean ? null : unitOf(metric), threshold: boolean ? null : thresholdOf(metric), trigger, boolean });
  };
  // A text reading (a lift's "status": "fault") cannot be drawn; the device's numbers stand in for it.
  const triggerIsText = latest.some((m) => m.metric === triggerMetric && typeof m.value === 'string');
  if (triggerMetric && !triggerIsText) add(triggerMetric, true);
  // The rule's other numeric readings (e.g. pressure beside "running") explain the fault too.
  for (const r of ruleMetrics) if (numeric.some((m) => m.metric === r.metric)) add(r.metric, false);
  if (chosen.length === 0) for (const m of numeric) add(m.metric, false);
  // A device with on/off readings only (a leak contact) is still worth seeing switch.
  if (chosen.length === 0) for (const m of booleans) add(m.metric, false);
  return chosen;
}
