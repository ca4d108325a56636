import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { emptyColumns, ensurePartitions, insertTelemetry, upsertLatest, type PointColumns } from './telemetry.repository.js';

export interface StoredPoint {
  seriesId: number;
  ts: number;
  value: number | null;
  text: string | null;
  quality: number;
  /** Live points update latest_values; replayed (historical) ones do not. */
  live: boolean;
}

/** What the live (or the replayed) points of a stored batch covered: enough to recompute what depends on them (rollups). */
export interface PersistedTelemetry {
  /** Epoch milliseconds of the oldest and newest point. */
  minTs: number;
  maxTs: number;
  /** Store-and-forward replays (reported apart from the live points of the same batch). */
  historical: boolean;
  /** The distinct series that received points. */
  seriesIds: number[];
  /** Start (epoch ms) of each clock hour the points fall in, ascending: a device with a wrong clock widens minTs..maxTs, not this. */
  hours: number[];
}

export type PersistedHook = (part: PersistedTelemetry) => Promise<void>;

interface CoveredRange {
  minTs: number;
  maxTs: number;
  seriesIds: Set<number>;
  hours: Set<number>;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

interface Batch {
  columns: PointColumns;
  latest: Map<number, StoredPoint>;
  /** UTC days (epoch days) the points fall in: their partitions must exist. */
  days: Set<number>;
  /** What the live and the historical points covered, for the persisted hooks. */
  covered: { live?: CoveredRange; historical?: CoveredRange };
  waiters: { resolve: () => void }[];
}

function newBatch(): Batch {
  return { columns: emptyColumns(), latest: new Map(), days: new Set(), covered: {}, waiters: [] };
}

const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Group commit for telemetry: points from many messages are written in one
 * statement. A write starts as soon as the previous one finishes, so under load
 * batches grow by themselves and when idle nothing waits. `write()` resolves only
 * when the points are durable: the caller acknowledges the MQTT message then, so a
 * hub that dies mid-write gets the message redelivered. A failed write (database
 * restarting, connection cut) is retried with back-off, never dropped.
 */
export class TelemetryWriter {
  private current = newBatch();
  private flushing: Promise<void> | undefined;
  private readonly knownDays = new Set<number>();
  private stopped = false;
  stored = 0;
  duplicates = 0;
  failures = 0;

  /**
   * @param onPersisted runs after every batch is written, before its points are
   * acknowledged; if it throws the writer retries the batch (inserting it again is
   * a no-op), so what it records is as durable as the points (the rollup queue).
   */
  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly onPersisted?: PersistedHook,
    private readonly maxBatchPoints = 20_000,
  ) {}

  /** Points buffered and not yet durable. */
  get pending(): number {
    return this.current.columns.seriesIds.length;
  }

  write(points: StoredPoint[]): Promise<void> {
    const b = this.current;
    const trackDays = this.db.storage === 'postgres';
    for (const p of points) {
      b.columns.seriesIds.push(p.seriesId);
      b.columns.ts.push(p.ts);
      b.columns.values.push(p.value);
      b.columns.texts.push(p.text);
      b.columns.qualities.push(p.quality);
      if (trackDays) b.days.add(Math.floor(p.ts / DAY_MS));
      if (p.live) {
        const prev = b.latest.get(p.seriesId);
        if (!prev || prev.ts <= p.ts) b.latest.set(p.seriesId, p);
      }
      const kind = p.live ? 'live' : 'historical';
      const range = (b.covered[kind] ??= { minTs: p.ts, maxTs: p.ts, seriesIds: new Set(), hours: new Set() });
      if (p.ts < range.minTs) range.minTs = p.ts;
      if (p.ts > range.maxTs) range.maxTs = p.ts;
      range.seriesIds.add(p.seriesId);
      range.hours.add(Math.floor(p.ts / HOUR_MS) * HOUR_MS);
    }
    const done = new Promise<void>((resolve) => b.waiters.push({ resolve }));
    this.kick();
    return done;
  }

  private kick(): void {
    if (this.flushing || this.pending === 0) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    // Let the messages that arrived in this tick join the batch.
    await new Promise((r) => setImmediate(r));
    const batch = this.current;
    this.current = newBatch();
    let delay = 100;
    for (;;) {
      try {
        await this.persist(batch);
        break;
      } catch (err) {
        this.failures += 1;
        if (this.stopped) throw err;
        this.logger.warn({ err: (err as Error).message, points: batch.columns.seriesIds.length, retryInMs: delay }, 'telemetry write failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
    for (const w of batch.waiters) w.resolve();
  }

  private async persist(batch: Batch): Promise<void> {
    const newDays = [...batch.days].filter((d) => !this.knownDays.has(d));
    if (newDays.length) {
      await ensurePartitions(this.db, newDays.map((d) => new Date(d * DAY_MS).toISOString().slice(0, 10)));
      for (const d of newDays) this.knownDays.add(d);
    }
    const n = batch.columns.seriesIds.length;
    let inserted = 0;
    for (let i = 0; i < n; i += this.maxBatchPoints) {
      inserted += await insertTelemetry(this.db, slice(batch.columns, i, i + this.maxBatchPoints));
    }
    if (batch.latest.size) {
      const latest = emptyColumns();
      for (const p of batch.latest.values()) {
        latest.seriesIds.push(p.seriesId);
        latest.ts.push(p.ts);
        latest.values.push(p.value);
        latest.texts.push(p.text);
        latest.qualities.push(p.quality);
      }
      await upsertLatest(this.db, latest);
    }
    if (this.onPersisted) {
      for (const [kind, range] of Object.entries(batch.covered)) {
        await this.onPersisted({
          minTs: range.minTs,
          maxTs: range.maxTs,
          historical: kind === 'historical',
          seriesIds: [...range.seriesIds],
          hours: [...range.hours].sort((a, b) => a - b),
        });
      }
    }
    this.stored += inserted;
    this.duplicates += n - inserted;
  }

  /** Waits for everything buffered to be written. */
  async drain(): Promise<void> {
    while (this.flushing || this.pending > 0) {
      this.kick();
      await this.flushing;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.drain().catch(() => {});
  }
}

function slice(c: PointColumns, from: number, to: number): PointColumns {
  if (from === 0 && to >= c.seriesIds.length) return c;
  return {
    seriesIds: c.seriesIds.slice(from, to),
    ts: c.ts.slice(from, to),
    values: c.values.slice(from, to),
    texts: c.texts.slice(from, to),
    qualities: c.qualities.slice(from, to),
  };
}
