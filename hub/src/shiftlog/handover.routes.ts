import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentUser, withZod } from '../http/server.js';
import { handoverPriorities } from './handover.repository.js';
import type { HandoverService } from './handover.service.js';
import { shiftLogRoles } from './shift-log.service.js';

const priority = z.enum(handoverPriorities);
const alarmSchema = z.object({
  id: z.number(),
  priority: priority.nullable(),
  state: z.enum(['unack', 'acked', 'rtn_unack', 'normal']),
  active: z.boolean(),
  message: z.string().nullable(),
  device: z.string(),
  buildingId: z.string().nullable(),
  raisedAt: z.string().nullable(),
  shelvedUntil: z.string().nullable(),
  shelvedBy: z.string().nullable(),
  shelveReason: z.string().nullable(),
});
const snapshotSchema = z.object({
  takenAt: z.string(),
  periodStart: z.string(),
  alarmCount: z.object({ total: z.number(), critical: z.number(), high: z.number(), medium: z.number(), low: z.number() }),
  unacknowledged: z.array(alarmSchema),
  standing: z.array(alarmSchema),
  shelved: z.array(alarmSchema),
  workOrders: z.array(
    z.object({
      id: z.number(),
      number: z.string(),
      title: z.string(),
      priority,
      status: z.string(),
      buildingId: z.string().nullable(),
      assignee: z.string().nullable(),
      createdAt: z.string(),
      resolveDueAt: z.string(),
    }),
  ),
  incidents: z.array(
    z.object({
      id: z.number(),
      title: z.string(),
      priority,
      buildingId: z.string().nullable(),
      zone: z.string().nullable(),
      openedAt: z.string(),
      lastSignalAt: z.string(),
      workOrderNumber: z.string().nullable(),
    }),
  ),
  doors: z.array(
    z.object({
      id: z.number(),
      name: z.string(),
      buildingId: z.string().nullable(),
      location: z.string().nullable(),
      open: z.boolean().nullable(),
      locked: z.boolean().nullable(),
      since: z.string().nullable(),
    }),
  ),
  truncated: z.boolean(),
});
const handoverSchema = z.object({
  id: z.number(),
  buildingId: z.string().nullable(),
  startedAt: z.string(),
  outgoingId: z.number().nullable(),
  outgoingName: z.string(),
  notes: z.string(),
  periodStart: z.string(),
  status: z.enum(['pending', 'accepted']),
  acceptedAt: z.string().nullable(),
  incomingId: z.number().nullable(),
  incomingName: z.string().nullable(),
  acceptRemark: z.string().nullable(),
  overdueAt: z.string().nullable(),
  counts: z.object({
    unacknowledged: z.number(),
    standing: z.number(),
    shelved: z.number(),
    workOrders: z.number(),
    incidents: z.number(),
    doors: z.number(),
    alarmsInPeriod: z.number(),
  }),
  snapshot: snapshotSchema.optional(),
});
const idParams = z.object({ id: z.coerce.number().int().positive() });
const time = z.iso.datetime({ offset: true });

export function registerHandoverRoutes(app: FastifyInstance, service: HandoverService): void {
  const r = withZod(app);

  r.get('/api/shift-handovers', {
    config: { roles: shiftLogRoles },
    schema: {
      tags: ['shift log'],
      summary: 'Shift handovers, newest first, with counts (limited to the buildings the user may see)',
      querystring: z.object({
        status: z.enum(['pending', 'accepted', 'all']).default('all'),
        building: z.string().min(1).optional(),
        since: time.optional().describe('started at or after this time'),
        until: time.optional().describe('started before this time'),
        limit: z.coerce.number().int().min(1).max(500).default(50),
      }),
      response: { 200: z.object({ handovers: z.array(handoverSchema) }) },
    },
    handler: async (req) => {
      const q = req.query;
      return {
        handovers: await service.list(currentUser(req), {
          status: q.status === 'all' ? undefined : q.status,
          building: q.building,
          since: q.since ? new Date(q.since) : undefined,
          until: q.until ? new Date(q.until) : undefined,
          limit: q.limit,
        }),
      };
    },
  });

  r.get('/api/shift-handovers/preview', {
    config: { roles: shiftLogRoles },
    schema: {
      tags: ['shift log'],
      summary: 'The snapshot a handover started now would carry (nothing is stored)',
      querystring: z.object({ building: z.string().min(1).optional() }),
      response: { 200: z.object({ snapshot: snapshotSchema }) },
    },
    handler: async (req) => ({ snapshot: await service.preview(currentUser(req), req.query.building) }),
  });

  r.get('/api/shift-handovers/:id', {
    config: { roles: shiftLogRoles },
    schema: { tags: ['shift log'], summary: 'One shift handover with its snapshot', params: idParams, response: { 200: z.object({ handover: handoverSchema }) } },
    handler: async (req) => ({ handover: await service.get(currentUser(req), req.params.id) }),
  });

  r.post('/api/shift-handovers', {
    config: { roles: shiftLogRoles },
    schema: {
      tags: ['shift log'],
      summary: 'Start a handover: the hub records a snapshot of what stands now, with the outgoing guard\'s notes',
      body: z.strictObject({
        buildingId: z.string().min(1).optional().describe('default: the user\'s only building; none: the whole estate'),
        notes: z.string().trim().max(4000).default(''),
      }),
      response: { 201: z.object({ handover: handoverSchema }) },
    },
    handler: async (req, reply) => {
      const handover = await service.begin(currentUser(req), req.body, req.ip);
      return reply.code(201).send({ handover });
    },
  });

  r.post('/api/shift-handovers/:id/accept', {
    config: { roles: shiftLogRoles },
    schema: {
      tags: ['shift log'],
      summary: 'Accept a handover as the incoming shift (once; the record is then final)',
      params: idParams,
      body: z.strictObject({ remark: z.string().trim().min(1).max(2000).optional() }),
      response: { 200: z.object({ handover: handoverSchema }) },
    },
    handler: async (req) => ({ handover: await service.accept(currentUser(req), req.params.id, req.body.remark, req.ip) }),
  });
}
