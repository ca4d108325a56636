import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { staffRoles } from '../auth/roles.js';
import { currentUser, withZod } from '../http/server.js';
import { staffRecordRoles } from './records-access.js';
import { phoneSchema, tradeSchema } from './records-import.schemas.js';
import type { RecordsModule } from './records.module.js';
import type { StaffRecordRow } from './staff-records.repository.js';
import type { WorkFigures } from './staff-records.service.js';

const staffRecordSchema = z.object({
  id: z.number(),
  name: z.string(),
  position: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  trades: z.array(z.string()),
  buildings: z.array(z.string()).describe('empty: the whole estate'),
  active: z.boolean(),
  user: z.object({ id: z.number(), username: z.string(), role: z.string() }).nullable().describe('the login, whose role gives the permissions'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const toStaffRecord = (s: StaffRecordRow): z.infer<typeof staffRecordSchema> => ({
  id: s.id,
  name: s.name,
  position: s.position,
  phone: s.phone,
  email: s.email,
  trades: s.trades,
  buildings: s.buildings,
  active: s.active,
  user: s.user_id === null ? null : { id: s.user_id, username: s.username ?? '', role: s.role ?? '' },
  createdAt: s.created_at.toISOString(),
  updatedAt: s.updated_at.toISOString(),
});

const figuresSchema = z.object({
  done: z.number().describe('work orders resolved (or resolved and closed) as the assignee'),
  timeSpentSeconds: z.number().describe('sum of accepted → resolved over those accepted'),
  averageSeconds: z.number().nullable(),
  slaKept: z.number().describe('resolved by the resolve deadline and accepted by the accept deadline'),
  slaKeptPercent: z.number().nullable(),
});

const params = z.object({ id: z.coerce.number().int().positive() });
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'expected a date (YYYY-MM-DD) or a date-time with offset' });

const staffFields = {
  name: z.string().trim().min(1, 'is required').max(100),
  position: z.string().trim().max(100).nullish(),
  phone: phoneSchema.nullish(),
  email: z.email('expected an e-mail address').max(254).nullish(),
  trades: z.array(tradeSchema).max(20).optional(),
  buildings: z.array(z.string().min(1).max(64)).max(100).optional().describe('empty: the whole estate'),
  active: z.boolean().optional(),
  userId: z.number().int().positive().nullish().describe('an existing staff login (its role gives the permissions)'),
};

/** A date alone is midnight UTC+8 (the estates' time); a date-time says its own offset. */
function toInstant(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  return new Date(value.length === 10 ? `${value}T00:00:00+08:00` : value);
}

/** Staff records (under /api/records/staff; /api/staff is dispatch's view) and work records for performance review. */
export function registerStaffRecordRoutes(app: FastifyInstance, records: RecordsModule): void {
  const r = withZod(app);

  r.get('/api/records/staff', {
    config: { roles: staffRecordRoles },
    logLevel: 'warn',
    schema: {
      tags: ['records'],
      summary: 'Staff records: position, contacts, trades, buildings, login and role; paginated',
      querystring: z.object({
        q: z.string().trim().min(1).max(100).optional().describe('part of the name, position or e-mail'),
        trade: tradeSchema.optional(),
        building: z.string().min(1).max(64).optional(),
        active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
        page: z.coerce.number().int().min(1).default(1),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      response: { 200: z.object({ staff: z.array(staffRecordSchema), total: z.number(), page: z.number(), limit: z.number() }) },
    },
    handler: async (req) => {
      const { rows, total } = await records.staff.search(currentUser(req), req.query);
      return { staff: rows.map(toStaffRecord), total, page: req.query.page, limit: req.query.limit };
    },
  });

  r.post('/api/records/staff', {
    config: { roles: staffRecordRoles },
    schema: { tags: ['records'], summary: 'Record a member of staff (e-mail addresses are unique)', body: z.strictObject(staffFields), response: { 201: z.object({ staff: staffRecordSchema }) } },
    handler: async (req, reply) => reply.code(201).send({ staff: toStaffRecord(await records.staff.create(currentUser(req), req.body, req.ip)) }),
  });

  r.get('/api/records/staff/:id', {
    config: { roles: staffRecordRoles },
    schema: {
      tags: ['records'],
      summary: 'A member of staff with their shifts of the last week and those planned',
      params,
      response: { 200: z.object({ staff: staffRecordSchema, shifts: z.array(z.object({ id: z.number(), startsAt: z.string(), endsAt: z.string() })) }) },
    },
    handler: async (req) => {
      const { staff, shifts } = await records.staff.get(currentUser(req), req.params.id);
      return { staff: toStaffRecord(staff), shifts: shifts.map((s) => ({ id: s.id, startsAt: s.starts_at.toISOString(), endsAt: s.ends_at.toISOString() })) };
    },
  });

  r.patch('/api/records/staff/:id', {
    config: { roles: staffRecordRoles },
    schema: {
      tags: ['records'],
      summary: 'Correct a member of staff; buildings and trades are replaced as given',
      params,
      body: z
        .strictObject(staffFields)
        .partial()
        .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'nothing to change' }),
      response: { 200: z.object({ staff: staffRecordSchema }) },
    },
    handler: async (req) => ({ staff: toStaffRecord(await records.staff.update(currentUser(req), req.params.id, req.body, req.ip)) }),
  });

  r.get('/api/staff/:id/work-record', {
    config: { roles: staffRoles },
    schema: {
      tags: ['records'],
      summary: 'Work record for performance review: work orders done, time spent, SLA kept, by month (managers: anyone; staff: themselves)',
      params,
      querystring: z
        .object({ from: instant.optional().describe('default: a year before `to`'), to: instant.optional().describe('default: now; excluded') })
        .refine((q) => !q.from || !q.to || toInstant(q.from)! < toInstant(q.to)!, { message: 'must be before to', path: ['from'] }),
      response: {
        200: z.object({
          staffId: z.number(),
          name: z.string(),
          from: z.string(),
          to: z.string(),
          openNow: z.number().describe('assigned to them and not yet resolved'),
          total: figuresSchema,
          months: z.array(figuresSchema.extend({ month: z.string().describe('YYYY-MM, local time of the site') })),
        }),
      },
    },
    handler: async (req) => {
      const w = await records.staff.workRecord(currentUser(req), req.params.id, { from: toInstant(req.query.from), to: toInstant(req.query.to) });
      return { ...w, from: w.from.toISOString(), to: w.to.toISOString(), total: w.total satisfies WorkFigures };
    },
  });
}
