import type pg from 'pg';
import type { Logger } from 'pino';
import { inTransaction, type Database } from '../db/database.js';
import {
  applyTimescaleRetention,
  deleteOldDefaultRows,
  deleteOldRollups,
  dropDayPartitions,
  ensureDayPartitions,
  type TimescaleRelation,
} from './retention.repository.js';

const DAY_MS = 86_400_000;
/** Arbitrary constant shared by every hub: the key of the retention job's advisory lock. */
export const RETENTION_LOCK_KEY = 7_311_420_003;

export interface RetentionOptions {
  /** TELEMETRY_RETENTION_DAYS: raw telemetry. */
  retentionDays: number;
  /** TELEMETRY_ROLLUP_RETENTION_DAYS: the 1-minute and 1-hour rollups. */
  rollupRetentionDays: number;
  intervalMs: number;
  /** Day partitions created ahead of today, so writes never wait for DDL at midnight. */
  daysAhead: number;
}

export interface RetentionRun {
  /** False when another hub was doing it. */
  ran: boolean;
  droppedPartitions: string[];
  deletedRows: number;
}

/**
 * Storage upkeep. Plain PostgreSQL: creates day partitions ahead, drops those
 * past TELEMETRY_RETENTION_DAYS (whole days: data is kept up to a day longer,
 * never shorter), deletes expired strays in telemetry_default and rollups past
 * TELEMETRY_ROLLUP_RETENTION_DAYS; one hub at a time (advisory lock).
 * TimescaleDB: sets the retention policies once at start-up and lets
 * TimescaleDB's scheduler apply them.
 */
export class TelemetryRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly options: RetentionOptions,
  ) {}

  async start(): Promise<void> {
    // In the background: a large first clean-up must not hold up the hub's start.
    if (this.db.storage === 'timescaledb') {
      this.track(this.applyTimescalePolicies());
      return;
    }
    this.runOnce().catch(() => {}); // logged by track()
    this.timer = setInterval(() => {
      if (!this.running) this.runOnce().catch(() => {});
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass of the plain-PostgreSQL upkeep (a no-op on TimescaleDB), after any pass already running on this hub. */
  runOnce(now = new Date()): Promise<RetentionRun> {
    const run = (this.running ?? Promise.resolve()).then(() => this.pass(now));
    this.track(run);
    return run;
  }

  private async pass(now: Date): Promise<RetentionRun> {
    if (this.db.storage !== 'postgres') return { ran: false, droppedPartitions: [], deletedRows: 0 };
    return this.db.withClient(async (client) => {
      const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RETENTION_LOCK_KEY]);
      if (!lock.rows[0].ok) return { ran: false, droppedPartitions: [], deletedRows: 0 };
      try {
        const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
        const ahead = Array.from({ length: this.options.daysAhead + 1 }, (_, i) => dayOf(today + i * DAY_MS));
        const rawCutoff = new Date(now.getTime() - this.options.retentionDays * DAY_MS);
        const droppedPartitions = await withLockTimeout(client, async () => {
          await ensureDayPartitions(client, ahead);
          // Partitions that end on or before the cutoff's midnight hold nothing younger than the cutoff.
          return dropDayPartitions(client, dayOf(rawCutoff.getTime()));
        });
        let deletedRows = await deleteOldDefaultRows(client, rawCutoff);
        deletedRows += await deleteOldRollups(client, new Date(now.getTime() - this.options.rollupRetentionDays * DAY_MS));
        if (droppedPartitions.length || deletedRows) this.logger.info({ droppedPartitions, deletedRows }, 'expired telemetry removed');
        return { ran: true, droppedPartitions, deletedRows };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      }
    });
  }

  /** TimescaleDB: raw retention on the hypertable, rollup retention on both continuous aggregates. */
  async applyTimescalePolicies(): Promise<void> {
    const policies: [TimescaleRelation, number][] = [
      ['telemetry', this.options.retentionDays],
      ['telemetry_1m', this.options.rollupRetentionDays],
      ['telemetry_1h', this.options.rollupRetentionDays],
    ];
    await this.db.transaction(async (client) => {
      // Several hubs starting together take turns; the second finds everything in place.
      await client.query('SELECT pg_advisory_xact_lock($1)', [RETENTION_LOCK_KEY]);
      for (const [relation, days] of policies) {
        const change = await applyTimescaleRetention(client, relation, days);
        if (change !== 'unchanged') this.logger.info({ relation, days, change }, 'TimescaleDB retention policy set');
      }
    });
  }

  private track(job: Promise<unknown>): void {
    const tracked = job
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'telemetry retention failed; retrying at the next interval'))
      .finally(() => {
        if (this.running === tracked) this.running = undefined;
      });
    this.running = tracked;
  }
}

/**
 * Creating and dropping partitions locks the whole telemetry table: give up
 * (and try again next interval) rather than stall ingest behind a long query.
 */
function withLockTimeout<T>(client: pg.PoolClient, fn: () => Promise<T>): Promise<T> {
  return inTransaction(client, async () => {
    await client.query(`SET LOCAL lock_timeout = '5s'`);
    return fn();
  });
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
