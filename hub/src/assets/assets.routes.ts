import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { staffRoles, type Role } from '../auth/roles.js';
import { currentUser, withZod } from '../http/server.js';
import type { EquipmentRow, EquipmentService } from './equipment.service.js';
import { movementKinds, type MovementRow, type PartRow, type PartsService, type StockRow } from './parts.service.js';

/** Record and change equipment; receive, issue and return parts. */
export const assetWriterRoles: readonly Role[] = ['admin', 'manager', 'technician'];
/** The parts catalogue and stock adjustments. */
export const partsManagerRoles: readonly Role[] = ['admin', 'manager'];
/** Who receives deliveries into a store: the office's clerks keep the stores, besides those who use the parts. */
export const partsReceiverRoles: readonly Role[] = [...assetWriterRoles, 'clerk'];

const iso = (d: Date) => d.toISOString();
const text = (max: number) => z.string().trim().min(1).max(max);
const optText = (max: number) => z.string().trim().max(max).nullish();
const isoDate = z.iso.date('expected a date as YYYY-MM-DD');
const params = z.object({ id: z.coerce.number().int().positive() });
const store = text(64).describe('store / location code');
const qty = z.number().int().positive().max(1_000_000);

const equipmentSchema = z.object({
  id: z.number(),
  code: z.string(),
  name: z.string(),
  type: z.string(),
  model: z.string().nullable(),
  manufacturer: z.string().nullable(),
  serial: z.string().nullable(),
  buildingId: z.string().nullable(),
  floor: z.string().nullable(),
  location: z.string().nullable(),
  installDate: z.string().nullable(),
  warrantyUntil: z.string().nullable(),
  parameters: z.record(z.string(), z.unknown()),
  deviceId: z.number().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const toEquipment = (e: EquipmentRow): z.infer<typeof equipmentSchema> => ({
  id: e.id,
  code: e.code,
  name: e.name,
  type: e.type,
  model: e.model,
  manufacturer: e.manufacturer,
  serial: e.serial,
  buildingId: e.building_id,
  floor: e.floor,
  location: e.location,
  installDate: e.install_date,
  warrantyUntil: e.warranty_until,
  parameters: e.parameters,
  deviceId: e.device_id,
  createdBy: e.created_by,
  createdAt: iso(e.created_at),
  updatedAt: iso(e.updated_at),
});

const equipmentFields = {
  name: text(200),
  type: text(64),
  model: optText(100),
  manufacturer: optText(100),
  serial: optText(100),
  buildingId: text(64).nullish(),
  floor: optText(16),
  location: optText(200),
  installDate: isoDate.nullish(),
  warrantyUntil: isoDate.nullish(),
  parameters: z.record(z.string(), z.unknown()).optional().describe('technical parameters, e.g. {"ratedKw": 7.5}'),
  deviceId: z.number().int().positive().nullish().describe('the monitored device this equipment is'),
};
const datesInOrder = (b: { installDate?: string | null; warrantyUntil?: string | null }) => !b.installDate || !b.warrantyUntil || b.warrantyUntil >= b.installDate;
const equipmentBody = z.strictObject({ code: text(64), ...equipmentFields }).refine(datesInOrder, { message: 'must not be before installDate', path: ['warrantyUntil'] });
const equipmentPatch = z
  .strictObject(equipmentFields)
  .partial()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'nothing to change' })
  .refine(datesInOrder, { message: 'must not be before installDate', path: ['warrantyUntil'] });

const historySchema = z.object({
  equipment: equipmentSchema,
  workOrders: z.array(
    z.object({
      id: z.number(),
      number: z.string(),
      title: z.string(),
      status: z.string(),
      kind: z.string(),
      createdAt: z.string(),
      resolvedAt: z.string().nullable(),
      resolution: z.string().nullable(),
      deviceId: z.number().nullable(),
      parts: z.array(z.object({ partCode: z.string(), partName: z.string(), unit: z.string(), qty: z.number().describe('issued less returned') })),
      readings: z.array(z.object({ metric: z.string(), unit: z.string().nullable(), ts: z.string(), value: z.number().nullable(), valueText: z.string().nullable() })).describe("the device's latest reading of each metric when the work order was opened"),
    }),
  ),
});

const partSchema = z.object({ id: z.number(), code: z.string(), name: z.string(), unit: z.string(), reorderLevel: z.number(), onHand: z.number().describe('all stores'), createdAt: z.string(), updatedAt: z.string() });
const toPart = (p: PartRow): z.infer<typeof partSchema> => ({ id: p.id, code: p.code, name: p.name, unit: p.unit, reorderLevel: p.reorder_level, onHand: p.on_hand, createdAt: iso(p.created_at), updatedAt: iso(p.updated_at) });
const stockSchema = z.object({ partId: z.number(), partCode: z.string(), name: z.string(), unit: z.string(), reorderLevel: z.number(), store: z.string(), qty: z.number(), low: z.boolean(), updatedAt: z.string() });
const toStock = (s: StockRow): z.infer<typeof stockSchema> => ({ partId: s.part_id, partCode: s.code, name: s.name, unit: s.unit, reorderLevel: s.reorder_level, store: s.store, qty: s.qty, low: s.low, updatedAt: iso(s.updated_at) });
const movementSchema = z.object({ id: z.number(), partCode: z.string(), store: z.string(), kind: z.enum(movementKinds), qty: z.number().describe('signed'), balance: z.number().describe('stock in the store after it'), workOrderId: z.number().nullable(), by: z.string(), at: z.string(), note: z.string().nullable() });
const toMovement = (m: MovementRow): z.infer<typeof movementSchema> => ({ id: m.id, partCode: m.code, store: m.store, kind: m.kind, qty: m.qty, balance: m.balance, workOrderId: m.work_order_id, by: m.actor, at: iso(m.at), note: m.note });
const movementsReply = { 201: z.object({ movements: z.array(movementSchema) }) };

const partFields = { name: text(200), unit: text(16).optional().describe('default pcs'), reorderLevel: z.number().int().min(0).max(1_000_000).optional().describe('alert when a store holds this many or fewer') };

/** Equipment ledger and spare parts. */
export function registerAssetRoutes(app: FastifyInstance, services: { equipment: EquipmentService; parts: PartsService }): void {
  const r = withZod(app);
  const { equipment, parts } = services;

  // ------------------------------------------------------------ equipment
  r.get('/api/equipment', {
    config: { roles: staffRoles },
    schema: {
      tags: ['equipment'],
      summary: 'Search equipment by building, type, text; or whose warranty ends within N days',
      querystring: z.object({
        building: text(64).optional(),
        type: text(64).optional(),
        q: text(100).optional().describe('part of the code, name, model, manufacturer, serial or location'),
        warrantyWithinDays: z.coerce.number().int().min(0).max(3650).optional().describe('warranty ending between today and today + N days'),
        page: z.coerce.number().int().min(1).default(1),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      response: { 200: z.object({ equipment: z.array(equipmentSchema), total: z.number(), page: z.number(), limit: z.number() }) },
    },
    handler: async (req) => {
      const { rows, total } = await equipment.search(currentUser(req), req.query);
      return { equipment: rows.map(toEquipment), total, page: req.query.page, limit: req.query.limit };
    },
  });

  r.post('/api/equipment', {
    config: { roles: assetWriterRoles },
    schema: { tags: ['equipment'], summary: 'Record a piece of equipment', body: equipmentBody, response: { 201: z.object({ equipment: equipmentSchema }) } },
    handler: async (req, reply) => reply.code(201).send({ equipment: toEquipment(await equipment.create(currentUser(req), req.body, req.ip)) }),
  });

  r.get('/api/equipment/:id', {
    config: { roles: staffRoles },
    schema: { tags: ['equipment'], summary: 'A piece of equipment', params, response: { 200: z.object({ equipment: equipmentSchema }) } },
    handler: async (req) => ({ equipment: toEquipment(await equipment.get(currentUser(req), req.params.id)) }),
  });

  r.patch('/api/equipment/:id', {
    config: { roles: assetWriterRoles },
    schema: { tags: ['equipment'], summary: 'Correct or complete a piece of equipment', params, body: equipmentPatch, response: { 200: z.object({ equipment: equipmentSchema }) } },
    handler: async (req) => ({ equipment: toEquipment(await equipment.update(currentUser(req), req.params.id, req.body, req.ip)) }),
  });

  r.delete('/api/equipment/:id', {
    config: { roles: partsManagerRoles },
    schema: { tags: ['equipment'], summary: 'Delete equipment recorded by mistake (none with work orders linked to it)', params, response: { 204: z.null() } },
    handler: async (req, reply) => {
      await equipment.remove(currentUser(req), req.params.id, req.ip);
      return reply.code(204).send(null);
    },
  });

  r.get('/api/equipment/:id/history', {
    config: { roles: staffRoles },
    schema: { tags: ['equipment'], summary: 'Maintenance history: work orders (newest first), parts used on each, readings when each was opened', params, response: { 200: historySchema } },
    handler: async (req) => {
      const h = await equipment.history(currentUser(req), req.params.id);
      return {
        equipment: toEquipment(h.equipment),
        workOrders: h.entries.map((e) => ({
          ...e.workOrder,
          createdAt: iso(e.workOrder.createdAt),
          resolvedAt: e.workOrder.resolvedAt ? iso(e.workOrder.resolvedAt) : null,
          parts: e.parts,
          readings: e.readings.map((x) => ({ ...x, ts: iso(x.ts) })),
        })),
      };
    },
  });

  r.put('/api/work-orders/:id/equipment', {
    config: { roles: assetWriterRoles },
    schema: { tags: ['equipment'], summary: 'Say which equipment a work order is on (for its history)', params, body: z.strictObject({ equipmentId: z.number().int().positive() }), response: { 204: z.null() } },
    handler: async (req, reply) => {
      await equipment.linkWorkOrder(currentUser(req), req.params.id, req.body.equipmentId, req.ip);
      return reply.code(204).send(null);
    },
  });

  // ------------------------------------------------------------ parts
  r.get('/api/parts', {
    config: { roles: staffRoles },
    schema: { tags: ['parts'], summary: 'The parts catalogue with stock on hand', querystring: z.object({ q: text(100).optional() }), response: { 200: z.object({ parts: z.array(partSchema) }) } },
    handler: async (req) => ({ parts: (await parts.list(req.query)).map(toPart) }),
  });

  r.post('/api/parts', {
    config: { roles: partsManagerRoles },
    schema: { tags: ['parts'], summary: 'Add a part to the catalogue', body: z.strictObject({ code: text(64), ...partFields }), response: { 201: z.object({ part: partSchema }) } },
    handler: async (req, reply) => reply.code(201).send({ part: toPart(await parts.create(currentUser(req), req.body, req.ip)) }),
  });

  r.patch('/api/parts/:id', {
    config: { roles: partsManagerRoles },
    schema: {
      tags: ['parts'],
      summary: 'Change a part (name, unit, reorder level)',
      params,
      body: z.strictObject(partFields).partial().refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'nothing to change' }),
      response: { 200: z.object({ part: partSchema }) },
    },
    handler: async (req) => ({ part: toPart(await parts.update(currentUser(req), req.params.id, req.body, req.ip)) }),
  });

  r.get('/api/parts/stock', {
    config: { roles: staffRoles },
    schema: { tags: ['parts'], summary: 'Stock per part and store', querystring: z.object({ store: store.optional(), part: text(64).optional().describe('part code') }), response: { 200: z.object({ stock: z.array(stockSchema) }) } },
    handler: async (req) => ({ stock: (await parts.stock(req.query)).map(toStock) }),
  });

  r.get('/api/parts/low-stock', {
    config: { roles: staffRoles },
    schema: { tags: ['parts'], summary: 'Stock at or below its reorder level', response: { 200: z.object({ stock: z.array(stockSchema) }) } },
    handler: async () => ({ stock: (await parts.lowStock()).map(toStock) }),
  });

  r.get('/api/parts/movements', {
    config: { roles: staffRoles },
    schema: {
      tags: ['parts'],
      summary: 'The movements ledger, newest first',
      querystring: z.object({
        part: text(64).optional().describe('part code'),
        store: store.optional(),
        workOrderId: z.coerce.number().int().positive().optional(),
        kind: z.enum(movementKinds).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
      }),
      response: { 200: z.object({ movements: z.array(movementSchema) }) },
    },
    handler: async (req) => ({ movements: (await parts.movements(req.query)).map(toMovement) }),
  });

  r.post('/api/parts/receipts', {
    config: { roles: partsReceiverRoles },
    schema: { tags: ['parts'], summary: 'Receive parts into a store', body: z.strictObject({ partCode: text(64), store, qty, note: optText(500) }), response: movementsReply },
    handler: async (req, reply) => reply.code(201).send({ movements: (await parts.receive(currentUser(req), { ...req.body, note: req.body.note ?? undefined }, req.ip)).map(toMovement) }),
  });

  r.post('/api/parts/returns', {
    config: { roles: assetWriterRoles },
    schema: {
      tags: ['parts'],
      summary: 'Return parts to a store (e.g. unused on a work order)',
      body: z.strictObject({ partCode: text(64), store, qty, workOrderId: z.number().int().positive().optional(), note: optText(500) }),
      response: movementsReply,
    },
    handler: async (req, reply) => reply.code(201).send({ movements: (await parts.returnParts(currentUser(req), { ...req.body, note: req.body.note ?? undefined }, req.ip)).map(toMovement) }),
  });

  r.post('/api/parts/adjustments', {
    config: { roles: partsManagerRoles },
    schema: {
      tags: ['parts'],
      summary: 'Correct stock after a count: a signed quantity and the reason',
      body: z.strictObject({ partCode: text(64), store, qty: z.number().int().min(-1_000_000).max(1_000_000).refine((n) => n !== 0, 'must not be 0'), reason: text(500) }),
      response: movementsReply,
    },
    handler: async (req, reply) => reply.code(201).send({ movements: (await parts.adjust(currentUser(req), req.body, req.ip)).map(toMovement) }),
  });

  r.post('/api/work-orders/:id/parts', {
    config: { roles: assetWriterRoles },
    schema: {
      tags: ['parts'],
      summary: 'Issue parts from a store to a work order: all of them, or none if any is short (409 WARDEN_ERR_INSUFFICIENT_STOCK)',
      params,
      body: z.strictObject({
        store: store.default('main'),
        parts: z.array(z.strictObject({ partCode: text(64), qty })).min(1).max(100),
        note: optText(500),
      }),
      response: movementsReply,
    },
    handler: async (req, reply) =>
      reply.code(201).send({ movements: (await parts.issueToWorkOrder(currentUser(req), req.params.id, { ...req.body, note: req.body.note ?? undefined }, req.ip)).map(toMovement) }),
  });
}
