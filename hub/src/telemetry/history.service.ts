import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import {
  AUTO_MAX_POINTS,
  AUTO_RAW_MAX_RANGE_MS,
  autoBucket,
  bucketCount,
  bucketInterval,
  bucketTimezone,
  sourceFor,
  type BucketName,
  type HistorySource,
  type RequestedBucket,
} from './history-buckets.js';
import { bucketedPoints, countRawUpTo, findSeries, rawPoints } from './history.repository.js';
import { readWatermark } from './rollup.repository.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** A JSON answer holds at most this many points; CSV exports up to CSV_MAX_ROWS. */
export const JSON_MAX_POINTS = 10_000;
export const CSV_MAX_ROWS = 100_000;
/**
 * Points stamped in the last minute before a rollup run may still have been on
 * their way (agent batching, ingest latency): that minute is read from raw.
 */
const LIVE_LAG_MS = MINUTE_MS;
/**
 * TimescaleDB path: how far the continuous aggregates trail "now" (refresh
 * policies of 0002_telemetry.timescale.sql: end offsets plus schedule intervals).
 */
const TIMESCALE_LAG_MS: Record<Exclude<HistorySource, 'raw'>, number> = { '1m': 3 * MINUTE_MS, '1h': HOUR_MS + 15 * MINUTE_MS };

export interface HistoryOptions {
  /** TELEMETRY_RETENTION_DAYS: older raw data is gone, so only rollups can answer. */
  retentionDays: number;
  /** Longest range one request may ask for. */
  maxRangeDays: number;
}

export interface HistoryRequest {
  metric: string;
  /** ISO 8601 with offset; default: `to` minus 24 hours. */
  from?: string;
  /** ISO 8601 with offset; default: now. */
  to?: string;
  bucket?: RequestedBucket;
}

export interface HistoryPoint {
  /** Start of the bucket (or the reading's time for raw points). */
  ts: string;
  avg: number | null;
  min: number | null;
  max: number | null;
  last: number | null;
  count: number;
  /** Raw points of string metrics only. */
  text?: string | null;
}

export interface History {
  metric: string;
  type: 'number' | 'boolean' | 'string';
  unit: string | null;
  bucket: BucketName;
  source: HistorySource;
  from: string;
  to: string;
  points: HistoryPoint[];
}

function invalid(field: string, message: string): WardenError {
  return new WardenError('WARDEN_ERR_VALIDATION', `${field}: ${message}`, { issues: [{ field, message }] });
}

const floorTo = (ms: number, step: number) => Math.floor(ms / step) * step;

/**
 * History of one metric of one device for charts and exports. Picks the bucket
 * (`auto`: at most ~500 points) and the cheapest exact source: raw for short
 * ranges, the 1-minute rollup for buckets under an hour, the hourly one beyond,
 * re-bucketed with min of mins, max of maxes, count-weighted mean and last by
 * time, and topped up from raw where the rollups have not caught up yet.
 *
 * Boolean metrics come as 0/1. String metrics have no aggregates: they answer
 * raw points only (value in `text`); asking them for a bucket is a 400.
 */
export class HistoryService {
  constructor(
    private readonly db: Database,
    private readonly options: HistoryOptions,
  ) {}

  async query(user: SessionUser, deviceId: number, req: HistoryRequest, maxPoints = JSON_MAX_POINTS): Promise<History> {
    const now = Date.now();
    const to = req.to === undefined ? now : Date.parse(req.to);
    const from = req.from === undefined ? to - DAY_MS : Date.parse(req.from);
    if (Number.isNaN(from)) throw invalid('querystring.from', 'expected an ISO 8601 date-time');
    if (Number.isNaN(to)) throw invalid('querystring.to', 'expected an ISO 8601 date-time');
    if (from >= to) throw invalid('querystring.from', 'must be before querystring.to');
    const rangeMs = to - from;
    if (rangeMs > this.options.maxRangeDays * DAY_MS) throw invalid('querystring.from', `the range may span at most ${this.options.maxRangeDays} days`);

    const series = await findSeries(this.db, deviceId, req.metric);
    if (!series || !canSeeBuilding(user, series.buildingId)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no device ${deviceId}`);
    if (series.seriesId === null || series.type === null) throw new WardenError('WARDEN_ERR_NOT_FOUND', `device ${deviceId} has no metric ${JSON.stringify(req.metric)}`);
    const { seriesId, type } = series;

    const rawRetained = from >= now - this.options.retentionDays * DAY_MS;
    const requested = req.bucket ?? 'auto';
    let bucket: BucketName;
    if (type === 'string') {
      if (requested !== 'auto' && requested !== 'raw') throw invalid('querystring.bucket', `metric ${req.metric} holds text, which cannot be aggregated: use bucket=raw`);
      bucket = 'raw';
    } else if (requested === 'auto') {
      const sparse =
        rangeMs <= AUTO_RAW_MAX_RANGE_MS && rawRetained && (await countRawUpTo(this.db, seriesId, new Date(from), new Date(to), AUTO_MAX_POINTS + 1)) <= AUTO_MAX_POINTS;
      bucket = sparse ? 'raw' : autoBucket(rangeMs);
    } else {
      bucket = requested;
    }

    const answer = { metric: req.metric, type, unit: series.unit, bucket, from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    if (bucket === 'raw') {
      const rows = await rawPoints(this.db, seriesId, new Date(from), new Date(to), maxPoints + 1);
      if (rows.length > maxPoints) throw invalid('querystring.bucket', `the range holds more than ${maxPoints} raw points: choose a bucket or a shorter range`);
      const points = rows.map((r): HistoryPoint => {
        const ts = r.ts.toISOString();
        return type === 'string'
          ? { ts, avg: null, min: null, max: null, last: null, count: 1, text: r.value_text }
          : { ts, avg: r.value, min: r.value, max: r.value, last: r.value, count: 1 };
      });
      return { ...answer, source: 'raw', points };
    }

    if (bucketCount(bucket, rangeMs) > maxPoints) {
      throw invalid('querystring.bucket', `bucket ${bucket} over this range gives more than ${maxPoints} points: choose a larger bucket or a shorter range`);
    }
    const source = sourceFor(bucket, rangeMs, rawRetained);
    const rows = await bucketedPoints(this.db, {
      seriesId,
      source,
      interval: bucketInterval[bucket],
      timezone: bucketTimezone(bucket, series.timezone),
      from: new Date(from),
      to: new Date(to),
      rolledUpTo: source === 'raw' ? new Date(from) : await this.rolledUpTo(source, now),
    });
    const points = rows.map((r): HistoryPoint => ({ ts: r.bucket.toISOString(), avg: r.avg, min: r.min, max: r.max, last: r.last, count: r.count }));
    return { ...answer, source, points };
  }

  /** The same answer as CSV, up to CSV_MAX_ROWS rows. */
  async csv(user: SessionUser, deviceId: number, req: HistoryRequest): Promise<{ filename: string; body: string }> {
    const h = await this.query(user, deviceId, req, CSV_MAX_ROWS);
    const lines: string[] = [];
    if (h.bucket !== 'raw') {
      lines.push('ts,avg,min,max,last,count');
      for (const p of h.points) lines.push(`${p.ts},${num(p.avg)},${num(p.min)},${num(p.max)},${num(p.last)},${p.count}`);
    } else if (h.type === 'string') {
      lines.push('ts,text');
      for (const p of h.points) lines.push(`${p.ts},${csvText(p.text ?? null)}`);
    } else {
      lines.push('ts,value');
      for (const p of h.points) lines.push(`${p.ts},${num(p.last)}`);
    }
    const stamp = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d+/, '');
    const filename = `device-${deviceId}-${h.metric}-${h.bucket}-${stamp(h.from)}-${stamp(h.to)}.csv`.replace(/[^A-Za-z0-9_.-]/g, '_');
    return { filename, body: lines.join('\r\n') + '\r\n' };
  }

  /** Source buckets before this instant are complete in the rollup; newer ones are read from raw. */
  private async rolledUpTo(source: Exclude<HistorySource, 'raw'>, now: number): Promise<Date> {
    const step = source === '1m' ? MINUTE_MS : HOUR_MS;
    if (this.db.storage === 'timescaledb') return new Date(floorTo(now - TIMESCALE_LAG_MS[source], step));
    const watermark = await readWatermark(this.db);
    // Before the first rollup run everything comes from raw.
    if (!watermark) return new Date(0);
    return new Date(floorTo(watermark.getTime() - LIVE_LAG_MS, step));
  }
}

function num(v: number | null): string {
  return v === null ? '' : String(v);
}

/** RFC 4180 quoting; a leading = + - @ is defused so a spreadsheet never runs device text as a formula. */
function csvText(v: string | null): string {
  if (v === null) return '';
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
