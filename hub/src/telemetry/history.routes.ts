import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { staffRoles } from '../auth/roles.js';
import { currentUser, withZod } from '../http/server.js';
import { bucketNames, historySources } from './history-buckets.js';
import type { HistoryService } from './history.service.js';

const params = z.object({ id: z.coerce.number().int().positive() });

const historyQuery = z.object({
  metric: z.string().min(1).max(64),
  from: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 with offset; default: `to` minus 24 hours'),
  to: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 with offset; default: now'),
  bucket: z
    .enum(['auto', ...bucketNames])
    .default('auto')
    .describe('auto: at most ~500 points (raw points when the range holds that few). String metrics: raw only'),
});

const pointSchema = z.object({
  ts: z.string(),
  avg: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  last: z.number().nullable(),
  count: z.number().int(),
  text: z.string().nullable().optional(),
});

const historySchema = z.object({
  metric: z.string(),
  type: z.enum(['number', 'boolean', 'string']),
  unit: z.string().nullable(),
  bucket: z.enum(bucketNames),
  source: z.enum(historySources),
  from: z.string(),
  to: z.string(),
  points: z.array(pointSchema),
});

export function registerTelemetryRoutes(app: FastifyInstance, history: HistoryService): void {
  const r = withZod(app);

  r.get('/api/devices/:id/history', {
    config: { roles: staffRoles },
    schema: {
      tags: ['telemetry'],
      summary: 'History of one metric: raw points or buckets (avg, min, max, last, count), from the cheapest exact source',
      params,
      querystring: historyQuery,
      response: { 200: historySchema },
    },
    handler: async (req) => history.query(currentUser(req), req.params.id, req.query),
  });

  r.get('/api/devices/:id/history.csv', {
    config: { roles: staffRoles },
    schema: {
      tags: ['telemetry'],
      summary: 'The same history as a CSV download (up to 100,000 rows)',
      params,
      querystring: historyQuery,
      response: { 200: z.string().describe('text/csv') },
    },
    handler: async (req, reply) => {
      const { filename, body } = await history.csv(currentUser(req), req.params.id, req.query);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(body);
    },
  });
}
