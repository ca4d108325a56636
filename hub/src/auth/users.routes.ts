import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { currentUser, withZod } from '../http/server.js';
import { allRoles, roles } from './roles.js';
import type { Actor, UserAdminService } from './users.service.js';

const usernameSchema = z.string().regex(/^[A-Za-z0-9_.@-]{3,64}$/, 'expected 3-64 letters, digits, "_", ".", "@" or "-"');
const displayNameSchema = z.string().trim().min(1, 'must not be empty').max(128);
const passwordSchema = z.string().min(12, 'expected at least 12 characters').max(256);
const buildingsSchema = z.array(z.string().min(1).max(100)).max(200).describe('building ids the user is limited to; empty for the whole estate');

const adminUserSchema = z.object({
  id: z.number(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(roles),
  buildings: z.array(z.string()),
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  lastLoginAt: z.date().nullable(),
  passwordChangedAt: z.date().nullable(),
  createdAt: z.date(),
});

const idParams = z.object({ id: z.coerce.number().int().positive() });

/** The one answer that carries a password: a generated one, shown to the administrator once and never stored in clear. */
const withTemporaryPassword = z.object({ user: adminUserSchema, temporaryPassword: z.string().optional().describe('only when the hub generated it; not retrievable later') });

function actorOf(req: FastifyRequest): Actor {
  return { user: currentUser(req), ip: req.ip };
}

/**
 * User administration (admin only) and a user's own password change. Every route
 * answers the user as administrators see it, never a hash.
 */
export function registerUserRoutes(app: FastifyInstance, users: UserAdminService): void {
  const r = withZod(app);
  const admin = { roles: ['admin'] as const };

  r.get('/api/users', {
    config: admin,
    schema: {
      tags: ['users'],
      summary: 'Users, filtered (admin)',
      querystring: z.object({
        role: z.enum(roles).optional(),
        building: z.string().min(1).max(100).optional().describe('users who may see this building (limited to it, or to none)'),
        active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
        q: z.string().trim().max(100).optional().describe('part of the username or display name'),
      }),
      response: { 200: z.object({ users: z.array(adminUserSchema) }) },
    },
    handler: async (req) => ({ users: await users.list({ ...req.query, q: req.query.q || undefined }) }),
  });

  r.get('/api/users/:id', {
    config: admin,
    schema: { tags: ['users'], summary: 'One user (admin)', params: idParams, response: { 200: z.object({ user: adminUserSchema }) } },
    handler: async (req) => ({ user: await users.get(req.params.id) }),
  });

  r.post('/api/users', {
    config: admin,
    schema: {
      tags: ['users'],
      summary: 'Create a user (admin); without a password one is generated and returned once',
      body: z.strictObject({
        username: usernameSchema,
        displayName: displayNameSchema,
        password: passwordSchema.optional(),
        role: z.enum(roles),
        buildings: buildingsSchema.optional(),
        mustChangePassword: z.boolean().optional().describe('whether the user must pick their own password at first login; default: only when the hub generated it'),
      }),
      response: { 201: withTemporaryPassword.extend({ id: z.number() }) },
    },
    handler: async (req, reply) => {
      const created = await users.create(req.body, actorOf(req));
      return reply.code(201).send({ id: created.user.id, ...created });
    },
  });

  r.patch('/api/users/:id', {
    config: admin,
    schema: {
      tags: ['users'],
      summary: 'Change a user’s name, role or buildings (admin)',
      params: idParams,
      body: z.strictObject({ displayName: displayNameSchema.optional(), role: z.enum(roles).optional(), buildings: buildingsSchema.optional() }),
      response: { 200: z.object({ user: adminUserSchema }) },
    },
    handler: async (req) => ({ user: await users.update(req.params.id, req.body, actorOf(req)) }),
  });

  r.post('/api/users/:id/deactivate', {
    config: admin,
    schema: { tags: ['users'], summary: 'Deactivate a user and end their sessions (admin)', params: idParams, response: { 200: z.object({ user: adminUserSchema }) } },
    handler: async (req) => ({ user: await users.setActive(req.params.id, false, actorOf(req)) }),
  });

  r.post('/api/users/:id/reactivate', {
    config: admin,
    schema: { tags: ['users'], summary: 'Let a deactivated user log in again (admin)', params: idParams, response: { 200: z.object({ user: adminUserSchema }) } },
    handler: async (req) => ({ user: await users.setActive(req.params.id, true, actorOf(req)) }),
  });

  r.post('/api/users/:id/password', {
    config: admin,
    schema: {
      tags: ['users'],
      summary: 'Reset a user’s password (admin): the one given, or a generated one returned once; the user must change it at next login',
      params: idParams,
      body: z.strictObject({ password: passwordSchema.optional() }),
      response: { 200: withTemporaryPassword },
    },
    handler: async (req) => users.resetPassword(req.params.id, req.body.password, actorOf(req)),
  });

  r.post('/api/auth/password', {
    config: { roles: allRoles, passwordChange: true },
    schema: {
      tags: ['auth'],
      summary: 'Change your own password; your other sessions end',
      body: z.strictObject({ currentPassword: z.string().min(1).max(256), newPassword: passwordSchema }),
      response: { 204: z.null() },
    },
    handler: async (req, reply) => {
      await users.changeOwnPassword(currentUser(req), req.token ?? '', req.body.currentPassword, req.body.newPassword, req.ip);
      return reply.code(204).send(null);
    },
  });
}
