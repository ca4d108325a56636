import { type AlarmKpis, type WorkOrderKpis } from '../api/hub-api.ts';

/** The overview's time ranges; KPIs are over [now - span, now). */
export const kpiRanges = ['24h', '7d', '30d'] as const;
export type KpiRange = (typeof kpiRanges)[number];

const HOUR_MS = 3_600_000;
const spanMs: Record<KpiRange, number> = { '24h': 24 * HOUR_MS, '7d': 7 * 24 * HOUR_MS, '30d': 30 * 24 * HOUR_MS };

export function isKpiRange(value: unknown): value is KpiRange {
  return typeof value === 'string' && (kpiRanges as readonly string[]).includes(value);
}

/**
 * The query span of a range. `to` is rounded up to the minute so that every refresh
 * within a minute asks the same question (and the hub's answer can be compared).
 */
export function rangeSpan(range: KpiRange, now: number): { from: string; to: string } {
  const to = Math.ceil(now / 60_000) * 60_000;
  return { from: new Date(to - spanMs[range]).toISOString(), to: new Date(to).toISOString() };
}

export interface ContributorRow {
  alarmId: number;
  label: string;
  rule: string;
  device: string;
  activations: number;
  share: number;
}

/** Top contributors for a horizontal bar chart, biggest first (the hub already caps them at 10). */
export function contributorRows(kpis: Pick<AlarmKpis, 'topContributors'>): ContributorRow[] {
  return [...kpis.topContributors]
    .sort((a, b) => b.activations - a.activations || a.alarmId - b.alarmId)
    .slice(0, 10)
    .map((c) => ({ alarmId: c.alarmId, label: `${c.deviceName} · ${c.ruleName}`, rule: c.ruleName, device: c.deviceName, activations: c.activations, share: c.share }));
}

export interface TradeKpiRow {
  trade: string;
  open: number;
  /** SLA compliance in percent, null when nothing was measured. */
  acceptPct: number | null;
  resolvePct: number | null;
  /** Minutes, null when nothing was accepted/resolved. */
  mttaMin: number | null;
  mttrMin: number | null;
}

const pct = (ratio: number | null) => (ratio === null ? null : Math.round(ratio * 1000) / 10);
const minutes = (seconds: number | null) => (seconds === null ? null : Math.round((seconds / 60) * 10) / 10);

/** One row per trade seen in the backlog or the period, trades with the most open work first. */
export function tradeRows(kpis: Pick<WorkOrderKpis, 'openByTrade' | 'byTrade'>): TradeKpiRow[] {
  const trades = new Set([...kpis.openByTrade.map((o) => o.trade), ...kpis.byTrade.map((b) => b.trade)]);
  return [...trades]
    .map((trade) => {
      const block = kpis.byTrade.find((b) => b.trade === trade);
      return {
        trade,
        open: kpis.openByTrade.find((o) => o.trade === trade)?.open ?? 0,
        acceptPct: pct(block?.acceptSla.compliance ?? null),
        resolvePct: pct(block?.resolveSla.compliance ?? null),
        mttaMin: minutes(block?.mttaSeconds ?? null),
        mttrMin: minutes(block?.mttrSeconds ?? null),
      };
    })
    .sort((a, b) => b.open - a.open || a.trade.localeCompare(b.trade));
}

/** ISA-18.2 / EEMUA 191: more than 10 alarms in 10 minutes is a flood (hub/src/alarms/alarm-kpis.ts FLOOD_THRESHOLD_PER_10_MIN). */
export const FLOOD_THRESHOLD_PER_10_MIN = 10;
const TEN_MIN_MS = 600_000;

export interface RateRow {
  /** Start of the 10-minute period (epoch ms, aligned as the hub aligns them). */
  t: number;
  count: number;
}

/**
 * The alarm rate over the range, one row per 10-minute period. The hub leaves out
 * periods without activations; they are put back as zeros, so the chart's line drops
 * to the floor between bursts instead of joining them.
 */
export function rateRows(series: AlarmKpis['series'], from: string, to: string): RateRow[] {
  const start = Math.floor(Date.parse(from) / TEN_MIN_MS) * TEN_MIN_MS;
  const end = Date.parse(to);
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) return [];
  const counts = new Map(series.map((s) => [Date.parse(s.start), s.count]));
  const rows: RateRow[] = [];
  for (let t = start; t < end; t += TEN_MIN_MS) rows.push({ t, count: counts.get(t) ?? 0 });
  return rows;
}
