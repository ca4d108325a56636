import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentUser, withZod } from '../http/server.js';
import { shiftLogKinds } from './shift-log.repository.js';
import { shiftLogRoles, type ShiftLogService } from './shift-log.service.js';

const entrySchema = z.object({
  id: z.number(),
  at: z.string(),
  authorId: z.number().nullable(),
  authorName: z.string(),
  buildingId: z.string().nullable(),
  kind: z.enum(shiftLogKinds),
  text: z.string(),
  alarmIds: z.array(z.number()),
});

export function registerShiftLogRoutes(app: FastifyInstance, service: ShiftLogService): void {
  const r = withZod(app);

  r.get('/api/shift-log', {
    config: { roles: shiftLogRoles },
    schema: {
      tags: ['shift log'],
      summary: 'Shift log entries, newest first (limited to the buildings the user may see)',
      querystring: z.object({
        since: z.iso.datetime({ offset: true }).optional().describe('only entries written at or after this time'),
        building: z.string().min(1).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: { 200: z.object({ entries: z.array(entrySchema) }) },
    },
    handler: async (req) => {
      const q = req.query;
      return { entries: await service.list(currentUser(req), { since: q.since ? new Date(q.since) : undefined, building: q.building, limit: q.limit }) };
    },
  });

  r.post('/api/shift-log', {
    config: { roles: shiftLogRoles },
    schema: {
      tags: ['shift log'],
      summary: 'Write a note, patrol record or end-of-shift handover in the log',
      body: z.strictObject({
        kind: z.enum(shiftLogKinds),
        text: z.string().trim().min(1).max(4000),
        buildingId: z.string().min(1).optional().describe('default: the user\'s only building; none: the whole estate'),
        alarmIds: z.array(z.number().int().positive()).max(20).optional().describe('alarms the entry mentions'),
      }),
      response: { 201: z.object({ entry: entrySchema }) },
    },
    handler: async (req, reply) => {
      const entry = await service.add(currentUser(req), req.body, req.ip);
      return reply.code(201).send({ entry });
    },
  });
}
