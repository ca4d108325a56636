import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentUser, withZod } from '../http/server.js';
import { billingStaffRoles } from './billing.module.js';
import { cycleMonths, feeBases, meterKinds, type FeeScheduleService } from './fees.service.js';
import { periodSchema } from './period.js';

const id = z.object({ id: z.coerce.number().int().positive() });
const unitParams = z.object({ unitId: z.coerce.number().int().positive() });
const text = (max: number) => z.string().trim().min(1).max(max);
/** An exact rate in fen: a string or a JSON number with up to 4 decimals (0.568 yuan/kWh = "56.8"). */
const rateFen = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim())
  .pipe(z.string().regex(/^\d{1,10}(\.\d{1,4})?$/, 'a rate in fen, at most 4 decimals'));
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar date');

const settings = {
  name: text(200),
  nameZh: text(200).optional(),
  cycleMonths: z.number().int().refine((n) => (cycleMonths as readonly number[]).includes(n), 'one of 1, 2, 3, 6, 12').optional(),
  dueDays: z.number().int().min(0).max(365).optional(),
  lateDailyBp: z.number().int().min(0).max(10_000).optional(),
  lateCapBp: z.number().int().min(0).max(100_000).optional(),
  lateGraceDays: z.number().int().min(0).max(365).optional(),
};

const rateSchema = z.object({ id: z.number(), buildingId: z.string().nullable(), unitLayout: z.string().nullable(), rateFen: z.string(), effectiveFrom: z.string(), createdBy: z.string() });
const itemSchema = z.object({
  id: z.number(),
  code: z.string(),
  name: z.string(),
  nameZh: z.string().nullable(),
  basis: z.enum(feeBases),
  meterKind: z.enum(meterKinds).nullable(),
  cycleMonths: z.number(),
  dueDays: z.number(),
  lateDailyBp: z.number(),
  lateCapBp: z.number(),
  lateGraceDays: z.number(),
  active: z.boolean(),
  rates: z.array(rateSchema),
});
const chargeSchema = z.object({
  id: z.number(),
  unitId: z.number(),
  feeItemId: z.number(),
  feeItemCode: z.string(),
  quantity: z.string(),
  amountFen: z.number().nullable(),
  description: z.string().nullable(),
  fromPeriod: z.string(),
  toPeriod: z.string().nullable(),
  createdBy: z.string(),
});

export function registerFeeRoutes(app: FastifyInstance, fees: FeeScheduleService): void {
  const r = withZod(app);
  const config = { roles: billingStaffRoles };

  r.get('/api/billing/fee-items', {
    config,
    schema: { tags: ['billing'], summary: 'Fee items with their rates', response: { 200: z.object({ items: z.array(itemSchema) }) } },
    handler: async () => ({ items: await fees.listItems() }),
  });

  r.post('/api/billing/fee-items', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'A new fee item (estate-wide; audited)',
      body: z.strictObject({ code: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,39}$/, 'lower-case letters, digits, _ . -'), basis: z.enum(feeBases), meterKind: z.enum(meterKinds).optional(), ...settings }),
      response: { 201: z.object({ item: itemSchema }) },
    },
    handler: async (req, reply) => reply.code(201).send({ item: await fees.createItem(currentUser(req), req.body) }),
  });

  r.patch('/api/billing/fee-items/:id', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'Changes a fee item\'s name, cycle, due-date and late-fee rules, or retires it (audited)',
      params: id,
      body: z.strictObject({ ...settings, name: settings.name.optional(), active: z.boolean().optional() }),
      response: { 200: z.object({ item: itemSchema }) },
    },
    handler: async (req) => ({ item: await fees.updateItem(currentUser(req), req.params.id, req.body) }),
  });

  r.post('/api/billing/fee-items/:id/rates', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'A rate from a date, for the estate, a building, a unit layout or both (audited)',
      params: id,
      body: z.strictObject({ buildingId: text(100).optional(), unitLayout: text(100).optional(), rateFen, effectiveFrom: date }),
      response: { 201: z.object({ rate: rateSchema }) },
    },
    handler: async (req, reply) => reply.code(201).send({ rate: await fees.addRate(currentUser(req), req.params.id, req.body) }),
  });

  r.get('/api/billing/units/:unitId/charges', {
    config,
    schema: { tags: ['billing'], summary: 'A unit\'s parking spaces and one-off charges', params: unitParams, response: { 200: z.object({ charges: z.array(chargeSchema) }) } },
    handler: async (req) => ({ charges: await fees.listCharges(currentUser(req), req.params.unitId) }),
  });

  r.post('/api/billing/units/:unitId/charges', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'Charges a unit a fixed item (quantity, every period from fromPeriod) or a one-off amount (audited)',
      params: unitParams,
      body: z.strictObject({
        feeItemId: z.number().int().positive(),
        quantity: z.union([z.string(), z.number()]).transform((v) => String(v).trim()).pipe(z.string().regex(/^\d{1,8}(\.\d{1,2})?$/, 'a quantity, at most 2 decimals')).refine((q) => Number(q) > 0, 'more than 0').optional(),
        amountFen: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
        description: text(500).optional(),
        fromPeriod: periodSchema,
        toPeriod: periodSchema.optional(),
      }),
      response: { 201: z.object({ charge: chargeSchema }) },
    },
    handler: async (req, reply) => reply.code(201).send({ charge: await fees.addCharge(currentUser(req), req.params.unitId, req.body) }),
  });

  r.post('/api/billing/unit-charges/:id/end', {
    config,
    schema: { tags: ['billing'], summary: 'Ends a recurring charge after a period (audited)', params: id, body: z.strictObject({ toPeriod: periodSchema }), response: { 200: z.object({ charge: chargeSchema }) } },
    handler: async (req) => ({ charge: await fees.endCharge(currentUser(req), req.params.id, req.body.toPeriod) }),
  });
}
