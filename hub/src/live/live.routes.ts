import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requestToken, withZod } from '../http/server.js';
import { LIVE_CLOSE, type LiveHub } from './live-hub.js';

const liveQuery = z.object({
  token: z.string().optional(),
  since: z
    .string()
    .regex(/^\d{1,15}$/, 'since must be the id of the last event received (a non-negative integer)')
    .transform(Number)
    .optional(),
});

const statsSchema = z.object({
  clients: z.number().int(),
  lastId: z.number().int(),
  framesSent: z.number().int(),
  slowClosed: z.number().int(),
  listening: z.boolean().nullable(),
});

export function registerLiveRoutes(app: FastifyInstance, live: LiveHub): void {
  app.get(
    '/api/live',
    {
      websocket: true,
      // Public to the HTTP auth hook on purpose: a refused upgrade reaches a browser as
      // a bare 1006 close, so the token (`?token=`, as browsers cannot set headers on a
      // WebSocket) is checked after the upgrade and a refusal is a readable close code.
      config: { public: true },
      // The query string carries the session token: keep it out of the request log.
      logLevel: 'warn',
      schema: {
        tags: ['live'],
        summary: 'Live event stream (WebSocket)',
        description:
          'Query: token=<session token>, since=<last event id received> (optional). One JSON text frame per event: ' +
          '{ id, type, data }, ids strictly increasing. Without since the first frame is { id: <current last id>, type: "live.hello" }; ' +
          'with a since older than the kept log it is { id: <current last id>, type: "live.reset", data: { reason } } (reload state). ' +
          'A socket sent nothing for LIVE_HEARTBEAT_MS gets a { type: "live.heartbeat", data: { intervalMs } } frame without id, so a client can tell a silently dead connection from a quiet one. ' +
          `Close codes: ${LIVE_CLOSE.badRequest} bad query, ${LIVE_CLOSE.unauthorized} missing/expired token, ${LIVE_CLOSE.tooSlow} too far behind (resume with since).`,
      },
    },
    (socket, req) => {
      // Parsed here rather than by a route schema for the same reason as the token.
      const query = liveQuery.safeParse(req.query);
      if (!query.success) {
        socket.close(LIVE_CLOSE.badRequest, query.error.issues[0]?.message.slice(0, 120) ?? 'bad query');
        return;
      }
      void live.accept(socket, { token: requestToken(req), since: query.data.since });
    },
  );

  withZod(app).get('/api/live/stats', {
    config: { roles: ['admin', 'manager'] },
    schema: { tags: ['live'], summary: 'Live stream: connected clients and position in the event log', response: { 200: statsSchema } },
    handler: async () => live.stats(),
  });
}
