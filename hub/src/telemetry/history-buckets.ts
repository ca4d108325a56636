/**
 * The bucket sizes a history answer can have, and which stored table serves each.
 * Pure functions, no I/O: the rules are easy to read and test here.
 */

export const bucketNames = ['raw', '1m', '5m', '15m', '1h', '6h', '1d'] as const;
export type BucketName = (typeof bucketNames)[number];
export type AggregateBucket = Exclude<BucketName, 'raw'>;
export type RequestedBucket = BucketName | 'auto';

/** Where points are read from: raw telemetry or one of the rollup tables. */
export const historySources = ['raw', '1m', '1h'] as const;
export type HistorySource = (typeof historySources)[number];

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export const bucketMs: Record<AggregateBucket, number> = {
  '1m': MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '15m': 15 * MINUTE_MS,
  '1h': HOUR_MS,
  '6h': 6 * HOUR_MS,
  '1d': DAY_MS,
};

/** As a PostgreSQL interval, for date_bin. */
export const bucketInterval: Record<AggregateBucket, string> = {
  '1m': '1 minute',
  '5m': '5 minutes',
  '15m': '15 minutes',
  '1h': '1 hour',
  '6h': '6 hours',
  '1d': '1 day',
};

/** `auto` keeps a chart at most this many points. */
export const AUTO_MAX_POINTS = 500;
/** Ranges up to this long are aggregated straight from raw: exact, no rollup lag, and cheap for one series. */
export const RAW_SOURCE_MAX_RANGE_MS = 2 * HOUR_MS;
/** `auto` considers raw points (sparse metrics, short ranges) only for ranges up to this long. */
export const AUTO_RAW_MAX_RANGE_MS = DAY_MS;

/** Upper bound of buckets a range gives (a partial bucket at each end). */
export function bucketCount(bucket: AggregateBucket, rangeMs: number): number {
  return Math.ceil(rangeMs / bucketMs[bucket]) + 1;
}

/** The smallest bucket giving at most about AUTO_MAX_POINTS points over the range. */
export function autoBucket(rangeMs: number): AggregateBucket {
  const sizes = Object.keys(bucketMs) as AggregateBucket[];
  return sizes.find((b) => Math.ceil(rangeMs / bucketMs[b]) <= AUTO_MAX_POINTS) ?? '1d';
}

/**
 * The table to aggregate from: raw for short ranges (or when the rollups do not
 * apply), the 1-minute rollup for buckets under an hour, the hourly one beyond.
 * Every bucket is a whole number of source buckets, so re-bucketing is exact.
 */
export function sourceFor(bucket: AggregateBucket, rangeMs: number, rawRetained: boolean): HistorySource {
  if (rangeMs <= RAW_SOURCE_MAX_RANGE_MS && rawRetained) return 'raw';
  return bucketMs[bucket] < HOUR_MS ? '1m' : '1h';
}

/**
 * Buckets of six hours and a day follow the site's wall clock (midnight local
 * time); shorter ones are UTC, like the rollups (the same thing wherever the
 * offset is whole hours).
 */
export function bucketTimezone(bucket: AggregateBucket, siteTimezone: string): string {
  return bucketMs[bucket] > HOUR_MS ? siteTimezone : 'UTC';
}
