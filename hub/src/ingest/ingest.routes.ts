import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import { withZod } from '../http/server.js';
import type { IngestService } from './ingest.service.js';

export function registerIngestRoutes(app: FastifyInstance, db: Database, ingest: IngestService): void {
  const r = withZod(app);

  r.get('/api/ingest/stats', {
    config: { roles: ['admin', 'manager'] },
    schema: {
      tags: ['ingest'],
      summary: 'Ingest counters of this hub process',
      response: {
        200: z.object({
          received: z.number(),
          rejected: z.number(),
          rejectedByKind: z.record(z.string(), z.number()),
          pointsStored: z.number(),
          pointsDuplicate: z.number(),
          pointsPending: z.number(),
          events: z.number(),
          sequenceGaps: z.number(),
          seqsAwaited: z.number(),
          writeFailures: z.number(),
        }),
      },
    },
    handler: async () => ingest.stats(),
  });

  r.get('/api/ingest/dead-letters', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['ingest'],
      summary: 'Rejected inbound messages, newest first',
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
      response: {
        200: z.object({
          deadLetters: z.array(z.object({ id: z.number(), receivedAt: z.string(), topic: z.string(), kind: z.string().nullable(), agentId: z.string().nullable(), reason: z.string(), payload: z.string().nullable() })),
        }),
      },
    },
    handler: async (req) => {
      const { rows } = await db.query<{ id: number; received_at: Date; topic: string; kind: string | null; agent_id: string | null; reason: string; payload: string | null }>(
        'SELECT id, received_at, topic, kind, agent_id, reason, payload FROM dead_letters ORDER BY id DESC LIMIT $1',
        [req.query.limit],
      );
      return {
        deadLetters: rows.map((r) => ({ id: r.id, receivedAt: r.received_at.toISOString(), topic: r.topic, kind: r.kind, agentId: r.agent_id, reason: r.reason, payload: r.payload })),
      };
    },
  });
}
