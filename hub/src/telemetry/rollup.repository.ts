import type { Queryable } from '../db/database.js';

/**
 * Origin of every UTC bucket (`date_bin`): a whole hour since the Unix epoch,
 * so buckets match TimescaleDB's `time_bucket` on the other storage path.
 */
export const UTC_BUCKET_ORIGIN = '2000-01-01T00:00:00Z';

export interface DirtyRange {
  from: Date;
  /** Inclusive: the newest point of the batch. */
  to: Date;
  /** null: every series. */
  seriesIds: number[] | null;
  historical: boolean;
}

/** Queues ranges for the rollup job, in one statement. */
export async function recordDirty(q: Queryable, ranges: DirtyRange[]): Promise<void> {
  if (!ranges.length) return;
  // A series list cannot be one element of a text[] parameter: pass them as JSON.
  await q.query(
    `INSERT INTO telemetry_rollup_dirty (from_ts, to_ts, series_ids, historical)
     SELECT f, t, (SELECT array_agg(x::int) FROM jsonb_array_elements_text(s) AS x), h
       FROM unnest($1::timestamptz[], $2::timestamptz[], $3::jsonb[], $4::boolean[]) AS u(f, t, s, h)`,
    [ranges.map((r) => r.from), ranges.map((r) => r.to), ranges.map((r) => (r.seriesIds ? JSON.stringify(r.seriesIds) : null)), ranges.map((r) => r.historical)],
  );
}

/** Removes and returns the oldest dirty ranges; inside the job's transaction, so a failed run gives them back. */
export async function claimDirty(q: Queryable, limit: number): Promise<DirtyRange[]> {
  const { rows } = await q.query<{ from_ts: Date; to_ts: Date; series_ids: number[] | null; historical: boolean }>(
    `DELETE FROM telemetry_rollup_dirty
      WHERE id IN (SELECT id FROM telemetry_rollup_dirty ORDER BY id LIMIT $1)
      RETURNING from_ts, to_ts, series_ids, historical`,
    [limit],
  );
  return rows.map((r) => ({ from: r.from_ts, to: r.to_ts, seriesIds: r.series_ids, historical: r.historical }));
}

/**
 * Recomputes the 1-minute buckets in [from, to) from raw telemetry (numeric
 * values only) for the given series, or all series when null. Rows that come
 * out the same are not rewritten. Returns the series whose buckets changed.
 */
export async function rollUpMinutes(q: Queryable, from: Date, to: Date, seriesIds: number[] | null): Promise<number[]> {
  const { rows } = await q.query<{ series_ids: number[] }>(
    `WITH changed AS (
       INSERT INTO telemetry_1m AS r (series_id, bucket, min, max, avg, last, count)
       SELECT series_id, date_bin('1 minute', ts, $4::timestamptz), min(value), max(value), avg(value),
              (array_agg(value ORDER BY ts DESC))[1], count(*)
         FROM telemetry
        WHERE ts >= $1 AND ts < $2 AND value IS NOT NULL
          AND ($3::int[] IS NULL OR series_id = ANY ($3::int[]))
        GROUP BY 1, 2
       ON CONFLICT (series_id, bucket) DO UPDATE
          SET min = EXCLUDED.min, max = EXCLUDED.max, avg = EXCLUDED.avg, last = EXCLUDED.last, count = EXCLUDED.count
        WHERE (r.min, r.max, r.avg, r.last, r.count) IS DISTINCT FROM (EXCLUDED.min, EXCLUDED.max, EXCLUDED.avg, EXCLUDED.last, EXCLUDED.count)
       RETURNING series_id
     )
     SELECT coalesce(array_agg(series_id), '{}') AS series_ids FROM (SELECT DISTINCT series_id FROM changed) AS s`,
    [from, to, seriesIds, UTC_BUCKET_ORIGIN],
  );
  return rows[0].series_ids;
}

/**
 * Recomputes the 1-hour buckets in [from, to) (whole hours) of the given series
 * from their 1-minute buckets: min of mins, max of maxes, count-weighted mean,
 * the last value of the latest minute.
 */
export async function rollUpHours(q: Queryable, from: Date, to: Date, seriesIds: number[]): Promise<void> {
  if (!seriesIds.length) return;
  await q.query(
    `INSERT INTO telemetry_1h AS r (series_id, bucket, min, max, avg, last, count)
     SELECT series_id, date_bin('1 hour', bucket, $4::timestamptz), min(min), max(max), sum(avg * count) / sum(count),
            (array_agg(last ORDER BY bucket DESC))[1], sum(count)
       FROM telemetry_1m
      WHERE bucket >= $1 AND bucket < $2 AND series_id = ANY ($3::int[])
      GROUP BY 1, 2
     ON CONFLICT (series_id, bucket) DO UPDATE
        SET min = EXCLUDED.min, max = EXCLUDED.max, avg = EXCLUDED.avg, last = EXCLUDED.last, count = EXCLUDED.count
      WHERE (r.min, r.max, r.avg, r.last, r.count) IS DISTINCT FROM (EXCLUDED.min, EXCLUDED.max, EXCLUDED.avg, EXCLUDED.last, EXCLUDED.count)`,
    [from, to, seriesIds, UTC_BUCKET_ORIGIN],
  );
}

export async function setWatermark(q: Queryable, at: Date): Promise<void> {
  await q.query(`UPDATE telemetry_rollup_state SET watermark = greatest(watermark, $1), last_run_at = now()`, [at]);
}

/** Up to when the rollups reflect every stored batch (null before the first run). */
export async function readWatermark(q: Queryable): Promise<Date | null> {
  const { rows } = await q.query<{ watermark: Date | null }>(`SELECT watermark FROM telemetry_rollup_state`);
  return rows[0]?.watermark ?? null;
}
