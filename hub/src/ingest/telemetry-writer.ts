import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { copyTelemetry, emptyColumns, ensurePartitions, upsertLatest, type PointColumns } from './telemetry.repository.js';

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
/** Statements in flight at once: the database server uses a core per connection. */
const MAX_CONCURRENT_FLUSHES = 2;
const LATEST_INTERVAL_MS = 500;

/**
 * Group commit for telemetry: points from many messages are written in one
 * statement. A write starts as soon as a flush slot is free, so under load
 * batches grow by themselves (up to `maxBatchPoints`; a fuller batch is sealed and
 * queued) and when idle nothing waits. `write()` resolves only when the points
 * are durable: the caller acknowledges the MQTT message then, so a hub that dies
 * mid-write gets the message redelivered. A failed write (database restarting,
 * connection cut) is retried with back-off, never dropped; the primary key makes
 * a retried or concurrent duplicate a no-op.
 */
export class TelemetryWriter {
  /** Sealed batches waiting for a flush slot, oldest first; `open` takes new points. */
  private readonly sealed: Batch[] = [];
  private open = newBatch();
  private flushes = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];
  private roomWaiters: { points: number; admit: () => void }[] = [];
  private reserved = 0;
  private readonly knownDays = new Set<number>();
  private stopped = false;
  /**
   * Latest live value per series, waiting to be written to latest_values. Under
   * load it is written at most every LATEST_INTERVAL_MS, one row per series however
   * many points arrived, instead of with every batch; when ingest is idle at once.
   * It is derived data: a crash loses only the last moments' latest values, which
   * the next readings restore.
   */
  private latest = new Map<number, StoredPoint>();
  private latestWriting: Promise<void> | undefined;
  private latestTimer: NodeJS.Timeout | undefined;
  private lastLatestWrite = 0;
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
    private readonly maxPendingPoints = 3 * maxBatchPoints,
  ) {}

  /** Points buffered and not yet durable. */
  get pending(): number {
    return this.open.columns.seriesIds.length + this.sealed.reduce((n, b) => n + b.columns.seriesIds.length, 0);
  }

  /**
   * Resolves when fewer than `maxPendingPoints` wait to be written: ingest awaits
   * it before it even parses a message, so when the database falls behind the hub
   * stops reading (the broker holds the PUBACK, the agent's disk queue grows)
   * instead of buffering without bound.
   */
  async room(estimatedPoints: number): Promise<() => void> {
    // Reserved until the message's points are written or it is rejected: messages parsed side by side count too.
    if (this.pending + this.reserved >= this.maxPendingPoints) {
      await new Promise<void>((resolve) => this.roomWaiters.push({ points: estimatedPoints, admit: resolve }));
    } else {
      this.reserved += estimatedPoints;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved -= estimatedPoints;
      this.releaseRoom();
    };
  }

  write(points: StoredPoint[]): Promise<void> {
    if (this.open.columns.seriesIds.length + points.length > this.maxBatchPoints && this.open.columns.seriesIds.length > 0) {
      this.sealed.push(this.open);
      this.open = newBatch();
    }
    const b = this.open;
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
    this.schedule();
    return done;
  }

  /** Starts flushes on the next turn of the event loop, so the messages arriving in this one join the batch. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startFlushes();
    });
  }

  private startFlushes(): void {
    while (this.flushes < MAX_CONCURRENT_FLUSHES) {
      let batch = this.sealed.shift();
      if (!batch && this.open.columns.seriesIds.length) {
        batch = this.open;
        this.open = newBatch();
      }
      if (!batch) break;
      this.flushes += 1;
      this.releaseRoom();
      void this.flush(batch).finally(() => {
        this.flushes -= 1;
        this.startFlushes();
      });
    }
    if (this.flushes === 0 && this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  private releaseRoom(): void {
    while (this.roomWaiters.length && this.pending + this.reserved < this.maxPendingPoints) {
      const waiter = this.roomWaiters.shift()!;
      this.reserved += waiter.points;
      waiter.admit();
    }
  }

  private async flush(batch: Batch): Promise<void> {
    let delay = 100;
    for (;;) {
      try {
        await this.persist(batch);
        break;
      } catch (err) {
        this.failures += 1;
        if (this.stopped) return;
        this.logger.warn({ err: (err as Error).message, points: batch.columns.seriesIds.length, retryInMs: delay }, 'telemetry write failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
    for (const w of batch.waiters) w.resolve();
    this.noteLatest(batch.latest);
  }

  private noteLatest(values: Map<number, StoredPoint>): void {
    for (const [seriesId, p] of values) {
      const prev = this.latest.get(seriesId);
      if (!prev || prev.ts <= p.ts) this.latest.set(seriesId, p);
    }
    if (!this.latest.size || this.latestWriting || this.latestTimer) return;
    const wait = this.lastLatestWrite + LATEST_INTERVAL_MS - Date.now();
    if (wait <= 0 || (this.flushes <= 1 && this.pending === 0)) return void this.writeLatest();
    this.latestTimer = setTimeout(() => {
      this.latestTimer = undefined;
      void this.writeLatest();
    }, wait);
  }

  private writeLatest(): Promise<void> {
    if (this.latestWriting || !this.latest.size) return this.latestWriting ?? Promise.resolve();
    const values = this.latest;
    this.latest = new Map();
    this.lastLatestWrite = Date.now();
    const columns = emptyColumns();
    // In series order, so that two hubs upserting overlapping rows lock them in the same order.
    for (const p of [...values.values()].sort((a, b) => a.seriesId - b.seriesId)) {
      columns.seriesIds.push(p.seriesId);
      columns.ts.push(p.ts);
      columns.values.push(p.value);
      columns.texts.push(p.text);
      columns.qualities.push(p.quality);
    }
    this.latestWriting = upsertLatest(this.db, columns)
      .catch((err: Error) => {
        this.logger.warn({ err: err.message, series: values.size }, 'could not write latest values; retrying with the next ones');
        this.noteLatest(values);
      })
      .finally(() => {
        this.latestWriting = undefined;
        if (this.latest.size && !this.stopped) this.noteLatest(new Map());
      });
    return this.latestWriting;
  }

  private async persist(batch: Batch): Promise<void> {
    const newDays = [...batch.days].filter((d) => !this.knownDays.has(d));
    if (newDays.length) {
      await ensurePartitions(this.db, newDays.map((d) => new Date(d * DAY_MS).toISOString().slice(0, 10)));
      for (const d of newDays) this.knownDays.add(d);
    }
    const n = batch.columns.seriesIds.length;
    const inserted = await copyTelemetry(this.db, batch.columns);
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
    if (this.flushes > 0 || this.pending > 0) {
      const done = new Promise<void>((resolve) => this.idle.push(resolve));
      this.schedule();
      await done;
    }
    clearTimeout(this.latestTimer);
    this.latestTimer = undefined;
    await this.latestWriting;
    await this.writeLatest();
  }

  async stop(): Promise<void> {
    // From now on a failing write is tried once more and then given up: its messages stay
    // unacknowledged, and the broker or the agent's queue delivers them again.
    this.stopped = true;
    await this.drain();
  }
}
