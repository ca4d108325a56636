/**
 * Which span of a device's history a chart shows, and which bucket to ask the hub for
 * (hub/src/telemetry/history-buckets.ts). Pure, so the choices are tested without a DOM.
 */

import { type Translate } from '../i18n/i18n-context.tsx';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export const rangePresets = ['1h', '6h', '24h', '7d', '30d'] as const;
export type RangePreset = (typeof rangePresets)[number];

export const presetMs: Record<RangePreset, number> = {
  '1h': HOUR_MS,
  '6h': 6 * HOUR_MS,
  '24h': DAY_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
};

/** A preset follows the clock (re-read on every refresh); a custom or zoomed span stays put. */
export type HistoryWindow = { kind: 'preset'; preset: RangePreset } | { kind: 'custom'; from: number; to: number };

/** The hub's aggregate buckets, smallest first, with their length. */
const buckets = [
  ['1m', MINUTE_MS],
  ['5m', 5 * MINUTE_MS],
  ['15m', 15 * MINUTE_MS],
  ['1h', HOUR_MS],
  ['6h', 6 * HOUR_MS],
  ['1d', DAY_MS],
] as const;

/** A chart about 600 px wide gains nothing from more points than this. */
export const MAX_CHART_POINTS = 500;
/** Spans this short are asked with `auto`: the hub then answers raw readings when there are few enough, finer than a minute. */
export const AUTO_BELOW_MS = 30 * MINUTE_MS;
/** A drag narrower than this is a click, not a zoom. */
export const MIN_ZOOM_MS = 2 * MINUTE_MS;
/** Custom spans up to a year: the hub refuses more than 400 days (telemetry.module.ts MAX_RANGE_DAYS). */
export const MAX_SPAN_MS = 366 * DAY_MS;

/** The smallest bucket that keeps the span within MAX_CHART_POINTS points; `auto` for short spans. */
export function bucketFor(spanMs: number): string {
  if (spanMs < AUTO_BELOW_MS) return 'auto';
  return buckets.find(([, ms]) => Math.ceil(spanMs / ms) <= MAX_CHART_POINTS)?.[0] ?? '1d';
}

/** The bucket a history answer came in, as the chart's caption says it ("raw readings", "5 min averages"). */
export function bucketText(t: Translate, bucket: string): string {
  return bucket === 'raw' ? t('device.range.raw') : t('device.range.perBucket', { size: bucket.replace(/m$/, ' min').replace(/h$/, ' h').replace(/d$/, ' d') });
}

export interface HistorySpan {
  from: number;
  to: number;
  bucket: string;
}

/** The span a window covers at `now`, and the bucket to ask for. */
export function spanOf(window: HistoryWindow, now: number): HistorySpan {
  const { from, to } = window.kind === 'preset' ? { from: now - presetMs[window.preset], to: now } : window;
  return { from, to, bucket: bucketFor(to - from) };
}

/** A stable key for a window: presets by name (so the clock moving does not start over), custom spans by their ends. */
export function windowKey(window: HistoryWindow): string {
  return window.kind === 'preset' ? window.preset : `${window.from}-${window.to}`;
}

/**
 * The span dragged across a chart, in either direction, or null for a drag too small
 * to mean anything (a click) or one that is not on the time axis.
 */
export function zoomSelection(a: number | undefined, b: number | undefined): { from: number; to: number } | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  const from = Math.min(a, b);
  const to = Math.max(a, b);
  return to - from >= MIN_ZOOM_MS ? { from, to } : null;
}

export type CustomRangeProblem = 'invalid' | 'order' | 'tooLong' | 'future';

/** Checks a custom span typed by the user (datetime-local values, read in the browser's zone). */
export function parseCustomRange(fromText: string, toText: string, now: number): { from: number; to: number } | CustomRangeProblem {
  const from = Date.parse(fromText);
  const to = Date.parse(toText);
  if (Number.isNaN(from) || Number.isNaN(to)) return 'invalid';
  if (from >= to) return 'order';
  if (from > now) return 'future';
  if (to - from > MAX_SPAN_MS) return 'tooLong';
  return { from, to };
}

/** A time as a `datetime-local` input value in the browser's zone (YYYY-MM-DDTHH:mm). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
