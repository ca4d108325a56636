import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import type { RecordsModule } from '../records/index.js';
import { registerBillingMoneyRoutes } from './billing-money.routes.js';
import { registerBillRunRoutes } from './bill-run.routes.js';
import { BillRunService } from './bill-run.service.js';
import { registerFeeRoutes } from './fees.routes.js';
import { FeeScheduleService } from './fees.service.js';
import { registerMeterRoutes } from './meters.routes.js';
import { MeterService } from './meters.service.js';
import { BillingQueries } from './bills-query.js';
import { LateFeeService, type LateFeeSweep } from './late-fees.service.js';
import { LedgerService } from './ledger.service.js';
import { PaymentService } from './payments.service.js';
import { ReceiptService } from './receipts.service.js';
import { ArrearsService, type SweepResult } from './arrears.service.js';
import { registerArrearsRoutes } from './billing-arrears.routes.js';
import { registerBillingReportRoutes } from './billing-reports.routes.js';
import { createMailer, type Mailer } from './mailer.js';
import { NoticeService } from './notices.service.js';
import { ReportService } from './reports.service.js';
import { createSmsProvider, type SmsProvider } from './sms.js';

/** Who works with money: the office (clerks), their managers, and admins. */
export const billingStaffRoles = ['admin', 'manager', 'clerk'] as const;

const LATE_FEE_SWEEP_MS = 60 * 60_000;
/** The arrears sweep runs hourly: a rung comes due within an hour of its day. */
const ARREARS_SWEEP_MS = 60 * 60_000;

export interface BillingOptions {
  /** This hub's id, stored with bill runs it makes. */
  hubId: string;
  /** Billing e-mail: SMTP_URL (absent: notices are recorded as failed, "not configured") and MAIL_FROM. */
  smtpUrl?: string;
  mailFrom?: string;
  /** SMS_PROVIDER: a name registered in sms.ts (default "log"). */
  smsProvider?: string;
  /** BILLING_MANAGER_EMAILS: where arrears warnings go, besides managers' staff e-mails. */
  managerEmails?: string[];
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
  ) {
    this.queries = new BillingQueries(db);
    this.ledger = new LedgerService(db);
    this.receipts = new ReceiptService(db, bus, this.queries);
    this.payments = new PaymentService(db, bus, this.queries);
    this.lateFees = new LateFeeService(db, logger);
    this.fees = new FeeScheduleService(db);
    this.meters = new MeterService(db);
    this.billRuns = new BillRunService(db, bus, logger, options.hubId);
    this.mailer = createMailer({ smtpUrl: options.smtpUrl, from: options.mailFrom ?? 'Warden <billing@warden.local>' });
    this.sms = createSmsProvider(options.smsProvider ?? 'log', logger);
    this.notices = new NoticeService(db, records, this.mailer, this.sms, logger);
    this.arrears = new ArrearsService(db, bus, this.notices, this.mailer, logger, { managerEmails: options.managerEmails ?? [] });
    this.reports = new ReportService(db, this.arrears);
  }

  /** Bills, payments and receipts as each user may see them. */
  readonly queries: BillingQueries;
  /** Unit accounts: balance, credit, entries. */
  readonly ledger: LedgerService;
  /** Receipt PDFs and voids. */
  readonly receipts: ReceiptService;
  /** Payment registration and refunds. */
  readonly payments: PaymentService;
  readonly lateFees: LateFeeService;
  /** Fee items, rates, unit charges. */
  readonly fees: FeeScheduleService;
  /** Meters and their checked period readings. */
  readonly meters: MeterService;
  /** Bill runs and their previews. */
  readonly billRuns: BillRunService;
  /** Billing e-mail (SMTP_URL); alarm escalations go out through it too. */
  readonly mailer: Mailer;
  /** The SMS gateway (SMS_PROVIDER), shared with alarm escalations. */
  readonly sms: SmsProvider;
  /** Bill notices by e-mail and SMS. */
  readonly notices: NoticeService;
  /** Ageing, the escalation ladder, arrears warnings. */
  readonly arrears: ArrearsService;
  /** Collection, ageing, income and utility reports. */
  readonly reports: ReportService;
  private arrearsTimer: NodeJS.Timeout | undefined;
  private arrearsSweep: Promise<SweepResult> | undefined;
  private lateFeeTimer: NodeJS.Timeout | undefined;
  private lateFeeSweep: Promise<LateFeeSweep> | undefined;

  /**
   * Posts the late fees due by `now` (the hourly sweep; tests call it with a date). One
   * sweep at a time on this hub; several hubs may sweep at once (posting is idempotent).
   */
  async sweepLateFees(now: Date = new Date()): Promise<LateFeeSweep> {
    while (this.lateFeeSweep) await this.lateFeeSweep.catch(() => {});
    const sweep = this.lateFees.sweep(now);
    this.lateFeeSweep = sweep;
    try {
      return await sweep;
    } finally {
      if (this.lateFeeSweep === sweep) this.lateFeeSweep = undefined;
    }
  }

  async start(): Promise<void> {
    // Hourly: a day's late fee is posted within an hour of the day starting; a hub that was down catches up.
    this.lateFeeTimer = setInterval(() => {
      this.sweepLateFees().catch((err: Error) => this.logger.warn({ err: err.message }, 'late-fee sweep failed'));
    }, LATE_FEE_SWEEP_MS);
    this.lateFeeTimer.unref();
    // Hourly; sweeps on several hubs queue behind one lock, so nothing is taken or sent twice.
    this.arrearsTimer = setInterval(() => {
      if (this.arrearsSweep) return;
      this.arrearsSweep = this.arrears.sweep().finally(() => (this.arrearsSweep = undefined));
      this.arrearsSweep.catch((err: Error) => this.logger.warn({ err: err.message }, 'arrears sweep failed'));
    }, ARREARS_SWEEP_MS);
    this.arrearsTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.lateFeeTimer);
    await this.lateFeeSweep?.catch(() => {});
    clearInterval(this.arrearsTimer);
    await this.arrearsSweep?.catch(() => {});
    this.mailer.close();
  }
}

export function registerBillingRoutes(app: FastifyInstance, billing: BillingModule): void {
  registerBillingMoneyRoutes(app, billing);
  registerFeeRoutes(app, billing.fees);
  registerMeterRoutes(app, billing.meters);
  registerBillRunRoutes(app, billing.billRuns);
  registerArrearsRoutes(app, billing);
  registerBillingReportRoutes(app, billing.reports);
}
