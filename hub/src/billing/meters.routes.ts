import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentUser, withZod } from '../http/server.js';
import { billingStaffRoles } from './billing.module.js';
import { meterKinds } from './fees.service.js';
import { readingFlags } from './meter-readings.js';
import type { MeterService } from './meters.service.js';
import { periodSchema } from './period.js';

const id = z.object({ id: z.coerce.number().int().positive() });
const text = (max: number) => z.string().trim().min(1).max(max);
/** An exact decimal (string or JSON number) with at most `places` decimals, 0 or more. */
const decimal = (places: number) =>
  z.union([z.string(), z.number()]).transform((v) => String(v).trim()).pipe(z.string().regex(new RegExp(`^\\d{1,11}(\\.\\d{1,${places}})?$`), `a number ≥ 0 with at most ${places} decimals`));
const instant = z.string().datetime({ offset: true });

const meterSchema = z.object({
  id: z.number(),
  deviceId: z.number(),
  deviceCode: z.string(),
  metric: z.string(),
  kind: z.enum(meterKinds),
  buildingId: z.string(),
  unitId: z.number().nullable(),
  unitNumber: z.string().nullable(),
  rolloverAt: z.string().nullable(),
  multiplier: z.string(),
  initialValue: z.string(),
  installedAt: z.string(),
  removedAt: z.string().nullable(),
  finalValue: z.string().nullable(),
  replacesId: z.number().nullable(),
});

const readingStatuses = ['ok', 'flagged', 'confirmed', 'corrected'] as const;
const readingSchema = z.object({
  id: z.number(),
  meterId: z.number(),
  buildingId: z.string(),
  unitId: z.number().nullable(),
  unitNumber: z.string().nullable(),
  kind: z.enum(meterKinds),
  period: z.string(),
  startValue: z.string().nullable(),
  startAt: z.string().nullable(),
  endValue: z.string().nullable(),
  endAt: z.string().nullable(),
  consumption: z.string().nullable(),
  usual: z.string().nullable(),
  source: z.enum(['telemetry', 'estimated', 'manual']),
  flags: z.array(z.enum(readingFlags)),
  status: z.enum(readingStatuses),
  resolvedBy: z.string().nullable(),
});

export function registerMeterRoutes(app: FastifyInstance, meters: MeterService): void {
  const r = withZod(app);
  const config = { roles: billingStaffRoles };

  r.get('/api/billing/meters', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'Meters (open and replaced) of the buildings you work on',
      querystring: z.object({ building: z.string().min(1).optional(), unit: z.coerce.number().int().positive().optional() }),
      response: { 200: z.object({ meters: z.array(meterSchema) }) },
    },
    handler: async (req) => ({ meters: await meters.list(currentUser(req), req.query) }),
  });

  r.post('/api/billing/meters', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'Registers a device\'s cumulative metric as the meter of a unit, or of its building\'s shared area without unitId (audited)',
      body: z.strictObject({
        deviceId: z.number().int().positive().optional(),
        deviceCode: text(200).optional(),
        metric: text(100),
        kind: z.enum(meterKinds),
        unitId: z.number().int().positive().optional(),
        rolloverAt: decimal(3).optional(),
        multiplier: decimal(4).refine((m) => Number(m) > 0, 'more than 0').optional(),
        initialValue: decimal(3).optional(),
        installedAt: instant.optional(),
      }),
      response: { 201: z.object({ meter: meterSchema }) },
    },
    handler: async (req, reply) => reply.code(201).send({ meter: await meters.create(currentUser(req), req.body) }),
  });

  r.post('/api/billing/meters/:id/replace', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'Closes a meter at its final value and opens the new one at its initial value (audited)',
      params: id,
      body: z.strictObject({
        finalValue: decimal(3),
        newDeviceId: z.number().int().positive().optional(),
        newDeviceCode: text(200).optional(),
        newMetric: text(100).optional(),
        initialValue: decimal(3),
        at: instant.optional(),
      }),
      response: { 200: z.object({ old: meterSchema, meter: meterSchema }) },
    },
    handler: async (req) => meters.replace(currentUser(req), req.params.id, req.body),
  });

  r.post('/api/billing/readings/check', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'Reads the period\'s meter registers from telemetry and checks them; re-checking replaces unresolved readings',
      body: z.strictObject({ period: periodSchema, buildingId: text(100).optional() }),
      response: { 200: z.object({ checked: z.number(), ok: z.number(), flagged: z.number(), readings: z.array(readingSchema) }) },
    },
    handler: async (req) => {
      const readings = await meters.check(currentUser(req), req.body.period, req.body.buildingId);
      return {
        checked: readings.length,
        ok: readings.filter((x) => x.status !== 'flagged').length,
        flagged: readings.filter((x) => x.status === 'flagged').length,
        readings,
      };
    },
  });

  r.get('/api/billing/readings', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'Period readings (values exact, as strings)',
      querystring: z.object({ period: periodSchema.optional(), building: z.string().min(1).optional(), status: z.enum(readingStatuses).optional() }),
      response: { 200: z.object({ readings: z.array(readingSchema) }) },
    },
    handler: async (req) => ({ readings: await meters.readings(currentUser(req), req.query) }),
  });

  r.post('/api/billing/readings/:id/confirm', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'Accepts a flagged reading as it is, with the reason (audited)',
      params: id,
      body: z.strictObject({ reason: text(1000) }),
      response: { 200: z.object({ reading: readingSchema }) },
    },
    handler: async (req) => ({ reading: await meters.confirm(currentUser(req), req.params.id, req.body.reason) }),
  });

  r.post('/api/billing/readings/:id/correct', {
    config,
    schema: {
      tags: ['billing'],
      summary: 'Corrects a reading\'s register values or consumption, with the reason (audited)',
      params: id,
      body: z.strictObject({ startValue: decimal(3).optional(), endValue: decimal(3).optional(), consumption: decimal(3).optional(), reason: text(1000) }),
      response: { 200: z.object({ reading: readingSchema }) },
    },
    handler: async (req) => ({ reading: await meters.correct(currentUser(req), req.params.id, req.body) }),
  });
}
