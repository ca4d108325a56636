export { BillingModule, billingStaffRoles, registerBillingRoutes, type BillingOptions } from './billing.module.js';
export * from './money.js';
export * from './period.js';
export { FeeScheduleService, type FeeItem, type FeeRate, type UnitCharge } from './fees.service.js';
export { MeterService, type Meter, type Reading } from './meters.service.js';
export { BillRunService, type BillRun, type BillDraft, type Preview } from './bill-run.service.js';
export { ArrearsService, DEFAULT_LADDER, DEFAULT_WARN_AGE_DAYS, DEFAULT_WARN_AMOUNT_FEN, type SweepResult } from './arrears.service.js';
export { NoticeService } from './notices.service.js';
export { ReportService } from './reports.service.js';
export { LogSmsProvider, registerSmsProvider, type SmsProvider } from './sms.js';
export {
  billStatus,
  billStatuses,
  billStatusSql,
  ledgerEntries,
  LedgerService,
  lockUnitAccount,
  outstandingBills,
  unitBalance,
  unitBalances,
  type BillStatus,
  type LedgerEntryRow,
  type OutstandingBill,
  type UnitBalance,
  type UnitBalanceFilter,
} from './ledger.service.js';
export { PaymentService, paymentMethods, type PaymentInput, type PaymentMethod, type PaymentResult, type RefundInput } from './payments.service.js';
export { issueReceipt, ReceiptService } from './receipts.service.js';
export { chineseAmount, renderReceiptPdf } from './receipt-pdf.js';
export { LateFeeService, type LateFeeSweep } from './late-fees.service.js';
export { BillingQueries, type BillRow, type PaymentRow, type ReceiptRow } from './bills-query.js';
