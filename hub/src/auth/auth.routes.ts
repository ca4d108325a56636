import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentUser, withZod } from '../http/server.js';
import type { AuthService } from './auth.service.js';
import { allRoles, roles } from './roles.js';

const userSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(roles),
  buildings: z.array(z.string()),
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
    config: { roles: allRoles },
    schema: { tags: ['auth'], summary: 'The logged-in user', response: { 200: z.object({ user: userSchema }) } },
    handler: async (req) => ({ user: currentUser(req) }),
  });

  r.post('/api/auth/logout', {
    config: { roles: allRoles },
    schema: { tags: ['auth'], summary: 'End this session', response: { 204: z.null() } },
    handler: async (req, reply) => {
      await auth.logout(req.token ?? '', currentUser(req), req.ip);
      return reply.code(204).send(null);
    },
  });

  r.get('/api/users', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['auth'],
      summary: 'All users (admin)',
      response: {
        200: z.object({
          users: z.array(z.object({ id: z.number(), username: z.string(), displayName: z.string(), role: z.enum(roles), disabled: z.boolean(), lastLoginAt: z.date().nullable() })),
        }),
      },
    },
    handler: async () => ({ users: await auth.listUsers() }),
  });

  r.post('/api/users', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['auth'],
      summary: 'Create a user (admin)',
      body: z.strictObject({
        username: z.string().regex(/^[A-Za-z0-9_.@-]{3,64}$/, 'expected 3-64 letters, digits, "_", ".", "@" or "-"'),
        displayName: z.string().min(1).max(128),
        password: z.string().min(12, 'expected at least 12 characters').max(256),
        role: z.enum(roles),
      }),
      response: { 201: z.object({ id: z.number() }) },
    },
    handler: async (req, reply) => {
      const user = currentUser(req);
      const id = await auth.createUser(req.body, user.username, user.id);
      return reply.code(201).send({ id });
    },
  });
}
