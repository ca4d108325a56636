import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { staffRoles, type Role } from '../auth/roles.js';
import { currentUser, withZod } from '../http/server.js';
import { serviceDeskRoles, type ServiceRequestEventRow, type ServiceRequestRow, type ServiceRequestService, type SurveyRow } from './service-request.service.js';
import { categories, channels, noteActions, requestStatuses, urgencies } from './service-request.types.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;
const id = z.object({ id: z.coerce.number().int().positive() });
/** Who may take requests: the service desk, and owners through the portal. */
const intakeRoles: readonly Role[] = [...serviceDeskRoles, 'owner'];
const readerRoles: readonly Role[] = [...staffRoles, 'owner'];

const requestSchema = z.object({
  id: z.number(),
  number: z.string(),
  channel: z.enum(channels),
  ownerId: z.number().nullable(),
  contactName: z.string().nullable(),
  unit: z.object({ id: z.number(), number: z.string() }).nullable(),
  buildingId: z.string(),
  location: z.string().nullable(),
  category: z.enum(categories),
  urgency: z.enum(urgencies),
  description: z.string(),
  status: z.enum(requestStatuses),
  workOrder: z.object({ id: z.number(), number: z.string() }).nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  classifiedAt: z.string().nullable(),
  dispatchedAt: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  updatedAt: z.string(),
});

const toRequest = (r: ServiceRequestRow): z.infer<typeof requestSchema> => ({
  id: r.id,
  number: r.number,
  channel: r.channel,
  ownerId: r.owner_id,
  contactName: r.contact_name,
  unit: r.unit_id === null ? null : { id: r.unit_id, number: r.unit_number ?? '' },
  buildingId: r.building_id,
  location: r.location,
  category: r.category,
  urgency: r.urgency,
  description: r.description,
  status: r.status,
  workOrder: r.work_order_id === null ? null : { id: r.work_order_id, number: r.work_order_number ?? '' },
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  classifiedAt: iso(r.classified_at),
  dispatchedAt: iso(r.dispatched_at),
  resolvedAt: iso(r.resolved_at),
  closedAt: iso(r.closed_at),
  updatedAt: r.updated_at.toISOString(),
});

const eventSchema = z.object({
  id: z.number(),
  at: z.string(),
  userId: z.number().nullable(),
  actor: z.string(),
  action: z.string(),
  fromStatus: z.string().nullable(),
  toStatus: z.string().nullable(),
  note: z.string().nullable(),
  photos: z.array(z.string()),
  location: z.string().nullable(),
});
const toEvent = (e: ServiceRequestEventRow): z.infer<typeof eventSchema> => ({
  id: e.id,
  at: e.at.toISOString(),
  userId: e.user_id,
  actor: e.actor,
  action: e.action,
  fromStatus: e.from_status,
  toStatus: e.to_status,
  note: e.note,
  photos: e.photos,
  location: e.location,
});

const surveySchema = z.object({ score: z.number(), comment: z.string().nullable(), at: z.string() });
const toSurvey = (s: SurveyRow) => ({ score: s.score, comment: s.comment, at: s.at.toISOString() });

const groupSchema = z.array(z.object({ key: z.string(), name: z.string().optional(), count: z.number(), average: z.number() }));
const text = (max: number) => z.string().trim().min(1).max(max);

export function registerServiceRequestRoutes(app: FastifyInstance, service: ServiceRequestService): void {
  const r = withZod(app);

  r.post('/api/service-requests', {
    config: { roles: intakeRoles },
    schema: {
      tags: ['customer service'],
      summary: 'A new request: owners for their own unit (channel portal); the service desk for any unit or building (phone, api, alarm)',
      body: z.strictObject({
        channel: z.enum(['phone', 'api', 'alarm']).optional(),
        unitId: z.number().int().positive().optional(),
        buildingId: text(100).optional(),
        ownerId: z.number().int().positive().optional(),
        contactName: text(200).optional(),
        location: text(500).optional(),
        category: z.enum(categories),
        urgency: z.enum(urgencies).optional(),
        description: text(4000),
      }),
      response: { 201: z.object({ request: requestSchema }) },
    },
    handler: async (req, reply) => {
      const request = await service.create(currentUser(req), req.body);
      return reply.code(201).send({ request: toRequest(request) });
    },
  });

  r.get('/api/service-requests', {
    config: { roles: readerRoles },
    schema: {
      tags: ['customer service'],
      summary: 'Requests: owners see their own; staff those of their buildings',
      querystring: z.object({
        status: z.preprocess((v) => (typeof v === 'string' ? v.split(',') : v), z.array(z.enum(requestStatuses))).optional(),
        building: z.string().min(1).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: { 200: z.object({ requests: z.array(requestSchema) }) },
    },
    handler: async (req) => ({ requests: (await service.list(currentUser(req), req.query)).map(toRequest) }),
  });

  r.get('/api/service-requests/:id', {
    config: { roles: readerRoles },
    schema: {
      tags: ['customer service'],
      summary: 'One request with its timeline and survey; its status follows its work order',
      params: id,
      response: { 200: z.object({ request: requestSchema, events: z.array(eventSchema), survey: surveySchema.nullable() }) },
    },
    handler: async (req) => {
      const { request, events, survey } = await service.get(currentUser(req), req.params.id);
      return { request: toRequest(request), events: events.map(toEvent), survey: survey && toSurvey(survey) };
    },
  });

  r.post('/api/service-requests/:id/classify', {
    config: { roles: serviceDeskRoles },
    schema: {
      tags: ['customer service'],
      summary: 'Classify (category, urgency) and open the standard work order, dispatched at once',
      params: id,
      body: z.strictObject({ category: z.enum(categories).optional(), urgency: z.enum(urgencies).optional(), note: text(2000).optional() }),
      response: { 200: z.object({ request: requestSchema }) },
    },
    handler: async (req) => ({ request: toRequest(await service.classify(currentUser(req), req.params.id, req.body)) }),
  });

  r.post('/api/service-requests/:id/reject', {
    config: { roles: serviceDeskRoles },
    schema: { tags: ['customer service'], summary: 'Turn down a request without a work order', params: id, body: z.strictObject({ reason: text(2000) }), response: { 200: z.object({ request: requestSchema }) } },
    handler: async (req) => ({ request: toRequest(await service.reject(currentUser(req), req.params.id, req.body.reason)) }),
  });

  r.post('/api/service-requests/:id/events', {
    config: { roles: staffRoles },
    schema: {
      tags: ['customer service'],
      summary: 'A note or an exception on the timeline, with photos (URLs or evidence ids) and where',
      params: id,
      body: z.strictObject({ action: z.enum(noteActions), note: text(4000), photos: z.array(text(1000)).max(20).optional(), location: text(500).optional() }),
      response: { 201: z.object({ events: z.array(eventSchema) }) },
    },
    handler: async (req, reply) => reply.code(201).send({ events: (await service.addEvent(currentUser(req), req.params.id, req.body)).map(toEvent) }),
  });

  r.post('/api/service-requests/:id/survey', {
    config: { roles: readerRoles },
    schema: {
      tags: ['customer service'],
      summary: 'The requester rates a closed request, once',
      params: id,
      body: z.strictObject({ score: z.number().int().min(1).max(5), comment: text(2000).optional() }),
      response: { 201: z.object({ survey: surveySchema }) },
    },
    handler: async (req, reply) => reply.code(201).send({ survey: toSurvey(await service.survey(currentUser(req), req.params.id, req.body)) }),
  });

  r.get('/api/service/satisfaction', {
    config: { roles: ['admin', 'manager', 'clerk'] },
    schema: {
      tags: ['customer service'],
      summary: 'Satisfaction in [from, to): average and count overall, by category, building, staff and month (the periodic report)',
      querystring: z.object({ from: z.coerce.date().optional(), to: z.coerce.date().optional(), building: z.string().min(1).optional() }),
      response: { 200: z.object({ count: z.number(), average: z.number(), byCategory: groupSchema, byBuilding: groupSchema, byStaff: groupSchema, byMonth: groupSchema }) },
    },
    handler: async (req) => service.satisfaction(currentUser(req), req.query),
  });
}
