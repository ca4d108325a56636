import { apiGet, apiPost, buildUrl, type QueryValue } from '../api/client.ts';
import { readToken } from '../auth/session-store.ts';

/**
 * The billing slice of the hub's API (hub/src/billing/README.md), with the shapes the
 * pages use. Amounts are integer fen in fields named `…Fen`; meter values are exact
 * decimal strings; periods are 'YYYY-MM'; dates 'YYYY-MM-DD'.
 */

export const billStatuses = ['open', 'partial', 'paid', 'void'] as const;
export type BillStatus = (typeof billStatuses)[number];

export const paymentMethods = ['cash', 'bank_transfer', 'wechat', 'alipay', 'card', 'other'] as const;
export type PaymentMethod = (typeof paymentMethods)[number];
/** What an owner may record themselves: money that left their own account. */
export const ownerPaymentMethods = ['wechat', 'alipay', 'bank_transfer'] as const satisfies readonly PaymentMethod[];

export const readingStatuses = ['ok', 'flagged', 'confirmed', 'corrected'] as const;
export type ReadingStatus = (typeof readingStatuses)[number];
export const readingFlags = ['rollover', 'replaced', 'missing', 'estimated', 'negative', 'implausible'] as const;

export const arrearsActionKinds = ['reminder', 'call', 'visit', 'lawyer_letter'] as const;
export type ArrearsActionKind = (typeof arrearsActionKinds)[number];
export const ageingBuckets = ['0-30', '31-90', '91-180', '180+'] as const;
export type AgeingBucket = (typeof ageingBuckets)[number];

export interface Reading {
  id: number;
  meterId: number;
  unitId: number | null;
  unitNumber: string | null;
  kind: 'water' | 'electricity';
  period: string;
  startValue: string | null;
  endValue: string | null;
  consumption: string | null;
  usual: string | null;
  source: 'telemetry' | 'estimated' | 'manual';
  flags: string[];
  status: ReadingStatus;
  resolvedBy: string | null;
}

export interface ReadingCheck {
  checked: number;
  ok: number;
  flagged: number;
  readings: Reading[];
}

export interface BillDraftLine {
  description: string;
  amountFen: number;
}

export interface BillDraft {
  unitId: number;
  unitNumber: string;
  buildingId: string;
  totalFen: number;
  lines: BillDraftLine[];
}

export interface RunPreview {
  period: string;
  units: number;
  /** Bills the run would make; `bills` holds the first 200 of them. */
  billCount: number;
  bills: BillDraft[];
  totalFen: number;
  blocked: { unitId: number; reason: string }[];
  existing: number;
  unitsSkipped: number;
}

export interface BillRun {
  id: number;
  period: string;
  buildingId: string | null;
  status: 'running' | 'done' | 'failed';
  billsCreated: number;
  billsExisting: number;
  unitsSkipped: number;
  totalFen: number;
  startedAt: string;
  finishedAt: string | null;
  startedBy: string;
  error: string | null;
}

export interface BillLine {
  id: number;
  lineNo: number;
  description: string;
  quantity: string;
  unitPriceFen: string;
  amountFen: number;
}

export interface Bill {
  id: number;
  number: string;
  unitId: number;
  unitNumber: string;
  buildingId: string;
  ownerId: number | null;
  ownerName: string | null;
  period: string;
  issuedOn: string;
  dueOn: string;
  totalFen: number;
  paidFen: number;
  lateFeesFen: number;
  outstandingFen: number;
  status: BillStatus;
  voidReason: string | null;
  lines?: BillLine[];
}

export interface LedgerEntry {
  id: number;
  kind: string;
  amountFen: number;
  at: string;
  memo: string | null;
  billId: number | null;
  paymentId: number | null;
  enteredBy: string;
}

export interface Payment {
  id: number;
  kind: 'payment' | 'refund';
  unitId: number;
  unitNumber: string;
  ownerId: number | null;
  amountFen: number;
  method: PaymentMethod;
  reference: string | null;
  paidAt: string;
  recordedBy: string;
  receipt: { id: number; number: string; voided: boolean } | null;
}

export interface Receipt {
  id: number;
  number: string;
  paymentId: number;
  unitId: number;
  unitNumber: string;
  buildingId: string;
  ownerName: string | null;
  amountFen: number;
  method: PaymentMethod;
  reference: string | null;
  paidAt: string;
  issuedAt: string;
  voidedAt: string | null;
  voidedBy: string | null;
  voidReason: string | null;
}

export interface PaymentResult {
  payment: Payment;
  /** Null only if the hub could not number a receipt (it always does for a payment). */
  receipt: { id: number; number: string } | null;
  allocations: { billId: number; amountFen: number }[];
  creditFen: number;
}

export interface UnitAccount {
  balanceFen: number;
  creditFen: number;
  entries: LedgerEntry[];
}

export interface ArrearsRow {
  unitId: number;
  unitNumber: string;
  buildingId: string;
  ownerId: number | null;
  ownerName: string | null;
  totalFen: number;
  buckets: Record<AgeingBucket, number>;
  /** Age of the oldest unpaid bill, in days past its due date. */
  ageDays: number;
  oldestDueOn: string;
  bills: { billId: number; number: string; period: string; dueOn: string; ageDays: number; outstandingFen: number }[];
}

export interface Arrears {
  asOf: string;
  buckets: Record<AgeingBucket, number>;
  units: ArrearsRow[];
}

export interface ArrearsAction {
  id: number;
  unitId: number;
  unitNumber: string;
  buildingId: string;
  billId: number;
  billNumber: string;
  /** What to do, in both languages, as the hub words it for notices. */
  summary: { 'zh-CN': string; en: string };
  step: number;
  action: ArrearsActionKind;
  status: 'due' | 'done';
  amountFen: number;
  ageDays: number;
  dueAt: string;
  doneAt: string | null;
  doneBy: string | null;
  outcome: string | null;
}

export interface ArrearsWarning {
  id: number;
  unitId: number;
  unitNumber: string;
  buildingId: string;
  reason: 'amount' | 'age' | 'amount_and_age' | (string & {});
  amountFen: number;
  ageDays: number;
  raisedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

/** A row of the collection report: per period and building. */
export interface CollectionRow {
  period: string;
  buildingId: string;
  bills: number;
  billedFen: number;
  lateFeesFen: number;
  collectedFen: number;
  outstandingFen: number;
  /** Collected ÷ (billed + late fees), in percent with 2 decimals, as text; null when nothing was due. */
  ratePct: string | null;
}

export const reportKinds = ['collection', 'ageing', 'income', 'utilities'] as const;
export type ReportKind = (typeof reportKinds)[number];

type Query = Record<string, QueryValue>;

// --- meters and bill runs ---

export function checkReadings(input: { period: string; buildingId?: string }): Promise<ReadingCheck> {
  return apiPost<ReadingCheck>('/api/billing/readings/check', input);
}

export async function listReadings(query: { period: string; building?: string; status?: ReadingStatus }, signal?: AbortSignal): Promise<Reading[]> {
  return (await apiGet<{ readings: Reading[] }>('/api/billing/readings', { query, signal })).readings;
}

export async function confirmReading(id: number, reason: string): Promise<Reading> {
  return (await apiPost<{ reading: Reading }>(`/api/billing/readings/${id}/confirm`, { reason })).reading;
}

export async function correctReading(id: number, input: { startValue?: string; endValue?: string; consumption?: string; reason: string }): Promise<Reading> {
  return (await apiPost<{ reading: Reading }>(`/api/billing/readings/${id}/correct`, input)).reading;
}

export function previewRun(input: { period: string; buildingId?: string }): Promise<RunPreview> {
  return apiPost<RunPreview>('/api/billing/runs/preview', input);
}

export async function startRun(input: { period: string; buildingId?: string }): Promise<BillRun> {
  return (await apiPost<{ run: BillRun }>('/api/billing/runs', input)).run;
}

export async function listRuns(signal?: AbortSignal): Promise<BillRun[]> {
  return (await apiGet<{ runs: BillRun[] }>('/api/billing/runs', { signal })).runs;
}

// --- bills, accounts, payments, receipts ---

export interface BillQuery {
  building?: string;
  unit?: number;
  owner?: number;
  period?: string;
  status?: BillStatus;
  limit?: number;
  offset?: number;
}

export function searchBills(query: BillQuery, signal?: AbortSignal): Promise<{ bills: Bill[]; total: number }> {
  return apiGet<{ bills: Bill[]; total: number }>('/api/billing/bills', { query: query as Query, signal });
}

export function fetchBill(id: number, signal?: AbortSignal): Promise<{ bill: Bill; entries: LedgerEntry[] }> {
  return apiGet<{ bill: Bill; entries: LedgerEntry[] }>(`/api/billing/bills/${id}`, { signal });
}

export function fetchUnitAccount(unitId: number, signal?: AbortSignal): Promise<UnitAccount> {
  return apiGet<UnitAccount>(`/api/billing/units/${unitId}/account`, { signal });
}

export interface PaymentInput {
  unitId: number;
  amountFen: number;
  method: PaymentMethod;
  reference?: string;
  note?: string;
  idempotencyKey: string;
}

export function recordPayment(input: PaymentInput): Promise<PaymentResult> {
  return apiPost<PaymentResult>('/api/billing/payments', input);
}

export async function listPayments(query: { building?: string; unit?: number; from?: string; to?: string; method?: PaymentMethod }, signal?: AbortSignal): Promise<Payment[]> {
  return (await apiGet<{ payments: Payment[] }>('/api/billing/payments', { query, signal })).payments;
}

export async function listReceipts(query: { building?: string; unit?: number; from?: string; to?: string }, signal?: AbortSignal): Promise<Receipt[]> {
  return (await apiGet<{ receipts: Receipt[] }>('/api/billing/receipts', { query, signal })).receipts;
}

export async function voidReceipt(id: number, reason: string): Promise<Receipt> {
  return (await apiPost<{ receipt: Receipt }>(`/api/billing/receipts/${id}/void`, { reason })).receipt;
}

// --- arrears ---

export function fetchArrears(query: { building?: string; bucket?: AgeingBucket }, signal?: AbortSignal): Promise<Arrears> {
  return apiGet<Arrears>('/api/billing/arrears', { query, signal });
}

export async function listArrearsActions(status: 'due' | 'done', signal?: AbortSignal): Promise<ArrearsAction[]> {
  return (await apiGet<{ actions: ArrearsAction[] }>('/api/billing/arrears/actions', { query: { status }, signal })).actions;
}

export function completeArrearsAction(id: number, outcome: string): Promise<unknown> {
  return apiPost(`/api/billing/arrears/actions/${id}/done`, { outcome });
}

export function logArrearsCall(input: { unitId: number; outcome: string; note?: string }): Promise<unknown> {
  return apiPost('/api/billing/arrears/calls', input);
}

export async function listArrearsWarnings(signal?: AbortSignal): Promise<ArrearsWarning[]> {
  return (await apiGet<{ warnings: ArrearsWarning[] }>('/api/billing/arrears/warnings', { query: { open: true }, signal })).warnings;
}

export function acknowledgeWarning(id: number): Promise<unknown> {
  return apiPost(`/api/billing/arrears/warnings/${id}/ack`, {});
}

// --- reports ---

export async function fetchCollectionReport(query: { from?: string; to?: string; building?: string }, signal?: AbortSignal): Promise<CollectionRow[]> {
  return (await apiGet<{ rows: CollectionRow[] }>('/api/billing/reports/collection', { query: { ...query, format: 'json' }, signal })).rows;
}

// --- files ---

/**
 * The address of a PDF or CSV for a plain link: a link cannot send the Authorization
 * header, so the session token rides in `?token=` (the hub reads it there too, as it
 * does for the live WebSocket and evidence images).
 */
export function fileUrl(path: string, query: Query = {}): string {
  return buildUrl(path, { ...query, token: readToken() ?? undefined });
}

export const receiptPdfUrl = (receiptId: number) => fileUrl(`/api/billing/receipts/${receiptId}/pdf`);
export const letterPdfUrl = (actionId: number) => fileUrl(`/api/billing/arrears/actions/${actionId}/letter.pdf`);
export const reportUrl = (kind: ReportKind, format: 'csv' | 'pdf', query: { from?: string; to?: string; building?: string }) => fileUrl(`/api/billing/reports/${kind}`, { ...query, format });
