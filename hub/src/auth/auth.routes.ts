import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentUser, withZod } from '../http/server.js';
import type { AuthService } from './auth.service.js';
import { allRoles, roles } from './roles.js';
import { registerUserRoutes } from './users.routes.js';

const userSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(roles),
  buildings: z.array(z.string()),
  mustChangePassword: z.boolean().optional().describe('an administrator set the password: choose your own (POST /api/auth/password) before anything else'),
});

export function registerAuthRoutes(app: FastifyInstance, auth: AuthService): void {
  const r = withZod(app);

  r.post('/api/auth/login', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'Log in; returns a bearer token',
      security: [],
      body: z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }),
      response: { 200: z.object({ token: z.string(), expiresAt: z.iso.datetime(), user: userSchema }) },
    },
    handler: async (req) => {
      const result = await auth.login(req.body.username, req.body.password, req.ip);
      return { token: result.token, expiresAt: result.expiresAt.toISOString(), user: result.user };
    },
  });

  r.get('/api/auth/me', {
    config: { roles: allRoles, passwordChange: true },
    schema: { tags: ['auth'], summary: 'The logged-in user', response: { 200: z.object({ user: userSchema }) } },
    handler: async (req) => ({ user: currentUser(req) }),
  });

  r.post('/api/auth/logout', {
    config: { roles: allRoles, passwordChange: true },
    schema: { tags: ['auth'], summary: 'End this session', response: { 204: z.null() } },
    handler: async (req, reply) => {
      await auth.logout(req.token ?? '', currentUser(req), req.ip);
      return reply.code(204).send(null);
    },
  });

  registerUserRoutes(app, auth.users);
}
