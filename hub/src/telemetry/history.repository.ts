import type { Queryable } from '../db/database.js';
import type { HistorySource } from './history-buckets.js';

export interface SeriesInfo {
  buildingId: string | null;
  timezone: string;
  /** null: the device exists but has no such metric. */
  seriesId: number | null;
  type: 'number' | 'boolean' | 'string' | null;
  unit: string | null;
}

/** The device (with its site's time zone) and the series of one of its metrics; undefined if no such device. */
export async function findSeries(q: Queryable, deviceId: number, metric: string): Promise<SeriesInfo | undefined> {
  const { rows } = await q.query<{ building_id: string | null; timezone: string; series_id: number | null; type: SeriesInfo['type']; unit: string | null }>(
    `SELECT d.building_id, s.timezone, m.id AS series_id, m.type, m.unit
       FROM devices d
       JOIN sites s ON s.id = d.site_id
       LEFT JOIN device_metrics m ON m.device_id = d.id AND m.name = $2
      WHERE d.id = $1`,
    [deviceId, metric],
  );
  const r = rows[0];
  return r && { buildingId: r.building_id, timezone: r.timezone, seriesId: r.series_id, type: r.type, unit: r.unit };
}

/** How many raw points the range holds, counting no further than `limit`. */
export async function countRawUpTo(q: Queryable, seriesId: number, from: Date, to: Date, limit: number): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM telemetry WHERE series_id = $1 AND ts >= $2 AND ts < $3 LIMIT $4) AS x`,
    [seriesId, from, to, limit],
  );
  return rows[0].n;
}

export interface RawRow {
  ts: Date;
  value: number | null;
  value_text: string | null;
}

/** Raw points in [from, to), oldest first, at most `limit`. */
export async function rawPoints(q: Queryable, seriesId: number, from: Date, to: Date, limit: number): Promise<RawRow[]> {
  const { rows } = await q.query<RawRow>(
    `SELECT ts, value, value_text FROM telemetry WHERE series_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT $4`,
    [seriesId, from, to, limit],
  );
  return rows;
}

export interface BucketRow {
  bucket: Date;
  min: number | null;
  max: number | null;
  avg: number | null;
  last: number | null;
  count: number;
}

export interface BucketQuery {
  seriesId: number;
  source: HistorySource;
  /** A PostgreSQL interval: '15 minutes'. */
  interval: string;
  /** The zone whose wall clock bucket boundaries follow. */
  timezone: string;
  from: Date;
  to: Date;
  /**
   * Rollup rows are used for source buckets before this instant, raw telemetry
   * from it on (the newest part, not rolled up yet). Ignored for source 'raw'.
   */
  rolledUpTo: Date;
}

// Bucket boundaries on the wall clock of $6: the origin is a local midnight in any zone.
const binOf = (x: string) => `(date_bin($3::interval, ${x} AT TIME ZONE $6::text, timestamp '2000-01-01') AT TIME ZONE $6::text)`;
// The range widened to whole buckets, so every answered bucket is complete whatever its source.
const LO = binOf('$4::timestamptz');
const HI = `((date_bin($3::interval, ($5::timestamptz - interval '1 microsecond') AT TIME ZONE $6::text, timestamp '2000-01-01') + $3::interval) AT TIME ZONE $6::text)`;

const FINAL = `
  SELECT ${binOf('at')} AS bucket, min(min) AS min, max(max) AS max, sum(total) / nullif(sum(count), 0) AS avg,
         (array_agg(last ORDER BY at DESC))[1] AS last, sum(count)::int AS count
    FROM parts GROUP BY 1 ORDER BY 1`;

const RAW_PART = (fromExpr: string) => `
  SELECT t.ts AS at, t.value AS min, t.value AS max, t.value AS total, 1 AS count, t.value AS last
    FROM telemetry t
   WHERE t.series_id = $1 AND t.ts >= ${fromExpr} AND t.ts < ${HI} AND t.value IS NOT NULL`;

// Partial aggregates (min, max, sum, count, last by time) from a rollup and from
// raw, combined per answer bucket: the result equals aggregating raw directly.
const ROLLUP_PART = (table: 'telemetry_1m' | 'telemetry_1h') => `
  SELECT r.bucket AS at, r.min, r.max, r.avg * r.count AS total, r.count, r.last
    FROM ${table} r
   WHERE r.series_id = $1 AND r.bucket >= ${LO} AND r.bucket < least(${HI}, $2::timestamptz)`;

const RAW_FROM = `greatest(${LO}, $2::timestamptz)`;
const BUCKET_SQL: Record<HistorySource, string> = {
  raw: `WITH parts AS (${RAW_PART(RAW_FROM)}) ${FINAL}`,
  '1m': `WITH parts AS (${ROLLUP_PART('telemetry_1m')} UNION ALL ${RAW_PART(RAW_FROM)}) ${FINAL}`,
  '1h': `WITH parts AS (${ROLLUP_PART('telemetry_1h')} UNION ALL ${RAW_PART(RAW_FROM)}) ${FINAL}`,
};

/** Aggregated points of one series, one per non-empty bucket, oldest first. */
export async function bucketedPoints(q: Queryable, b: BucketQuery): Promise<BucketRow[]> {
  const rolledUpTo = b.source === 'raw' ? '-infinity' : b.rolledUpTo;
  const { rows } = await q.query<BucketRow>(BUCKET_SQL[b.source], [b.seriesId, rolledUpTo, b.interval, b.from, b.to, b.timezone]);
  return rows;
}
