import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import type { RecordsModule } from '../records/index.js';

/** Who works with money: the office (clerks), their managers, and admins. */
export const billingStaffRoles = ['admin', 'manager', 'clerk'] as const;

export interface BillingOptions {
  /** This hub's id, stored with bill runs it makes. */
  hubId: string;
}

/**
 * The property office's money: fee schedule, meters and readings, bill runs, the
 * ledger, payments and receipts, notices, arrears. Each part is a service of its own
 * (see README.md); this module builds them in dependency order and owns their sweeps.
 */
export class BillingModule {
  constructor(
    readonly db: Database,
    readonly bus: EventBus,
    readonly logger: Logger,
    readonly records: RecordsModule,
    readonly options: BillingOptions,
  ) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}

export function registerBillingRoutes(app: FastifyInstance, billing: BillingModule): void {
  void app;
  void billing;
}
