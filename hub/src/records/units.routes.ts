import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentUser, withZod } from '../http/server.js';
import { recordsReaderRoles, recordsWriterRoles } from './records-access.js';
import type { RecordsModule } from './records.module.js';
import { associationRoles, unitSorts, unitStatuses, type AssociationRow, type StatusHistoryRow, type UnitRow } from './units.repository.js';

const iso = (d: Date) => d.toISOString();

export const unitSchema = z.object({
  id: z.number(),
  buildingId: z.string(),
  buildingName: z.string(),
  floor: z.string().nullable().describe('floor code as printed in the lift'),
  number: z.string(),
  location: z.string().nullable(),
  areaM2: z.number().nullable(),
  layout: z.string().nullable(),
  status: z.enum(unitStatuses),
  statusChangedAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  occupants: z.array(z.object({ ownerId: z.number(), name: z.string(), role: z.enum(associationRoles) })).describe('who holds, rents or lives in it today'),
});

export const toUnit = (u: UnitRow): z.infer<typeof unitSchema> => ({
  id: u.id,
  buildingId: u.building_id,
  buildingName: u.building_name,
  floor: u.floor,
  number: u.number,
  location: u.location,
  areaM2: u.area_m2,
  layout: u.layout,
  status: u.status,
  statusChangedAt: iso(u.status_changed_at),
  createdAt: iso(u.created_at),
  updatedAt: iso(u.updated_at),
  occupants: u.occupants,
});

const historySchema = z.object({
  id: z.number(),
  from: z.enum(unitStatuses).nullable().describe('null: the unit was created with `to`'),
  to: z.enum(unitStatuses),
  at: z.string(),
  by: z.string(),
  reason: z.string().nullable(),
});

const toHistory = (h: StatusHistoryRow): z.infer<typeof historySchema> => ({ id: h.id, from: h.from_status, to: h.to_status, at: iso(h.at), by: h.actor, reason: h.reason });

export const associationSchema = z.object({
  id: z.number(),
  unitId: z.number(),
  ownerId: z.number(),
  ownerName: z.string(),
  role: z.enum(associationRoles),
  fromDate: z.string(),
  toDate: z.string().nullable().describe('last day, included; null: open'),
  current: z.boolean(),
  createdBy: z.string(),
  endedBy: z.string().nullable(),
  endReason: z.string().nullable(),
});

const toAssociation = (a: AssociationRow): z.infer<typeof associationSchema> => ({
  id: a.id,
  unitId: a.unit_id,
  ownerId: a.owner_id,
  ownerName: a.owner_name,
  role: a.role,
  fromDate: a.from_date,
  toDate: a.to_date,
  current: a.current,
  createdBy: a.created_by,
  endedBy: a.ended_by,
  endReason: a.end_reason,
});

const detailSchema = z.object({ unit: unitSchema, history: z.array(historySchema), associations: z.array(associationSchema) });

const params = z.object({ id: z.coerce.number().int().positive() });
const text = (max: number) => z.string().trim().min(1).max(max);
const isoDate = z.iso.date('expected a date as YYYY-MM-DD');
const area = z.number().positive('expected an area above 0').max(999_999, 'expected an area below 1,000,000 m²');

const unitBody = z.strictObject({
  buildingId: text(64),
  number: text(32),
  floor: text(16).nullish().describe('floor code of the building, as printed in the lift'),
  location: z.string().trim().max(200).nullish(),
  areaM2: area.nullish(),
  layout: z.string().trim().max(64).nullish().describe('e.g. "3室2厅" or "2BR"'),
  status: z.enum(unitStatuses).optional().describe('default vacant'),
});

const unitPatch = unitBody
  .omit({ buildingId: true, status: true })
  .partial()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'nothing to change' });

/** Units: search, CRUD, status with history, owner associations. */
export function registerUnitRoutes(app: FastifyInstance, records: RecordsModule): void {
  const r = withZod(app);

  r.get('/api/units', {
    config: { roles: recordsReaderRoles },
    // The query may carry owners' names: no request line in the info log.
    logLevel: 'warn',
    schema: {
      tags: ['records'],
      summary: 'Search units (owners: their own units only); paginated',
      querystring: z
        .object({
          building: text(64).optional(),
          floor: text(16).optional().describe('floor code'),
          status: z
            .preprocess((v) => (typeof v === 'string' ? v.split(',') : v), z.array(z.enum(unitStatuses)))
            .optional()
            .describe('one or more statuses: repeated, or comma-separated'),
          minArea: z.coerce.number().nonnegative().optional().describe('m², included'),
          maxArea: z.coerce.number().positive().optional().describe('m², included'),
          owner: text(100).optional().describe("an owner's id, or part of the name of a current owner, tenant or resident"),
          q: text(100).optional().describe('part of the number, layout, location or a current occupant\'s name'),
          sort: z.enum(unitSorts).default('number'),
          order: z.enum(['asc', 'desc']).default('asc'),
          page: z.coerce.number().int().min(1).default(1),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        })
        .refine((q) => q.minArea === undefined || q.maxArea === undefined || q.minArea <= q.maxArea, { message: 'must not be above maxArea', path: ['minArea'] }),
      response: { 200: z.object({ units: z.array(unitSchema), total: z.number(), page: z.number(), limit: z.number() }) },
    },
    handler: async (req) => {
      const { rows, total } = await records.units.search(currentUser(req), req.query);
      return { units: rows.map(toUnit), total, page: req.query.page, limit: req.query.limit };
    },
  });

  r.post('/api/units', {
    config: { roles: recordsWriterRoles },
    schema: { tags: ['records'], summary: 'Record a unit', body: unitBody, response: { 201: z.object({ unit: unitSchema }) } },
    handler: async (req, reply) => reply.code(201).send({ unit: toUnit(await records.units.create(currentUser(req), req.body, req.ip)) }),
  });

  r.get('/api/units/:id', {
    config: { roles: recordsReaderRoles },
    schema: { tags: ['records'], summary: 'A unit with its status history and who held, rented or lived in it', params, response: { 200: detailSchema } },
    handler: async (req) => {
      const d = await records.units.get(currentUser(req), req.params.id);
      return { unit: toUnit(d.unit), history: d.history.map(toHistory), associations: d.associations.map(toAssociation) };
    },
  });

  r.patch('/api/units/:id', {
    config: { roles: recordsWriterRoles },
    schema: { tags: ['records'], summary: 'Correct a unit (number, floor, location, area, layout); the status has its own step', params, body: unitPatch, response: { 200: z.object({ unit: unitSchema }) } },
    handler: async (req) => ({ unit: toUnit(await records.units.update(currentUser(req), req.params.id, req.body, req.ip)) }),
  });

  r.delete('/api/units/:id', {
    config: { roles: recordsWriterRoles },
    schema: { tags: ['records'], summary: 'Delete a unit entered by mistake (only one nobody was ever associated with)', params, response: { 204: z.null() } },
    handler: async (req, reply) => {
      await records.units.remove(currentUser(req), req.params.id, req.ip);
      return reply.code(204).send(null);
    },
  });

  r.post('/api/units/:id/status', {
    config: { roles: recordsWriterRoles },
    schema: {
      tags: ['records'],
      summary: 'Change the status (occupied, vacant, rented, under repair, renovation); kept in the history with the reason',
      params,
      body: z.strictObject({ status: z.enum(unitStatuses), reason: z.string().trim().max(500).optional() }),
      response: { 200: detailSchema },
    },
    handler: async (req) => {
      const d = await records.units.changeStatus(currentUser(req), req.params.id, req.body.status, req.body.reason || null, req.ip);
      return { unit: toUnit(d.unit), history: d.history.map(toHistory), associations: d.associations.map(toAssociation) };
    },
  });

  r.post('/api/units/:id/owners', {
    config: { roles: recordsWriterRoles },
    schema: {
      tags: ['records'],
      summary: 'Associate an owner, tenant or resident with the unit from a date (optionally to a date)',
      params,
      body: z
        .strictObject({ ownerId: z.number().int().positive(), role: z.enum(associationRoles), fromDate: isoDate, toDate: isoDate.nullish().describe('last day, included') })
        .refine((b) => !b.toDate || b.toDate >= b.fromDate, { message: 'must not be before fromDate', path: ['toDate'] }),
      response: { 201: z.object({ association: associationSchema }) },
    },
    handler: async (req, reply) => reply.code(201).send({ association: toAssociation(await records.units.addAssociation(currentUser(req), req.params.id, req.body, req.ip)) }),
  });

  r.post('/api/units/:id/owners/:associationId/end', {
    config: { roles: recordsWriterRoles },
    schema: {
      tags: ['records'],
      summary: 'End an association on a date (its last day)',
      params: params.extend({ associationId: z.coerce.number().int().positive() }),
      body: z.strictObject({ toDate: isoDate, reason: z.string().trim().max(500).optional() }),
      response: { 200: z.object({ association: associationSchema }) },
    },
    handler: async (req) => ({
      association: toAssociation(await records.units.endAssociation(currentUser(req), req.params.id, req.params.associationId, req.body.toDate, req.body.reason || null, req.ip)),
    }),
  });
}
