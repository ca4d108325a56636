import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { HistoryService } from './history.service.js';
import { TelemetryRetention } from './retention.service.js';
import { defaultRollupOptions, RollupMaintainer } from './rollup.service.js';

export interface TelemetryModuleOptions {
  /** TELEMETRY_RETENTION_DAYS */
  retentionDays: number;
  /** TELEMETRY_ROLLUP_RETENTION_DAYS */
  rollupRetentionDays: number;
}

/** History longer than this is asked in several requests (a year and a month covers year-on-year charts). */
const MAX_RANGE_DAYS = 400;
const RETENTION_INTERVAL_MS = 3_600_000;
const PARTITION_DAYS_AHEAD = 3;

/**
 * Telemetry history and storage upkeep: the rollup job and retention (plain
 * PostgreSQL; on TimescaleDB its own policies do the work) and the history
 * queries behind the charts. Start it before ingest, so no stored batch misses
 * the rollup hook.
 */
export class TelemetryModule {
  readonly rollups: RollupMaintainer;
  readonly retention: TelemetryRetention;
  readonly history: HistoryService;

  constructor(db: Database, logger: Logger, options: TelemetryModuleOptions) {
    this.rollups = new RollupMaintainer(db, logger.child({ part: 'rollups' }), defaultRollupOptions);
    this.retention = new TelemetryRetention(db, logger.child({ part: 'retention' }), {
      retentionDays: options.retentionDays,
      rollupRetentionDays: options.rollupRetentionDays,
      intervalMs: RETENTION_INTERVAL_MS,
      daysAhead: PARTITION_DAYS_AHEAD,
    });
    this.history = new HistoryService(db, { retentionDays: options.retentionDays, maxRangeDays: MAX_RANGE_DAYS });
  }

  async start(): Promise<void> {
    await this.rollups.start();
    await this.retention.start();
  }

  async stop(): Promise<void> {
    await this.retention.stop();
    await this.rollups.stop();
  }
}
