import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { roles, staffRoles, type Role } from '../auth/roles.js';
import { currentUser, withZod } from '../http/server.js';
import type { EpisodeSummaryRow, StaffMember, WorkOrderEventRow, WorkOrderRow } from './work-order.repository.js';
import type { TransitionInput, WorkOrderService } from './work-order.service.js';
import { priorities, verifications, workOrderKinds, workOrderStatuses, type LifecycleAction } from './work-order.types.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

const workOrderSchema = z.object({
  id: z.number(),
  number: z.string(),
  kind: z.enum(workOrderKinds),
  source: z.enum(['alarm', 'manual', 'request', 'preventive']),
  alarmEpisodeId: z.number().nullable(),
  title: z.string(),
  description: z.string().nullable(),
  priority: z.enum(priorities),
  status: z.enum(workOrderStatuses),
  trade: z.string(),
  buildingId: z.string().nullable(),
  deviceId: z.number().nullable(),
  deviceName: z.string().nullable(),
  location: z.string().nullable(),
  assignee: z.object({ id: z.number(), name: z.string() }).nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  acceptDueAt: z.string(),
  resolveDueAt: z.string(),
  assignedAt: z.string().nullable(),
  acceptedAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
  resolution: z.string().nullable(),
  verification: z.enum(verifications).nullable(),
  reopenCount: z.number(),
  escalationLevel: z.number(),
  acceptBreachedAt: z.string().nullable(),
  resolveBreachedAt: z.string().nullable(),
  updatedAt: z.string(),
});

function toWorkOrder(r: WorkOrderRow): z.infer<typeof workOrderSchema> {
  return {
    id: r.id,
    number: r.number,
    kind: r.kind,
    source: r.source,
    alarmEpisodeId: r.alarm_episode_id,
    title: r.title,
    description: r.description,
    priority: r.priority,
    status: r.status,
    trade: r.trade,
    buildingId: r.building_id,
    deviceId: r.device_id,
    deviceName: r.device_name,
    location: r.location,
    assignee: r.assignee_id === null ? null : { id: r.assignee_id, name: r.assignee_name ?? '' },
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    acceptDueAt: r.accept_due_at.toISOString(),
    resolveDueAt: r.resolve_due_at.toISOString(),
    assignedAt: iso(r.assigned_at),
    acceptedAt: iso(r.accepted_at),
    startedAt: iso(r.started_at),
    resolvedAt: iso(r.resolved_at),
    closedAt: iso(r.closed_at),
    cancelledAt: iso(r.cancelled_at),
    resolution: r.resolution,
    verification: r.verification,
    reopenCount: r.reopen_count,
    escalationLevel: r.escalation_level,
    acceptBreachedAt: iso(r.accept_breached_at),
    resolveBreachedAt: iso(r.resolve_breached_at),
    updatedAt: r.updated_at.toISOString(),
  };
}

const eventSchema = z.object({
  id: z.number(),
  at: z.string(),
  action: z.string(),
  fromStatus: z.enum(workOrderStatuses).nullable(),
  toStatus: z.enum(workOrderStatuses),
  userId: z.number().nullable(),
  actor: z.string(),
  note: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});

const toEvent = (e: WorkOrderEventRow): z.infer<typeof eventSchema> => ({
  id: e.id,
  at: e.at.toISOString(),
  action: e.action,
  fromStatus: e.from_status,
  toStatus: e.to_status,
  userId: e.user_id,
  actor: e.actor,
  note: e.note,
  details: e.details,
});

const alarmSummarySchema = z.object({
  id: z.number(),
  ruleId: z.number(),
  ruleName: z.string(),
  state: z.string(),
  active: z.boolean(),
  suppressed: z.boolean(),
  episodes: z.array(
    z.object({
      id: z.number(),
      priority: z.string(),
      message: z.string(),
      raisedAt: z.string(),
      clearedAt: z.string().nullable(),
      ackedAt: z.string().nullable(),
      endedAt: z.string().nullable(),
    }),
  ),
});

function toAlarmSummary(episodes: EpisodeSummaryRow[]): z.infer<typeof alarmSummarySchema> | null {
  // The latest episode's alarm: a work order is opened (and reopened) by episodes of one alarm.
  const last = episodes.at(-1);
  if (!last) return null;
  return {
    id: last.alarm_id,
    ruleId: last.rule_id,
    ruleName: last.rule_name,
    state: last.state,
    active: last.active,
    suppressed: last.suppressed,
    episodes: episodes.map((e) => ({
      id: e.episode_id,
      priority: e.priority,
      message: e.message,
      raisedAt: e.raised_at.toISOString(),
      clearedAt: iso(e.cleared_at),
      ackedAt: iso(e.acked_at),
      endedAt: iso(e.ended_at),
    })),
  };
}

const staffSchema = z.object({
  id: z.number(),
  name: z.string(),
  position: z.string().nullable(),
  userId: z.number().nullable(),
  username: z.string().nullable(),
  role: z.enum(roles).nullable(),
  active: z.boolean(),
  trades: z.array(z.string()),
  buildings: z.array(z.string()).describe('empty: the whole estate'),
  onShift: z.boolean(),
  openWorkload: z.number(),
});

const toStaff = (s: StaffMember): z.infer<typeof staffSchema> => ({
  id: s.staffId,
  name: s.name,
  position: s.position,
  userId: s.userId,
  username: s.username,
  role: s.user?.role ?? null,
  active: s.active,
  trades: [...s.trades],
  buildings: [...s.buildings],
  onShift: s.onShift,
  openWorkload: s.workload,
});

const slaSchema = z.object({ measured: z.number(), met: z.number(), compliance: z.number().nullable().describe('met / measured; null when nothing was measured') });
const kpiBlockSchema = z.object({
  created: z.number(),
  cancelled: z.number(),
  accepted: z.number(),
  resolved: z.number(),
  acceptSla: slaSchema,
  resolveSla: slaSchema,
  mttaSeconds: z.number().nullable().describe('mean time from creation to acceptance'),
  mttrSeconds: z.number().nullable().describe('mean time from creation to resolution'),
});

const trade = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a lower-case trade such as "plumbing"').max(40);
const note = z.string().trim().max(2000);
const required = (what: string) => z.string().trim().min(1, `${what} is required`).max(2000);
const params = z.object({ id: z.coerce.number().int().positive() });
const outcomeSchema = z.object({ workOrder: workOrderSchema, warnings: z.array(z.string()) });
const isoDate = z.iso.datetime({ offset: true });

const workerRoles: readonly Role[] = ['admin', 'manager', 'technician', 'guard'];
const supervisorRoles: readonly Role[] = ['admin', 'manager', 'guard'];

/**
 * The lifecycle steps: who may call them (the service narrows further) and what they take.
 * Bodies that may be left out are nullish: fastify hands a POST without a body over as null.
 */
const steps: { action: LifecycleAction; roles: readonly Role[]; summary: string; body: z.ZodType<TransitionInput | undefined | null> }[] = [
  {
    action: 'assign',
    roles: supervisorRoles,
    summary: 'Assign or reassign to a suitable person (staffId), or let dispatch choose (no staffId). Guards: security work orders only',
    body: z.object({ staffId: z.number().int().positive().optional(), note: note.optional() }).nullish(),
  },
  { action: 'accept', roles: workerRoles, summary: 'The assignee accepts', body: z.object({ note: note.optional() }).nullish() },
  { action: 'start', roles: workerRoles, summary: "Work starts (a maintenance work order's device alarms are suppressed by design)", body: z.object({ note: note.optional() }).nullish() },
  { action: 'hold', roles: workerRoles, summary: 'Put on hold, with the reason', body: z.object({ reason: required('reason') }) },
  { action: 'resume', roles: workerRoles, summary: 'Resume after a hold', body: z.object({ note: note.optional() }).nullish() },
  {
    action: 'resolve',
    roles: workerRoles,
    summary: 'Resolved, with what was done and the parts used (issued from stock); flagged abnormal if its alarm is still active',
    body: z.object({
      resolution: required('resolution'),
      partsUsed: z
        .array(z.object({ partCode: z.string().trim().min(1).max(64), qty: z.number().int().positive() }))
        .max(100)
        .optional()
        .describe('catalogued parts are issued from stock (409 WARDEN_ERR_INSUFFICIENT_STOCK, naming each short line, if any is short: nothing changes); others are recorded as text'),
      store: z.string().trim().min(1).max(64).optional().describe("where the parts come from; default: the building's own store (named like the building) if it holds stock, else 'main'"),
      note: note.optional(),
    }),
  },
  { action: 'close', roles: supervisorRoles, summary: 'Close a resolved work order', body: z.object({ note: note.optional() }).nullish() },
  { action: 'cancel', roles: supervisorRoles, summary: 'Cancel, with the reason', body: z.object({ reason: required('reason') }) },
  { action: 'reopen', roles: supervisorRoles, summary: 'Reopen a resolved or closed work order (new SLA, dispatched again)', body: z.object({ reason: note.optional() }).nullish() },
  { action: 'comment', roles: staffRoles, summary: 'Add a comment to the timeline', body: z.object({ text: required('text') }) },
];

export function registerWorkOrderRoutes(app: FastifyInstance, service: WorkOrderService): void {
  const r = withZod(app);

  r.get('/api/work-orders', {
    config: { roles: staffRoles },
    schema: {
      tags: ['work orders'],
      summary: 'Work orders the user may see (technicians: theirs and unassigned ones of their trades; guards: security)',
      querystring: z.object({
        status: z
          .preprocess((v) => (typeof v === 'string' ? v.split(',') : v), z.array(z.enum(workOrderStatuses)))
          .optional()
          .describe('one or more statuses: repeated, or comma-separated'),
        kind: z.enum(workOrderKinds).optional(),
        building: z.string().min(1).optional(),
        trade: trade.optional(),
        assignee: z.union([z.literal('me'), z.coerce.number().int().positive()]).optional().describe('"me" or a staff id'),
        page: z.coerce.number().int().min(1).default(1),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      response: { 200: z.object({ workOrders: z.array(workOrderSchema), total: z.number(), page: z.number(), limit: z.number() }) },
    },
    handler: async (req) => {
      const { rows, total } = await service.list(currentUser(req), req.query);
      return { workOrders: rows.map(toWorkOrder), total, page: req.query.page, limit: req.query.limit };
    },
  });

  r.post('/api/work-orders', {
    config: { roles: staffRoles },
    schema: {
      tags: ['work orders'],
      summary: 'Open a work order by hand; dispatched like those opened by alarms',
      body: z.object({
        kind: z.enum(workOrderKinds),
        title: z.string().trim().min(1).max(200),
        description: z.string().trim().max(4000).optional(),
        priority: z.enum(priorities),
        trade: trade.optional().describe('default: from the device type; security work orders: security'),
        buildingId: z.string().min(1).optional().describe("default: the device's building"),
        deviceId: z.number().int().positive().optional(),
        location: z.string().trim().max(200).optional(),
      }),
      response: { 201: outcomeSchema },
    },
    handler: async (req, reply) => {
      const { workOrder, warnings } = await service.createManual(currentUser(req), req.body);
      return reply.code(201).send({ workOrder: toWorkOrder(workOrder), warnings });
    },
  });

  r.get('/api/work-orders/kpis', {
    config: { roles: ['admin', 'manager'] },
    schema: {
      tags: ['work orders'],
      summary: 'Work-order KPIs of those created in [from, to): SLA compliance, MTTA, MTTR, by trade and building; and the open backlog by trade',
      querystring: z
        .object({
          from: isoDate.optional().describe('default: `to` minus 30 days'),
          to: isoDate.optional().describe('default: now'),
          building: z.string().min(1).optional(),
        })
        .refine((q) => !q.from || !q.to || new Date(q.from) < new Date(q.to), { message: 'from must be before to', path: ['from'] }),
      response: {
        200: z.object({
          from: z.string(),
          to: z.string(),
          openByTrade: z.array(z.object({ trade: z.string(), open: z.number() })),
          overall: kpiBlockSchema,
          byTrade: z.array(kpiBlockSchema.extend({ trade: z.string() })),
          byBuilding: z.array(kpiBlockSchema.extend({ buildingId: z.string().nullable() })),
        }),
      },
    },
    handler: async (req) => {
      const k = await service.kpis(currentUser(req), {
        from: req.query.from ? new Date(req.query.from) : undefined,
        to: req.query.to ? new Date(req.query.to) : undefined,
        building: req.query.building,
      });
      return { ...k, from: k.from.toISOString(), to: k.to.toISOString() };
    },
  });

  r.get('/api/work-orders/:id', {
    config: { roles: staffRoles },
    schema: {
      tags: ['work orders'],
      summary: 'One work order with its timeline and the alarm (episodes) behind it',
      params,
      response: { 200: z.object({ workOrder: workOrderSchema, events: z.array(eventSchema), alarm: alarmSummarySchema.nullable() }) },
    },
    handler: async (req) => {
      const { workOrder, events, episodes } = await service.get(currentUser(req), req.params.id);
      return { workOrder: toWorkOrder(workOrder), events: events.map(toEvent), alarm: toAlarmSummary(episodes) };
    },
  });

  for (const step of steps) {
    r.post(`/api/work-orders/:id/${step.action}`, {
      config: { roles: step.roles },
      schema: { tags: ['work orders'], summary: step.summary, params, body: step.body, response: { 200: outcomeSchema } },
      handler: async (req) => {
        const { workOrder, warnings } = await service.act(currentUser(req), req.params.id, step.action, (req.body as TransitionInput | undefined | null) ?? {});
        return { workOrder: toWorkOrder(workOrder), warnings };
      },
    });
  }

  r.post('/api/work-orders/:id/claim', {
    config: { roles: workerRoles },
    schema: {
      tags: ['work orders'],
      summary: 'Take an unassigned open work order yourself: it becomes yours and accepted at once (the accept SLA is met now)',
      description: [
        'For a technician, maintenance work orders of their trades; for a guard, security work orders; in their buildings,',
        "and only while on shift (dispatch's rules: trade, building, role, active login).",
        'One wins when two claim at once: the other gets 409 WARDEN_ERR_CONFLICT "WO-… is already taken by <name>".',
        '404: not a work order the caller could claim. 403: a manager or admin (they assign), or a caller with no staff record.',
        '409 WARDEN_ERR_UNSUITABLE_ASSIGNEE: the caller may not take it (details.reason, e.g. not on shift);',
        '409 WARDEN_ERR_INVALID_TRANSITION: it is no longer open.',
      ].join(' '),
      params,
      body: z.object({ note: note.optional() }).nullish(),
      response: { 200: outcomeSchema },
    },
    handler: async (req) => {
      const { workOrder, warnings } = await service.claim(currentUser(req), req.params.id, req.body ?? {});
      return { workOrder: toWorkOrder(workOrder), warnings };
    },
  });

  r.get('/api/staff', {
    config: { roles: ['admin', 'manager', 'guard'] },
    schema: {
      tags: ['work orders'],
      summary: 'Staff as dispatch sees them: trades, buildings, on shift now, open workload',
      querystring: z.object({ trade: trade.optional(), building: z.string().min(1).optional() }),
      response: { 200: z.object({ staff: z.array(staffSchema) }) },
    },
    handler: async (req) => ({ staff: (await service.listStaff(currentUser(req), req.query)).map(toStaff) }),
  });

  r.post('/api/staff/:id/shifts', {
    config: { roles: ['admin', 'manager'] },
    schema: {
      tags: ['work orders'],
      summary: 'Add a shift: dispatch prefers people on shift',
      params,
      body: z
        .object({ startsAt: isoDate, endsAt: isoDate })
        .refine((b) => new Date(b.endsAt) > new Date(b.startsAt), { message: 'endsAt must be after startsAt', path: ['endsAt'] }),
      response: { 201: z.object({ shift: z.object({ id: z.number(), staffId: z.number(), startsAt: z.string(), endsAt: z.string() }) }) },
    },
    handler: async (req, reply) => {
      const row = await service.addShift(currentUser(req), req.params.id, { startsAt: new Date(req.body.startsAt), endsAt: new Date(req.body.endsAt) });
      return reply.code(201).send({ shift: { id: row.id, staffId: row.staff_id, startsAt: row.starts_at.toISOString(), endsAt: row.ends_at.toISOString() } });
    },
  });
}
