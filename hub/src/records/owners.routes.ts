import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentUser, withZod } from '../http/server.js';
import type { OwnerView } from './owners.service.js';
import { idTypes, nationalIdProblem, normaliseNationalId } from './personal-data.js';
import { contactRoles, idRevealRoles, recordsReaderRoles, recordsWriterRoles } from './records-access.js';
import { phoneSchema } from './records-import.schemas.js';
import type { RecordsModule } from './records.module.js';
import { associationRoles } from './units.repository.js';

export const ownerSchema = z.object({
  id: z.number(),
  name: z.string(),
  idType: z.enum(idTypes),
  nationalIdMasked: z.string().describe('always masked; the clear number only through reveal-id'),
  phone: z.string().nullable().describe('masked for guards and technicians'),
  email: z.string().nullable().describe('masked for guards and technicians'),
  contactsMasked: z.boolean(),
  userId: z.number().nullable().describe('the owner-portal login of this person'),
  username: z.string().nullable(),
  notes: z.string().nullable(),
  units: z.array(z.object({ associationId: z.number(), unitId: z.number(), buildingId: z.string(), number: z.string(), role: z.enum(associationRoles) })).describe('current associations'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const toOwner = (o: OwnerView): z.infer<typeof ownerSchema> => ({ ...o, createdAt: o.createdAt.toISOString(), updatedAt: o.updatedAt.toISOString() });

const params = z.object({ id: z.coerce.number().int().positive() });
const nationalId = z.string().trim().min(1, 'is required').max(40);

const ownerFields = {
  name: z.string().trim().min(1, 'is required').max(100),
  idType: z.enum(idTypes).optional().describe('default resident_id (居民身份证, checked with its check digit)'),
  nationalId,
  phone: phoneSchema.nullish(),
  email: z.email('expected an e-mail address').max(254).nullish(),
  userId: z.number().int().positive().nullish().describe('an existing login of role owner'),
  notes: z.string().trim().max(2000).nullish(),
};

const ownerBody = z.strictObject(ownerFields).superRefine((b, ctx) => {
  const problem = nationalIdProblem(normaliseNationalId(b.nationalId), b.idType ?? 'resident_id');
  if (problem) ctx.addIssue({ code: 'custom', path: ['nationalId'], message: problem });
});

const ownerPatch = z
  .strictObject(ownerFields)
  .partial()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'nothing to change' });

/** Owners: search, record, correct, look up by ID number, reveal an ID number (audited). */
export function registerOwnerRoutes(app: FastifyInstance, records: RecordsModule): void {
  const r = withZod(app);

  r.get('/api/owners', {
    config: { roles: recordsReaderRoles },
    // The query may carry a name: no request line in the info log.
    logLevel: 'warn',
    schema: {
      tags: ['records'],
      summary: 'Search owners (an owner-portal user: themselves); ID numbers masked for everyone, contacts for guards and technicians',
      querystring: z.object({
        q: z.string().trim().min(1).max(100).optional().describe('part of the name'),
        unit: z.coerce.number().int().positive().optional().describe('associated with this unit today'),
        page: z.coerce.number().int().min(1).default(1),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      response: { 200: z.object({ owners: z.array(ownerSchema), total: z.number(), page: z.number(), limit: z.number() }) },
    },
    handler: async (req) => {
      const { rows, total } = await records.owners.search(currentUser(req), req.query);
      return { owners: rows.map(toOwner), total, page: req.query.page, limit: req.query.limit };
    },
  });

  r.post('/api/owners', {
    config: { roles: recordsWriterRoles },
    schema: { tags: ['records'], summary: 'Record an owner; the ID number is encrypted, and must not be recorded already', body: ownerBody, response: { 201: z.object({ owner: ownerSchema }) } },
    handler: async (req, reply) => reply.code(201).send({ owner: toOwner(await records.owners.create(currentUser(req), req.body, req.ip)) }),
  });

  // A POST, so the number travels in the body and never in a URL (request logs, proxies, browser history).
  r.post('/api/owners/lookup', {
    config: { roles: contactRoles },
    schema: {
      tags: ['records'],
      summary: 'Find the owner with exactly this ID number (through its blind index); audited',
      body: z.strictObject({ nationalId }),
      response: { 200: z.object({ owner: ownerSchema.nullable() }) },
    },
    handler: async (req) => {
      const owner = await records.owners.lookup(currentUser(req), req.body.nationalId, req.ip);
      return { owner: owner && toOwner(owner) };
    },
  });

  r.get('/api/owners/:id', {
    config: { roles: recordsReaderRoles },
    schema: { tags: ['records'], summary: 'One owner, with their current units', params, response: { 200: z.object({ owner: ownerSchema }) } },
    handler: async (req) => ({ owner: toOwner(await records.owners.get(currentUser(req), req.params.id)) }),
  });

  r.patch('/api/owners/:id', {
    config: { roles: recordsWriterRoles },
    schema: { tags: ['records'], summary: 'Correct an owner; null clears phone, e-mail, login or notes', params, body: ownerPatch, response: { 200: z.object({ owner: ownerSchema }) } },
    handler: async (req) => ({ owner: toOwner(await records.owners.update(currentUser(req), req.params.id, req.body, req.ip)) }),
  });

  r.post('/api/owners/:id/reveal-id', {
    config: { roles: idRevealRoles },
    schema: {
      tags: ['records'],
      summary: 'The ID number in clear, for admins, managers and clerks; every reveal is audited with who, when and why',
      params,
      body: z.strictObject({ reason: z.string().trim().min(3, 'say why the number is needed (at least 3 characters)').max(500) }),
      response: { 200: z.object({ ownerId: z.number(), idType: z.enum(idTypes), nationalId: z.string() }) },
    },
    handler: async (req, reply) => {
      const revealed = await records.owners.revealNationalId(currentUser(req), req.params.id, req.body.reason, req.ip);
      // Personal data in clear: not for any cache between here and the browser.
      reply.header('cache-control', 'no-store');
      return { ownerId: req.params.id, ...revealed };
    },
  });
}
