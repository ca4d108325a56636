import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../auth/roles.js';
import { currentUser, withZod } from '../http/server.js';
import type { BillingQueries, BillLineRow, BillRow, PaymentRow, ReceiptRow } from './bills-query.js';
import { billStatuses, ledgerKinds, type LedgerEntryRow, type LedgerService } from './ledger.service.js';
import { paymentMethods, type PaymentService } from './payments.service.js';
import { periodSchema } from './period.js';
import type { ReceiptService } from './receipts.service.js';

/** The office's money roles (billingStaffRoles; repeated here, not imported, to keep billing.module.ts free of a cycle). */
const staff: readonly Role[] = ['admin', 'manager', 'clerk'];
/** Staff, and owners for what is theirs (the services narrow them). */
const staffAndOwners: readonly Role[] = [...staff, 'owner'];

const iso = (d: Date | null) => d?.toISOString() ?? null;
const id = z.object({ id: z.coerce.number().int().positive() });
const text = (max: number) => z.string().trim().min(1).max(max);
const fen = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const page = { limit: z.coerce.number().int().min(1).max(500).default(50), offset: z.coerce.number().int().min(0).default(0) };
const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const lineSchema = z.object({
  id: z.number(),
  lineNo: z.number(),
  feeItemId: z.number(),
  feeItemCode: z.string(),
  description: z.string(),
  quantity: z.string(),
  unitPriceFen: z.string(),
  amountFen: z.number(),
});
const toLine = (l: BillLineRow): z.infer<typeof lineSchema> => ({
  id: l.id,
  lineNo: l.line_no,
  feeItemId: l.fee_item_id,
  feeItemCode: l.fee_item_code,
  description: l.description,
  quantity: l.quantity,
  unitPriceFen: l.unit_price_fen,
  amountFen: l.amount_fen,
});

const billSchema = z.object({
  id: z.number(),
  number: z.string(),
  unitId: z.number(),
  unitNumber: z.string(),
  buildingId: z.string(),
  ownerId: z.number().nullable(),
  ownerName: z.string().nullable(),
  period: z.string(),
  issuedOn: z.string(),
  dueOn: z.string(),
  totalFen: z.number(),
  paidFen: z.number(),
  lateFeesFen: z.number(),
  outstandingFen: z.number(),
  status: z.enum(billStatuses),
  voidedAt: z.string().nullable(),
  voidReason: z.string().nullable(),
  lines: z.array(lineSchema).optional(),
});
const toBill = (b: BillRow, lines?: BillLineRow[]): z.infer<typeof billSchema> => ({
  id: b.id,
  number: b.number,
  unitId: b.unit_id,
  unitNumber: b.unit_number,
  buildingId: b.building_id,
  ownerId: b.owner_id,
  ownerName: b.owner_name,
  period: b.period,
  issuedOn: b.issued_on,
  dueOn: b.due_on,
  totalFen: b.total_fen,
  paidFen: b.paid_fen,
  lateFeesFen: b.late_fees_fen,
  outstandingFen: b.outstanding_fen,
  status: b.status,
  voidedAt: iso(b.voided_at),
  voidReason: b.void_reason,
  ...(lines ? { lines: lines.map(toLine) } : {}),
});

const entrySchema = z.object({
  id: z.number(),
  kind: z.enum(ledgerKinds),
  amountFen: z.number(),
  billId: z.number().nullable(),
  billLineId: z.number().nullable(),
  paymentId: z.number().nullable(),
  at: z.string(),
  enteredBy: z.string(),
  memo: z.string().nullable(),
  reversesId: z.number().nullable(),
  lateFeeOn: z.string().nullable(),
});
const toEntry = (e: LedgerEntryRow): z.infer<typeof entrySchema> => ({
  id: e.id,
  kind: e.kind,
  amountFen: e.amount_fen,
  billId: e.bill_id,
  billLineId: e.bill_line_id,
  paymentId: e.payment_id,
  at: e.at.toISOString(),
  enteredBy: e.entered_by,
  memo: e.memo,
  reversesId: e.reverses_id,
  lateFeeOn: e.late_fee_on,
});

/** What a payment and its receipt both say: whose unit, who paid, how much, how and when. */
const paidFields = {
  unitId: z.number(),
  unitNumber: z.string(),
  buildingId: z.string(),
  ownerId: z.number().nullable(),
  ownerName: z.string().nullable(),
  amountFen: z.number(),
  method: z.string(),
  reference: z.string().nullable(),
  paidAt: z.string(),
};
type PaidRow = Pick<PaymentRow & ReceiptRow, 'unit_id' | 'unit_number' | 'building_id' | 'owner_id' | 'owner_name' | 'amount_fen' | 'method' | 'reference' | 'paid_at'>;
const paidOf = (r: PaidRow) => ({
  unitId: r.unit_id,
  unitNumber: r.unit_number,
  buildingId: r.building_id,
  ownerId: r.owner_id,
  ownerName: r.owner_name,
  amountFen: r.amount_fen,
  method: r.method,
  reference: r.reference,
  paidAt: r.paid_at.toISOString(),
});

const paymentSchema = z.object({
  id: z.number(),
  kind: z.enum(['payment', 'refund']),
  ...paidFields,
  note: z.string().nullable(),
  refundOf: z.number().nullable(),
  recordedBy: z.string(),
  recordedAt: z.string(),
  receipt: z.object({ id: z.number(), number: z.string(), voided: z.boolean() }).nullable(),
});
const toPayment = (p: PaymentRow): z.infer<typeof paymentSchema> => ({
  id: p.id,
  kind: p.kind,
  ...paidOf(p),
  note: p.note,
  refundOf: p.refund_of,
  recordedBy: p.recorded_by,
  recordedAt: p.recorded_at.toISOString(),
  receipt: p.receipt_id === null ? null : { id: p.receipt_id, number: p.receipt_number ?? '', voided: p.receipt_voided_at !== null },
});

const receiptSchema = z.object({
  id: z.number(),
  number: z.string(),
  series: z.string(),
  seq: z.number(),
  paymentId: z.number(),
  ...paidFields,
  issuedAt: z.string(),
  voidedAt: z.string().nullable(),
  voidedBy: z.string().nullable(),
  voidReason: z.string().nullable(),
});
const toReceipt = (r: ReceiptRow): z.infer<typeof receiptSchema> => ({
  id: r.id,
  number: r.number,
  series: r.series,
  seq: r.seq,
  paymentId: r.payment_id,
  ...paidOf(r),
  issuedAt: r.issued_at.toISOString(),
  voidedAt: iso(r.voided_at),
  voidedBy: r.voided_by,
  voidReason: r.void_reason,
});

/** Filters of payment and receipt lists: where, whose, and when (paid or issued). */
const paidFilter = {
  building: text(100).optional(),
  unit: z.coerce.number().int().positive().optional(),
  owner: z.coerce.number().int().positive().optional(),
  from: instant.optional(),
  to: instant.optional(),
};

const paymentResultSchema = z.object({
  payment: paymentSchema,
  receipt: z.object({ id: z.number(), number: z.string() }).nullable(),
  allocations: z.array(z.object({ billId: z.number(), amountFen: z.number() })),
  creditFen: z.number(),
});

export interface BillingMoneyServices {
  ledger: LedgerService;
  payments: PaymentService;
  receipts: ReceiptService;
  queries: BillingQueries;
}

/** Bills, accounts, payments, refunds and receipts (README "Bills, payments, receipts"). */
export function registerBillingMoneyRoutes(app: FastifyInstance, s: BillingMoneyServices): void {
  const r = withZod(app);
  const tags = ['billing'];

  r.get('/api/billing/bills', {
    config: { roles: staffAndOwners },
    schema: {
      tags,
      summary: 'Bills by building, unit, owner, period and status, newest period first; owners see their own',
      querystring: z.object({
        building: text(100).optional(),
        unit: z.coerce.number().int().positive().optional(),
        owner: z.coerce.number().int().positive().optional(),
        period: periodSchema.optional(),
        status: z.enum(billStatuses).optional(),
        ...page,
      }),
      response: { 200: z.object({ bills: z.array(billSchema), total: z.number() }) },
    },
    handler: async (req) => {
      const { bills, total } = await s.queries.bills(currentUser(req), req.query);
      return { bills: bills.map((b) => toBill(b)), total };
    },
  });

  r.get('/api/billing/bills/:id', {
    config: { roles: staffAndOwners },
    schema: { tags, summary: 'A bill with its lines and ledger entries', params: id, response: { 200: z.object({ bill: billSchema, entries: z.array(entrySchema) }) } },
    handler: async (req) => {
      const { bill, lines, entries } = await s.queries.bill(currentUser(req), req.params.id);
      return { bill: toBill(bill, lines), entries: entries.map(toEntry) };
    },
  });

  r.get('/api/billing/units/:unitId/account', {
    config: { roles: staffAndOwners },
    schema: {
      tags,
      summary: "A unit's account: balance (> 0 owes), credit (paid ahead, not yet applied to a bill) and its entries",
      params: z.object({ unitId: z.coerce.number().int().positive() }),
      response: { 200: z.object({ balanceFen: z.number(), creditFen: z.number(), entries: z.array(entrySchema) }) },
    },
    handler: async (req) => {
      const account = await s.ledger.account(currentUser(req), req.params.unitId);
      return { ...account, entries: account.entries.map(toEntry) };
    },
  });

  r.post('/api/billing/payments', {
    config: { roles: staffAndOwners },
    schema: {
      tags,
      summary:
        'Record a payment: allocated to the outstanding bills oldest due first, the rest kept as credit, a receipt numbered. 200 with the first payment when the idempotency key was used for the same request before; 409 for a different request under a used key. Owners record wechat/alipay/bank_transfer payments for their own units',
      body: z.strictObject({
        unitId: z.number().int().positive(),
        amountFen: fen,
        method: z.enum(paymentMethods),
        reference: text(200).optional(),
        paidAt: instant.optional(),
        idempotencyKey: text(200),
        note: text(1000).optional(),
      }),
      response: { 200: paymentResultSchema, 201: paymentResultSchema },
    },
    handler: async (req, reply) => {
      const { replayed, payment, receipt, allocations, creditFen } = await s.payments.register(currentUser(req), req.body, req.ip);
      return reply.code(replayed ? 200 : 201).send({ payment: toPayment(payment), receipt: receipt && { id: receipt.id, number: receipt.number }, allocations, creditFen });
    },
  });

  r.post('/api/billing/payments/:id/refund', {
    config: { roles: staff },
    schema: {
      tags,
      summary: "Pay back credit: at most the unit's credit and what is left of the payment; 200 with the first refund when the idempotency key was used for the same request",
      params: id,
      body: z.strictObject({ amountFen: fen, method: z.enum(paymentMethods), reference: text(200).optional(), reason: text(1000), idempotencyKey: text(200) }),
      response: { 200: z.object({ refund: paymentSchema, creditFen: z.number() }), 201: z.object({ refund: paymentSchema, creditFen: z.number() }) },
    },
    handler: async (req, reply) => {
      const { refund, creditFen, replayed } = await s.payments.refund(currentUser(req), req.params.id, req.body, req.ip);
      return reply.code(replayed ? 200 : 201).send({ refund: toPayment(refund), creditFen });
    },
  });

  r.get('/api/billing/payments', {
    config: { roles: staffAndOwners },
    schema: {
      tags,
      summary: 'Payments and refunds, newest first; owners see their own',
      querystring: z.object({
        ...paidFilter,
        method: z.enum(paymentMethods).optional(),
        kind: z.enum(['payment', 'refund']).optional(),
        ...page,
      }),
      response: { 200: z.object({ payments: z.array(paymentSchema), total: z.number() }) },
    },
    handler: async (req) => {
      const { payments, total } = await s.queries.payments(currentUser(req), req.query);
      return { payments: payments.map(toPayment), total };
    },
  });

  r.get('/api/billing/receipts', {
    config: { roles: staffAndOwners },
    schema: {
      tags,
      summary: 'Receipts, newest number first; owners see their own',
      querystring: z.object({
        ...paidFilter,
        voided: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
        ...page,
      }),
      response: { 200: z.object({ receipts: z.array(receiptSchema), total: z.number() }) },
    },
    handler: async (req) => {
      const { receipts, total } = await s.queries.receipts(currentUser(req), req.query);
      return { receipts: receipts.map(toReceipt), total };
    },
  });

  r.get('/api/billing/receipts/:id/pdf', {
    config: { roles: staffAndOwners },
    schema: { tags, summary: 'The receipt as a bilingual PDF (a voided one marked VOID with the reason)', params: id, produces: ['application/pdf'] },
    handler: async (req, reply) => {
      const { receipt, pdf } = await s.receipts.pdf(currentUser(req), req.params.id);
      return reply.type('application/pdf').header('content-disposition', `inline; filename="receipt-${receipt.number}.pdf"`).send(pdf);
    },
  });

  r.post('/api/billing/receipts/:id/void', {
    config: { roles: staff },
    schema: {
      tags,
      summary: "Void a receipt: it keeps its number, the void is recorded and audited, and its payment's ledger entries are reversed (the bills it paid are owed again)",
      params: id,
      body: z.strictObject({ reason: text(1000) }),
      response: { 200: z.object({ receipt: receiptSchema }) },
    },
    handler: async (req) => ({ receipt: toReceipt(await s.receipts.void(currentUser(req), req.params.id, req.body.reason, req.ip)) }),
  });
}
