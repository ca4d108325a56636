import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { copyTelemetry, createColumns, ensurePartitions, upsertLatest, type PointColumns } from './telemetry.repository.js';

/** What the writer takes of a decoded reading (a protocol Point). */
export interface PointInput {
  ts: number;
  value: number | boolean | string;
  quality?: 'good' | 'estimated' | 'bad';
}

const QUALITY = { good: 0, estimated: 1, bad: 2 } as const;

/** A series' latest live value, waiting to be written to latest_values. */
interface LatestValue {
  seriesId: number;
  ts: number;
  value: number;
  text: string | null;
  quality: number;
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
  /** Per series, the row of its newest live point. */
  latest: Map<number, number>;
  /** UTC days (epoch days) the points fall in: their partitions must exist. */
  days: Set<number>;
  /** What the live and the historical points covered, for the persisted hooks. */
  covered: { live?: CoveredRange; historical?: CoveredRange };
  waiters: { resolve: () => void }[];
}

const MAX_RETRY_DELAY_MS = 5_000;
/** Statements in flight at once: the database server uses a core per connection. */
const MAX_CONCURRENT_FLUSHES = 2;
const LATEST_INTERVAL_MS = 500;
/** Column sets kept for reuse: about as many as batches exist at once under load (open, sealed, flushing). */
const SPARE_COLUMNS = 6;

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
  private readonly spareColumns: PointColumns[] = [];
  private open: Batch;
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
  private latest = new Map<number, LatestValue>();
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
  ) {
    this.open = this.newBatch(0);
  }

  /** Points buffered and not yet durable. */
  get pending(): number {
    return this.open.columns.length + this.sealed.reduce((n, b) => n + b.columns.length, 0);
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

  /**
   * Buffers the points of one message (`series[i]` is where `points[i]` goes);
   * resolves once they are durable. Live points update latest_values, replayed
   * (historical) ones do not.
   */
  write(points: readonly PointInput[], series: readonly { seriesId: number }[], live: boolean): Promise<void> {
    const n = points.length;
    if (n === 0) return Promise.resolve();
    let b = this.open;
    if (b.columns.length + n > b.columns.seriesIds.length) {
      if (b.columns.length > 0) this.sealed.push(b);
      else this.recycle(b); // empty, and too small for this message
      b = this.open = this.newBatch(n);
    }
    const c = b.columns;
    const trackDays = this.db.storage === 'postgres';
    const range = (b.covered[live ? 'live' : 'historical'] ??= { minTs: points[0].ts, maxTs: points[0].ts, seriesIds: new Set(), hours: new Set() });
    for (let i = 0; i < n; i++) {
      const p = points[i];
      const seriesId = series[i].seriesId;
      const ts = p.ts;
      const v = p.value;
      const row = c.length++;
      c.seriesIds[row] = seriesId;
      c.ts[row] = ts;
      c.values[row] = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : Number.NaN;
      c.texts[row] = typeof v === 'string' ? v : null;
      c.qualities[row] = p.quality ? QUALITY[p.quality] : 0;
      if (trackDays) b.days.add(Math.floor(ts / DAY_MS));
      if (live) {
        const prev = b.latest.get(seriesId);
        if (prev === undefined || c.ts[prev] <= ts) b.latest.set(seriesId, row);
      }
      if (ts < range.minTs) range.minTs = ts;
      if (ts > range.maxTs) range.maxTs = ts;
      range.seriesIds.add(seriesId);
      range.hours.add(Math.floor(ts / HOUR_MS) * HOUR_MS);
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
      if (!batch && this.open.columns.length) {
        batch = this.open;
        this.open = this.newBatch(0);
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
        this.logger.warn({ err: (err as Error).message, points: batch.columns.length, retryInMs: delay }, 'telemetry write failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
    for (const w of batch.waiters) w.resolve();
    const c = batch.columns;
    const latest: LatestValue[] = [];
    for (const [seriesId, row] of batch.latest) latest.push({ seriesId, ts: c.ts[row], value: c.values[row], text: c.texts[row], quality: c.qualities[row] });
    this.recycle(batch);
    this.noteLatest(latest);
  }

  /** A batch whose columns can hold `rows` points: reused ones when they are big enough. */
  private newBatch(rows: number): Batch {
    const columns = rows <= this.maxBatchPoints ? this.spareColumns.pop() ?? createColumns(this.maxBatchPoints) : createColumns(rows);
    return { columns, latest: new Map(), days: new Set(), covered: {}, waiters: [] };
  }

  private recycle(batch: Batch): void {
    const c = batch.columns;
    if (c.seriesIds.length !== this.maxBatchPoints || this.spareColumns.length >= SPARE_COLUMNS) return;
    c.length = 0;
    this.spareColumns.push(c);
  }

  private noteLatest(values: Iterable<LatestValue>): void {
    for (const p of values) {
      const prev = this.latest.get(p.seriesId);
      if (!prev || prev.ts <= p.ts) this.latest.set(p.seriesId, p);
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
    const columns = createColumns(values.size);
    // In series order, so that two hubs upserting overlapping rows lock them in the same order.
    for (const p of [...values.values()].sort((a, b) => a.seriesId - b.seriesId)) {
      const row = columns.length++;
      columns.seriesIds[row] = p.seriesId;
      columns.ts[row] = p.ts;
      columns.values[row] = p.value;
      columns.texts[row] = p.text;
      columns.qualities[row] = p.quality;
    }
    this.latestWriting = upsertLatest(this.db, columns)
      .catch((err: Error) => {
        this.logger.warn({ err: err.message, series: values.size }, 'could not write latest values; retrying with the next ones');
        this.noteLatest(values.values());
      })
      .finally(() => {
        this.latestWriting = undefined;
        if (this.latest.size && !this.stopped) this.noteLatest([]);
      });
    return this.latestWriting;
  }

  private async persist(batch: Batch): Promise<void> {
    const newDays = [...batch.days].filter((d) => !this.knownDays.has(d));
    if (newDays.length) {
      await ensurePartitions(this.db, newDays.map((d) => new Date(d * DAY_MS).toISOString().slice(0, 10)));
      for (const d of newDays) this.knownDays.add(d);
    }
    const n = batch.columns.length;
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
