import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentUser, withZod } from '../http/server.js';
import { billingStaffRoles } from './billing.module.js';
import type { BillRunService } from './bill-run.service.js';
import { periodSchema } from './period.js';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar date');
const runBody = z.strictObject({ period: periodSchema, buildingId: z.string().trim().min(1).max(100).optional(), issuedOn: date.optional() });
const blockedSchema = z.array(z.object({ unitId: z.number(), reason: z.string() }));

const lineSchema = z.object({
  feeItemId: z.number(),
  description: z.string(),
  quantity: z.string(),
  unitPriceFen: z.string(),
  amountFen: z.number(),
  meterReadingId: z.number().nullable(),
});
const draftSchema = z.object({
  unitId: z.number(),
  unitNumber: z.string(),
  buildingId: z.string(),
  ownerId: z.number().nullable(),
  issuedOn: z.string(),
  dueOn: z.string(),
  totalFen: z.number(),
  lines: z.array(lineSchema),
});
const runSchema = z.object({
  id: z.number(),
  period: z.string(),
  buildingId: z.string().nullable(),
  status: z.enum(['running', 'done', 'failed']),
  hubId: z.string().nullable(),
  startedBy: z.string(),
  billsCreated: z.number(),
  billsExisting: z.number(),
  unitsSkipped: z.number(),
  totalFen: z.number(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
  blocked: blockedSchema.optional(),
});

export function registerBillRunRoutes(app: FastifyInstance, runs: BillRunService): void {
  const r = withZod(app);
  const config = { roles: billingStaffRoles };

  r.post('/api/billing/runs/preview', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'What a bill run would make now (nothing is written): drafts, total, blocked units, bills existing',
      body: runBody,
      response: {
        200: z.object({
          period: z.string(),
          units: z.number(),
          billCount: z.number(),
          bills: z.array(draftSchema),
          totalFen: z.number(),
          blocked: blockedSchema,
          existing: z.number(),
          unitsSkipped: z.number(),
        }),
      },
    },
    handler: async (req) => runs.preview(currentUser(req), req.body),
  });

  r.post('/api/billing/runs', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'Bills the period (one bill per unit, however often or wherever it runs); units with unresolved readings are listed as blocked',
      body: runBody,
      response: { 201: z.object({ run: runSchema }) },
    },
    handler: async (req, reply) => reply.code(201).send({ run: await runs.run(currentUser(req), req.body) }),
  });

  r.get('/api/billing/runs', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'Bill runs, newest first',
      querystring: z.object({ period: periodSchema.optional() }),
      response: { 200: z.object({ runs: z.array(runSchema) }) },
    },
    handler: async (req) => ({ runs: await runs.list(currentUser(req), req.query) }),
  });
}
