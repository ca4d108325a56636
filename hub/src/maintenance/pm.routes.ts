import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { staffRoles, type Role } from '../auth/roles.js';
import { currentUser, withZod } from '../http/server.js';
import { priorities } from '../workorders/work-order.types.js';
import { pmKinds, pmStatuses, type PlanView, type PmService } from './pm.service.js';

/** Create, change and delete maintenance plans. */
export const pmWriterRoles: readonly Role[] = ['admin', 'manager'];

const text = (max: number) => z.string().trim().min(1).max(max);
const params = z.object({ id: z.coerce.number().int().positive() });
const isoDateTime = z.iso.datetime({ offset: true, message: 'expected an ISO date-time, e.g. 2026-01-31T08:00:00Z' });
const positive = z.number().positive().max(1e12);

const planSchema = z.object({
  id: z.number(),
  equipmentId: z.number(),
  equipmentCode: z.string(),
  equipmentName: z.string(),
  buildingId: z.string().nullable(),
  deviceId: z.number().nullable(),
  title: z.string(),
  description: z.string().nullable(),
  trade: z.string(),
  priority: z.enum(priorities),
  kind: z.enum(pmKinds),
  intervalDays: z.number().nullable(),
  metric: z.string().nullable(),
  intervalUsage: z.number().nullable(),
  lastDoneAt: z.string().nullable(),
  lastDoneUsage: z.number().nullable(),
  nextDueAt: z.string().nullable(),
  nextDueUsage: z.number().nullable(),
  usageNow: z.number().nullable(),
  leadDays: z.number(),
  active: z.boolean(),
  status: z.enum(pmStatuses),
  daysOverdue: z.number().nullable(),
  usageOverdue: z.number().nullable(),
  workOrder: z.object({ id: z.number(), number: z.string(), status: z.string() }).nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const toPlan = (p: PlanView): z.infer<typeof planSchema> => ({
  id: p.id,
  equipmentId: p.equipment_id,
  equipmentCode: p.equipment_code,
  equipmentName: p.equipment_name,
  buildingId: p.building_id,
  deviceId: p.device_id,
  title: p.title,
  description: p.description,
  trade: p.trade,
  priority: p.priority,
  kind: p.kind,
  intervalDays: p.interval_days,
  metric: p.metric,
  intervalUsage: p.interval_usage,
  lastDoneAt: iso(p.last_done_at),
  lastDoneUsage: p.last_done_usage,
  nextDueAt: iso(p.next_due_at),
  nextDueUsage: p.next_due_usage,
  usageNow: p.usage_now,
  leadDays: p.lead_days,
  active: p.active,
  status: p.status,
  daysOverdue: p.days_overdue,
  usageOverdue: p.usage_overdue,
  workOrder: p.work_order_id !== null ? { id: p.work_order_id, number: p.work_order_number!, status: p.work_order_status! } : null,
  createdBy: p.created_by,
  createdAt: iso(p.created_at)!,
  updatedAt: iso(p.updated_at)!,
});

const planBody = z
  .strictObject({
    equipmentId: z.number().int().positive(),
    title: text(200),
    description: z.string().trim().max(2000).nullish(),
    trade: text(64).optional().describe('default: from the equipment type'),
    priority: z.enum(priorities).default('medium'),
    kind: z.enum(pmKinds),
    intervalDays: z.number().int().positive().max(3650).optional().describe('calendar plans: every N days'),
    metric: text(64).optional().describe('usage plans: a cumulative metric of the equipment\'s device, e.g. runHours'),
    intervalUsage: positive.optional().describe('usage plans: every N units of the metric'),
    lastDoneAt: isoDateTime.optional(),
    lastDoneUsage: z.number().min(0).optional(),
    nextDueAt: isoDateTime.optional().describe('calendar plans: first due date (default last done or now + interval)'),
    nextDueUsage: z.number().min(0).optional().describe('usage plans: first due reading (default last done or current reading + interval)'),
    leadDays: z.number().int().min(0).max(365).default(0).describe('calendar plans: open the work order this many days early'),
    active: z.boolean().default(true),
  })
  .superRefine((b, ctx) => {
    const need = (field: keyof typeof b, message: string) => b[field] === undefined && ctx.addIssue({ code: 'custom', path: [field], message });
    const forbid = (fields: (keyof typeof b)[]) => {
      for (const field of fields) if (b[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `not used by a ${b.kind} plan` });
    };
    if (b.kind === 'calendar') {
      need('intervalDays', 'required for a calendar plan');
      forbid(['metric', 'intervalUsage', 'lastDoneUsage', 'nextDueUsage']);
    } else {
      need('metric', 'required for a usage plan');
      need('intervalUsage', 'required for a usage plan');
      forbid(['intervalDays', 'nextDueAt']);
      if (b.leadDays) ctx.addIssue({ code: 'custom', path: ['leadDays'], message: 'not used by a usage plan' });
    }
  });
const planPatch = z
  .strictObject({
    title: text(200),
    description: z.string().trim().max(2000).nullable(),
    trade: text(64),
    priority: z.enum(priorities),
    intervalDays: z.number().int().positive().max(3650),
    intervalUsage: positive,
    nextDueAt: isoDateTime,
    nextDueUsage: z.number().min(0),
    leadDays: z.number().int().min(0).max(365),
    active: z.boolean(),
  })
  .partial()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'nothing to change' });

export function registerPmRoutes(app: FastifyInstance, pm: PmService): void {
  const r = withZod(app);

  r.get('/api/pm/plans', {
    config: { roles: staffRoles },
    schema: {
      tags: ['maintenance'],
      summary: 'Preventive maintenance plans with their status (ok, due, overdue) and how far overdue',
      querystring: z.object({ status: z.enum(pmStatuses).optional(), equipmentId: z.coerce.number().int().positive().optional() }),
      response: { 200: z.object({ plans: z.array(planSchema) }) },
    },
    handler: async (req) => ({ plans: (await pm.list(currentUser(req), req.query)).map(toPlan) }),
  });

  r.get('/api/pm/overdue', {
    config: { roles: staffRoles },
    schema: { tags: ['maintenance'], summary: 'Active plans past due, most overdue first', response: { 200: z.object({ plans: z.array(planSchema) }) } },
    handler: async (req) => ({ plans: (await pm.overdue(currentUser(req))).map(toPlan) }),
  });

  r.get('/api/pm/plans/:id', {
    config: { roles: staffRoles },
    schema: { tags: ['maintenance'], summary: 'A maintenance plan', params, response: { 200: z.object({ plan: planSchema }) } },
    handler: async (req) => ({ plan: toPlan(await pm.get(currentUser(req), req.params.id)) }),
  });

  r.post('/api/pm/plans', {
    config: { roles: pmWriterRoles },
    schema: { tags: ['maintenance'], summary: 'Plan preventive maintenance on equipment, by calendar or by usage', body: planBody, response: { 201: z.object({ plan: planSchema }) } },
    handler: async (req, reply) => reply.code(201).send({ plan: toPlan(await pm.create(currentUser(req), req.body)) }),
  });

  r.patch('/api/pm/plans/:id', {
    config: { roles: pmWriterRoles },
    schema: { tags: ['maintenance'], summary: 'Change a maintenance plan', params, body: planPatch, response: { 200: z.object({ plan: planSchema }) } },
    handler: async (req) => ({ plan: toPlan(await pm.update(currentUser(req), req.params.id, req.body)) }),
  });

  r.delete('/api/pm/plans/:id', {
    config: { roles: pmWriterRoles },
    schema: { tags: ['maintenance'], summary: 'Delete a maintenance plan (its occurrence records go with it; work orders stay)', params, response: { 204: z.null() } },
    handler: async (req, reply) => {
      await pm.remove(currentUser(req), req.params.id);
      return reply.code(204).send(null);
    },
  });
}
