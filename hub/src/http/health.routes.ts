import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import { withZod } from './server.js';

export interface ReadinessProbe {
  db: Database;
  broker: { kind: 'embedded' | 'external'; connected: () => boolean };
}

export function registerHealthRoutes(app: FastifyInstance, probe: ReadinessProbe): void {
  const r = withZod(app);

  r.get('/api/health', {
    config: { public: true },
    schema: { tags: ['system'], summary: 'Liveness: the process answers', security: [], response: { 200: z.object({ status: z.literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });

  const readySchema = z.object({
    status: z.enum(['ready', 'not-ready']),
    database: z.object({ ok: z.boolean(), kind: z.enum(['pglite', 'postgres']), storage: z.enum(['postgres', 'timescaledb']) }),
    broker: z.object({ ok: z.boolean(), kind: z.enum(['embedded', 'external']) }),
  });

  r.get('/api/ready', {
    config: { public: true },
    schema: { tags: ['system'], summary: 'Readiness: database and broker reachable', security: [], response: { 200: readySchema, 503: readySchema } },
    handler: async (_req, reply) => {
      const dbOk = await probe.db.ping();
      const brokerOk = probe.broker.connected();
      const body = {
        status: dbOk && brokerOk ? ('ready' as const) : ('not-ready' as const),
        database: { ok: dbOk, kind: probe.db.kind, storage: probe.db.storage },
        broker: { ok: brokerOk, kind: probe.broker.kind },
      };
      return reply.code(body.status === 'ready' ? 200 : 503).send(body);
    },
  });
}
