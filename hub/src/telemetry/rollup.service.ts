import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { PersistedTelemetry } from '../ingest/index.js';
import { claimDirty, recordDirty, rollUpHours, rollUpMinutes, setWatermark, type DirtyRange } from './rollup.repository.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Arbitrary constant shared by every hub: the key of the rollup job's advisory lock. */
export const ROLLUP_LOCK_KEY = 7_311_420_002;
/** A batch touching more series than this is recorded as "every series" (keeps dirty rows small). */
const MAX_DIRTY_SERIES = 2_000;

export interface RollupOptions {
  /** How often the job runs; live buckets lag raw data by at most about this. */
  intervalMs: number;
  /** Dirty ranges claimed per transaction. */
  claimLimit: number;
  /** Hours recomputed per transaction: bounds how long one transaction holds the (PGlite: only) connection. */
  hoursPerTransaction: number;
}

export const defaultRollupOptions: RollupOptions = { intervalMs: 15_000, claimLimit: 1_000, hoursPerTransaction: 48 };

export interface RollupRun {
  /** False when another hub held the job's lock (nothing was done). */
  ran: boolean;
  /** Dirty ranges taken from the queue. */
  ranges: number;
  /** (hour, series set) groups recomputed. */
  hours: number;
}

/** The part of one clock hour a set of dirty ranges covers, with the series concerned. */
interface HourGroup {
  hour: number;
  /** Minute-aligned [from, to) within the hour, epoch ms. */
  from: number;
  to: number;
  /** null: every series. */
  series: Set<number> | null;
  historical: boolean;
}

/**
 * Keeps telemetry_1m and telemetry_1h exact on plain PostgreSQL/PGlite (on
 * TimescaleDB the continuous aggregates do it and this does nothing).
 *
 * Every stored batch records the time range it covered (ingest's persisted hook,
 * before the points are acknowledged). Every `intervalMs` one hub (advisory
 * lock) claims those ranges, recomputes the 1-minute buckets they touch from
 * raw and the hours around them from the minutes, and commits it all with the
 * claim: a hub dying mid-run loses nothing. Live data is therefore rolled up
 * within one interval, and a store-and-forward replay of any age gets exactly
 * the buckets it touched recomputed.
 */
export class RollupMaintainer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RollupRun> | undefined;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly options: RollupOptions = defaultRollupOptions,
  ) {}

  /** Whether this hub maintains rollups at all (the plain PostgreSQL storage path). */
  get active(): boolean {
    return this.db.storage === 'postgres';
  }

  /** TimescaleDB: the continuous aggregates keep themselves, but replays older than their policies' windows are refreshed by this job. */
  private get refreshes(): boolean {
    return this.db.storage === 'timescaledb';
  }

  async start(): Promise<void> {
    if (!this.active && !this.refreshes) return;
    this.stopped = false;
    this.timer = setInterval(() => this.runInBackground(), this.options.intervalMs);
    this.timer.unref();
    this.runInBackground();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  /** Queues a range for recomputation, e.g. after loading telemetry without going through ingest. */
  async markDirty(from: Date, to: Date, seriesIds: number[] | null = null, historical = true): Promise<void> {
    if (!this.active) return;
    await recordDirty(this.db, [{ from, to, seriesIds, historical }]);
  }

  /**
   * Processes every queued range now (after a run already in progress on this
   * hub). Resolves with ran=false if another hub holds the job.
   */
  runOnce(): Promise<RollupRun> {
    if (!this.active && !this.refreshes) return Promise.resolve({ ran: false, ranges: 0, hours: 0 });
    const previous = this.running ?? Promise.resolve(undefined);
    const run = previous.catch(() => undefined).then(() => (this.active ? this.drainQueue() : this.refreshAggregates()));
    this.running = run;
    void run.finally(() => {
      if (this.running === run) this.running = undefined;
    }).catch(() => {});
    return run;
  }

  private runInBackground(): void {
    if (this.running || this.stopped) return;
    this.runOnce().then(
      (r) => {
        if (r.ranges) this.logger.debug(r, 'telemetry rollups updated');
      },
      (err: Error) => this.logger.warn({ err: err.message }, 'telemetry rollup run failed; the ranges stay queued for the next run'),
    );
  }

  /**
   * One dirty range per run of consecutive hours the batch touched: a device
   * with a wrong clock in a batch costs the hour it claims, not every hour
   * between it and the others.
   */
  /**
   * Ingest's hook after each stored batch, before its points are acknowledged:
   * queues the hours it touched for recomputation, as durably as the points.
   */
  async recordBatch(part: PersistedTelemetry): Promise<void> {
    // On TimescaleDB live points are the policies' business; only replays need the job.
    if (!this.active && !(this.refreshes && part.historical)) return;
    const seriesIds = part.seriesIds.length > MAX_DIRTY_SERIES ? null : part.seriesIds;
    const ranges: DirtyRange[] = [];
    for (let i = 0; i < part.hours.length; ) {
      let j = i;
      while (j + 1 < part.hours.length && part.hours[j + 1] === part.hours[j] + HOUR_MS) j++;
      ranges.push({
        from: new Date(Math.max(part.minTs, part.hours[i])),
        to: new Date(Math.min(part.maxTs, part.hours[j] + HOUR_MS - 1)),
        seriesIds,
        historical: part.historical,
      });
      i = j + 1;
    }
    await recordDirty(this.db, ranges);
  }

  /**
   * TimescaleDB: refreshes both continuous aggregates over the queued (replayed) ranges,
   * whole hours at a time (only buckets wholly inside a refresh window are refreshed), and
   * only then removes them from the queue: a hub dying midway leaves them for the next
   * run. `refresh_continuous_aggregate` may not run inside a transaction, so the job holds
   * a session advisory lock on its connection instead of a transaction one.
   */
  private async refreshAggregates(): Promise<RollupRun> {
    return this.db.withClient(async (client) => {
      const total: RollupRun = { ran: false, ranges: 0, hours: 0 };
      const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [ROLLUP_LOCK_KEY]);
      if (!lock.rows[0].ok) return total;
      total.ran = true;
      try {
        while (!this.stopped) {
          const { rows } = await client.query<{ id: string; from_ts: Date; to_ts: Date }>('SELECT id, from_ts, to_ts FROM telemetry_rollup_dirty ORDER BY id LIMIT $1', [this.options.claimLimit]);
          if (!rows.length) break;
          for (const w of refreshWindows(rows.map((r) => ({ from: r.from_ts, to: r.to_ts })))) {
            for (const view of ['telemetry_1m', 'telemetry_1h']) {
              await client.query(`CALL refresh_continuous_aggregate('${view}', $1::timestamptz, $2::timestamptz)`, [new Date(w.from), new Date(w.to)]);
            }
            total.hours += (w.to - w.from) / HOUR_MS;
          }
          await client.query('DELETE FROM telemetry_rollup_dirty WHERE id = ANY ($1::bigint[])', [rows.map((r) => r.id)]);
          total.ranges += rows.length;
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [ROLLUP_LOCK_KEY]);
      }
      return total;
    });
  }

  private async drainQueue(): Promise<RollupRun> {
    const total: RollupRun = { ran: false, ranges: 0, hours: 0 };
    for (;;) {
      const round = await this.db.transaction(async (client) => {
        const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [ROLLUP_LOCK_KEY]);
        if (!lock.rows[0].ok) return undefined;
        // An hour of every series is sorted in one go; the default 4 MB would spill it to disk.
        await client.query(`SET LOCAL work_mem = '64MB'`);
        // Everything committed before this instant is claimed below (unless over the limit).
        const { rows } = await client.query<{ at: Date }>('SELECT clock_timestamp() AS at');
        const claimed = await claimDirty(client, this.options.claimLimit);
        const groups = hourGroups(claimed);
        // Newest first: the live edge matters most; older hours may wait for the next transaction.
        const now = groups.slice(0, this.options.hoursPerTransaction);
        const later = groups.slice(this.options.hoursPerTransaction);
        for (const g of now) {
          const series = g.series ? [...g.series] : null;
          const changed = await rollUpMinutes(client, new Date(g.from), new Date(g.to), series);
          await rollUpHours(client, new Date(g.hour), new Date(g.hour + HOUR_MS), changed);
        }
        await recordDirty(
          client,
          later.map((g) => ({ from: new Date(g.from), to: new Date(g.to - 1), seriesIds: g.series ? [...g.series] : null, historical: g.historical })),
        );
        const drained = claimed.length < this.options.claimLimit && later.length === 0;
        if (drained) await setWatermark(client, rows[0].at);
        return { ranges: claimed.length, hours: now.length, drained };
      });
      if (!round) return total;
      total.ran = true;
      total.ranges += round.ranges;
      total.hours += round.hours;
      if (round.drained || this.stopped) return total;
    }
  }
}

/**
 * Splits dirty ranges into clock hours, merging what falls in the same hour:
 * one recomputation per hour however many batches touched it, and a long replay
 * never merges with unrelated series beyond the hour it shares with them.
 */
export function hourGroups(ranges: DirtyRange[]): HourGroup[] {
  const byHour = new Map<number, HourGroup>();
  for (const r of ranges) {
    const from = Math.floor(r.from.getTime() / MINUTE_MS) * MINUTE_MS;
    const to = Math.floor(r.to.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    for (let hour = Math.floor(from / HOUR_MS) * HOUR_MS; hour < to; hour += HOUR_MS) {
      const part = { from: Math.max(from, hour), to: Math.min(to, hour + HOUR_MS) };
      const g = byHour.get(hour);
      if (!g) {
        byHour.set(hour, { hour, ...part, series: r.seriesIds ? new Set(r.seriesIds) : null, historical: r.historical });
        continue;
      }
      g.from = Math.min(g.from, part.from);
      g.to = Math.max(g.to, part.to);
      g.historical &&= r.historical;
      if (!r.seriesIds) g.series = null;
      else if (g.series) {
        for (const s of r.seriesIds) g.series.add(s);
        if (g.series.size > MAX_DIRTY_SERIES) g.series = null;
      }
    }
  }
  return [...byHour.values()].sort((a, b) => b.hour - a.hour);
}

/**
 * The whole clock hours [from, to) (epoch ms) covering the given ranges (`to` inclusive),
 * overlapping and adjacent ones merged, oldest first: one refresh per stretch of replay.
 */
export function refreshWindows(ranges: { from: Date; to: Date }[]): { from: number; to: number }[] {
  const hours = ranges
    .map((r) => ({ from: Math.floor(r.from.getTime() / HOUR_MS) * HOUR_MS, to: Math.floor(r.to.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS }))
    .sort((a, b) => a.from - b.from);
  const merged: { from: number; to: number }[] = [];
  for (const h of hours) {
    const last = merged.at(-1);
    if (last && h.from <= last.to) last.to = Math.max(last.to, h.to);
    else merged.push({ ...h });
  }
  return merged;
}
