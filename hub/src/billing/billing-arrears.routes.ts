import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../auth/roles.js';
import { WardenError } from '../http/errors.js';
import { currentUser, withZod } from '../http/server.js';
import { ageBuckets, type ActionRow, type ArrearsPolicy, type ArrearsService, type UnitArrears, type WarningRow } from './arrears.service.js';
import { renderLawyerLetter } from './lawyer-letter-pdf.js';
import { escalationStep, ladderActions } from './notice-templates.js';
import { noticeChannels, type NoticeRow, type NoticeService } from './notices.service.js';
import { periodSchema } from './period.js';

/** The office's money roles (billingStaffRoles, repeated to keep billing.module.ts free of a cycle). */
const staff: readonly Role[] = ['admin', 'manager', 'clerk'];
/** The estate's arrears policy is a management decision. */
const policyWriters: readonly Role[] = ['admin', 'manager'];

const tags = ['billing'];
const iso = (d: Date | null) => d?.toISOString() ?? null;
const id = z.object({ id: z.coerce.number().int().positive() });
const text = (max: number) => z.string().trim().min(1).max(max);
const date = z.iso.date();
const fen = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const bucketsSchema = z.object({ '0-30': z.number(), '31-90': z.number(), '91-180': z.number(), '180+': z.number() });

const noticeSchema = z.object({
  id: z.number(),
  purpose: z.string(),
  channel: z.string(),
  unitId: z.number().nullable(),
  ownerId: z.number().nullable(),
  billId: z.number().nullable(),
  language: z.string(),
  recipient: z.string().nullable(),
  subject: z.string().nullable(),
  status: z.string(),
  error: z.string().nullable(),
  providerId: z.string().nullable(),
  note: z.string().nullable(),
  actor: z.string(),
  at: z.string(),
});
const toNotice = (n: NoticeRow): z.infer<typeof noticeSchema> => ({
  id: n.id,
  purpose: n.purpose,
  channel: n.channel,
  unitId: n.unit_id,
  ownerId: n.owner_id,
  billId: n.bill_id,
  language: n.language,
  recipient: n.recipient,
  subject: n.subject,
  status: n.status,
  error: n.error,
  providerId: n.provider_id,
  note: n.note,
  actor: n.actor,
  at: n.at.toISOString(),
});

const arrearsRowSchema = z.object({
  unitId: z.number(),
  unitNumber: z.string(),
  buildingId: z.string(),
  ownerId: z.number().nullable(),
  ownerName: z.string().nullable(),
  totalFen: z.number(),
  buckets: bucketsSchema,
  ageDays: z.number(),
  oldestDueOn: z.string(),
  bills: z.array(z.object({ billId: z.number(), number: z.string(), period: z.string(), dueOn: z.string(), ageDays: z.number(), outstandingFen: z.number() })),
});
const toArrearsRow = (u: UnitArrears): z.infer<typeof arrearsRowSchema> => ({
  unitId: u.unitId,
  unitNumber: u.unitNumber,
  buildingId: u.buildingId,
  ownerId: u.ownerId,
  ownerName: u.ownerName,
  totalFen: u.totalFen,
  buckets: u.buckets,
  ageDays: u.ageDays,
  oldestDueOn: u.oldestDueOn,
  bills: u.bills,
});

const ladderSchema = z.array(z.strictObject({ afterDays: z.number().int().min(0).max(3650), action: z.enum(ladderActions) })).min(1).max(20);
const policySchema = z.object({ siteId: z.string(), ladder: ladderSchema, warnAmountFen: z.number(), warnAgeDays: z.number(), isDefault: z.boolean(), updatedBy: z.string().nullable(), updatedAt: z.string().nullable() });
const toPolicy = (p: ArrearsPolicy): z.infer<typeof policySchema> => ({ ...p, updatedAt: iso(p.updatedAt) });

const actionSchema = z.object({
  id: z.number(),
  unitId: z.number(),
  unitNumber: z.string(),
  buildingId: z.string(),
  billId: z.number(),
  billNumber: z.string(),
  step: z.number(),
  action: z.enum(ladderActions),
  status: z.enum(['due', 'done']),
  amountFen: z.number(),
  ageDays: z.number(),
  summary: z.object({ 'zh-CN': z.string(), en: z.string() }),
  dueAt: z.string(),
  doneAt: z.string().nullable(),
  doneBy: z.string().nullable(),
  outcome: z.string().nullable(),
  letterUrl: z.string().nullable(),
});
const toAction = (a: ActionRow): z.infer<typeof actionSchema> => {
  const step = { action: a.action, unit: { building: a.building_name, number: a.unit_number }, amountFen: a.amount_fen, ageDays: a.age_days };
  return {
    id: a.id,
    unitId: a.unit_id,
    unitNumber: a.unit_number,
    buildingId: a.building_id,
    billId: a.bill_id,
    billNumber: a.bill_number,
    step: a.step,
    action: a.action,
    status: a.status,
    amountFen: a.amount_fen,
    ageDays: a.age_days,
    summary: { 'zh-CN': escalationStep('zh-CN', step), en: escalationStep('en', step) },
    dueAt: a.due_at.toISOString(),
    doneAt: iso(a.done_at),
    doneBy: a.done_by,
    outcome: a.outcome,
    letterUrl: a.action === 'lawyer_letter' ? `/api/billing/arrears/actions/${a.id}/letter.pdf` : null,
  };
};

const warningSchema = z.object({
  id: z.number(),
  unitId: z.number(),
  unitNumber: z.string(),
  buildingId: z.string(),
  reason: z.string(),
  amountFen: z.number(),
  ageDays: z.number(),
  raisedAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  clearedAt: z.string().nullable(),
});
const toWarning = (w: WarningRow): z.infer<typeof warningSchema> => ({
  id: w.id,
  unitId: w.unit_id,
  unitNumber: w.unit_number,
  buildingId: w.building_id,
  reason: w.reason,
  amountFen: w.amount_fen,
  ageDays: w.age_days,
  raisedAt: w.raised_at.toISOString(),
  acknowledgedAt: iso(w.acknowledged_at),
  acknowledgedBy: w.acknowledged_by,
  clearedAt: iso(w.cleared_at),
});

export function registerArrearsRoutes(app: FastifyInstance, s: { notices: NoticeService; arrears: ArrearsService }): void {
  const r = withZod(app);

  r.post('/api/billing/notices/bills', {
    config: { roles: staff },
    schema: {
      tags,
      summary: "Sends each bill of a period (and building) to its owner by e-mail and/or SMS in the owner's language: once per bill and channel; failures are retried by the next call",
      body: z.strictObject({ period: periodSchema, buildingId: text(100).optional(), channels: z.array(z.enum(noticeChannels)).min(1).optional() }),
      response: { 200: z.object({ sent: z.number(), failed: z.number(), skipped: z.number() }) },
    },
    handler: async (req) => s.notices.sendBillNotices(currentUser(req), req.body),
  });

  r.get('/api/billing/notices', {
    config: { roles: staff },
    schema: {
      tags,
      summary: 'Messages sent or tried about money, and logged calls and visits (recipients masked)',
      querystring: z.object({ unit: z.coerce.number().int().positive().optional(), bill: z.coerce.number().int().positive().optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
      response: { 200: z.object({ notices: z.array(noticeSchema) }) },
    },
    handler: async (req) => ({ notices: (await s.notices.list(currentUser(req), req.query)).map(toNotice) }),
  });

  r.get('/api/billing/arrears', {
    config: { roles: staff },
    schema: {
      tags,
      summary: "Each unit's arrears by age past due (0–30, 31–90, 91–180, over 180 days) as of a date (default today); `bucket` keeps the units with arrears in it",
      querystring: z.object({ building: text(100).optional(), bucket: z.enum(ageBuckets).optional(), asOf: date.optional() }),
      response: { 200: z.object({ asOf: z.string(), buckets: bucketsSchema, units: z.array(arrearsRowSchema) }) },
    },
    handler: async (req) => {
      const { asOf, buckets, units } = await s.arrears.ageing(currentUser(req), { asOf: req.query.asOf, buildingId: req.query.building, bucket: req.query.bucket });
      return { asOf, buckets, units: units.map(toArrearsRow) };
    },
  });

  r.get('/api/billing/arrears/policy', {
    config: { roles: staff },
    schema: { tags, summary: "Each site's escalation ladder and warning thresholds (the documented defaults where none is set)", response: { 200: z.object({ policies: z.array(policySchema) }) } },
    handler: async () => ({ policies: (await s.arrears.policies()).map(toPolicy) }),
  });

  r.put('/api/billing/arrears/policy', {
    config: { roles: policyWriters },
    schema: {
      tags,
      summary: "Sets a site's escalation ladder (steps in increasing days past due) and warning thresholds; audited",
      body: z.strictObject({ siteId: text(100), ladder: ladderSchema, warnAmountFen: fen, warnAgeDays: z.number().int().min(1).max(3650) }),
      response: { 200: z.object({ policy: policySchema }) },
    },
    handler: async (req) => ({ policy: toPolicy(await s.arrears.setPolicy(currentUser(req), req.body, req.ip)) }),
  });

  r.post('/api/billing/arrears/sweep', {
    config: { roles: staff },
    schema: {
      tags,
      summary: 'Runs the arrears sweep now (the hub also runs it every hour): rungs come due, reminders go out, warnings are raised and cleared',
      response: { 200: z.object({ actionsCreated: z.number(), remindersSent: z.number(), warningsRaised: z.number(), warningsCleared: z.number() }) },
    },
    handler: async () => s.arrears.sweep(),
  });

  r.get('/api/billing/arrears/actions', {
    config: { roles: staff },
    schema: {
      tags,
      summary: "The clerks' arrears work list: rungs of the ladder due (calls, visits, letters to send) or done",
      querystring: z.object({ status: z.enum(['due', 'done']).optional(), building: text(100).optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) }),
      response: { 200: z.object({ actions: z.array(actionSchema) }) },
    },
    handler: async (req) => ({ actions: (await s.arrears.actions(currentUser(req), { status: req.query.status, buildingId: req.query.building, limit: req.query.limit })).map(toAction) }),
  });

  r.post('/api/billing/arrears/actions/:id/done', {
    config: { roles: staff },
    schema: {
      tags,
      summary: 'Marks a rung done (the call made, the visit paid, the letter sent) with its outcome; logged and audited',
      params: id,
      body: z.strictObject({ outcome: text(2000) }),
      response: { 200: z.object({ action: actionSchema }) },
    },
    handler: async (req) => ({ action: toAction(await s.arrears.completeAction(currentUser(req), req.params.id, req.body.outcome, req.ip)) }),
  });

  r.post('/api/billing/arrears/calls', {
    config: { roles: staff },
    schema: {
      tags,
      summary: "Logs a phone call to a unit's owner about arrears (completes the unit's due call rung)",
      body: z.strictObject({ unitId: z.number().int().positive(), outcome: text(500), note: text(2000).optional() }),
      response: { 201: z.object({ noticeId: z.number(), actionsCompleted: z.number() }) },
    },
    handler: async (req, reply) => reply.code(201).send(await s.arrears.logCall(currentUser(req), req.body, req.ip)),
  });

  r.get('/api/billing/arrears/actions/:id/letter.pdf', {
    config: { roles: staff },
    schema: { tags, summary: "The lawyer's letter of a lawyer_letter rung, as a bilingual PDF", params: id, produces: ['application/pdf'] },
    handler: async (req, reply) => {
      const action = await s.arrears.action(currentUser(req), req.params.id);
      if (action.action !== 'lawyer_letter' || !action.details) throw new WardenError('WARDEN_ERR_NOT_FOUND', `arrears action ${action.id} is not a lawyer's letter`);
      const ref = `AL-${action.bill_number}-${action.step}`;
      return reply.type('application/pdf').header('content-disposition', `inline; filename="lawyer-letter-${ref}.pdf"`).send(await renderLawyerLetter(action.details, ref));
    },
  });

  r.get('/api/billing/arrears/warnings', {
    config: { roles: staff },
    schema: {
      tags,
      summary: 'Arrears warnings: units whose arrears passed the amount or age threshold (open: not yet cleared by payment)',
      querystring: z.object({ open: z.enum(['true', 'false']).transform((v) => v === 'true').optional(), building: text(100).optional() }),
      response: { 200: z.object({ warnings: z.array(warningSchema) }) },
    },
    handler: async (req) => ({ warnings: (await s.arrears.warnings(currentUser(req), { open: req.query.open, buildingId: req.query.building })).map(toWarning) }),
  });

  r.post('/api/billing/arrears/warnings/:id/ack', {
    config: { roles: staff },
    schema: { tags, summary: 'Acknowledges an arrears warning (it stays open until the arrears are paid)', params: id, response: { 200: z.object({ warning: warningSchema }) } },
    handler: async (req) => ({ warning: toWarning(await s.arrears.acknowledge(currentUser(req), req.params.id, req.ip)) }),
  });
}
