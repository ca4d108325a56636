import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { AuthService } from '../auth/auth.service.js';
import { hasRole, type Role, type SessionUser } from '../auth/roles.js';
import { WardenError, type ErrorBody, type ErrorCode } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No login needed (health, login, docs). Every other /api route must name its roles. */
    public?: boolean;
    /** Roles allowed; checked by the one auth hook before any handler runs. */
    roles?: readonly Role[];
    /** Still answers a user who must first replace a password an administrator set (me, logout, the change itself). */
    passwordChange?: boolean;
  }
  interface FastifyRequest {
    user?: SessionUser;
    token?: string;
  }
}

export interface HttpServerOptions {
  logger: Logger;
  auth: AuthService;
  dashboardDir?: string;
  version: string;
}

/** The bearer token from the Authorization header, or `?token=` (WebSocket upgrades cannot set headers in browsers). */
export function requestToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const query = req.query as { token?: unknown } | undefined;
  return typeof query?.token === 'string' ? query.token : undefined;
}

/** The authenticated user of a route that declared its roles. */
export function currentUser(req: FastifyRequest): SessionUser {
  if (!req.user) throw new WardenError('WARDEN_ERR_AUTH_REQUIRED');
  return req.user;
}

export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger and fastify's base logger type differ only in fields fastify does not use.
    loggerInstance: options.logger.child({ module: 'http' }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    trustProxy: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Warden hub API', version: options.version, description: 'Operations hub for property management: monitoring, alarms, work orders, records, billing.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  // Fail at start-up, not in production, if a route forgot to say who may call it.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || route.url.startsWith('/api/docs')) return;
    const config = route.config as { public?: boolean; roles?: readonly Role[] } | undefined;
    if (!config?.public && !config?.roles?.length) {
      throw new Error(`route ${route.method} ${route.url} declares neither config.public nor config.roles`);
    }
  });

  app.addHook('onRequest', async (req) => {
    const config = req.routeOptions.config;
    if (!req.url.startsWith('/api/') || config.public || !config.roles) return;
    const token = requestToken(req);
    if (!token) throw new WardenError('WARDEN_ERR_AUTH_REQUIRED');
    const user = await options.auth.authenticate(token);
    if (!user) throw new WardenError('WARDEN_ERR_SESSION_EXPIRED');
    if (!hasRole(user, config.roles)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `this needs one of the roles: ${config.roles.join(', ')}`);
    if (user.mustChangePassword && !config.passwordChange) throw new WardenError('WARDEN_ERR_PASSWORD_CHANGE_REQUIRED');
    req.user = user;
    req.token = token;
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const send = (status: number, code: ErrorCode, message: string, details?: unknown) => {
      const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
      return reply.code(status).send(body);
    };
    if (err instanceof WardenError) return send(err.status, err.code, err.message, err.details);
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'request';
      const issues = err.validation.map((v) => ({
        field: [where, ...String(v.instancePath ?? '').split('/').filter(Boolean)].join('.'),
        message: v.message ?? 'invalid',
      }));
      return send(400, 'WARDEN_ERR_VALIDATION', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err: err.cause?.issues, url: req.url }, 'response does not match its schema');
      return send(500, 'WARDEN_ERR_INTERNAL', 'Internal error');
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(413, 'WARDEN_ERR_PAYLOAD_TOO_LARGE', err.message);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return send(415, 'WARDEN_ERR_UNSUPPORTED_MEDIA', err.message);
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (err.statusCode === 400 && err instanceof SyntaxError)) {
      return send(400, 'WARDEN_ERR_VALIDATION', `body: ${err.message}`);
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return send(err.statusCode, 'WARDEN_ERR_VALIDATION', err.message);
    req.log.error({ err }, 'unhandled error');
    return send(500, 'WARDEN_ERR_INTERNAL', 'Internal error');
  });

  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/') || !options.dashboardDir) {
      const body: ErrorBody = { error: { code: 'WARDEN_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } };
      return reply.code(404).send(body);
    }
    // Single-page app: client-side routes are served the shell.
    return reply.type('text/html').sendFile('index.html');
  });

  if (options.dashboardDir && fs.existsSync(path.join(options.dashboardDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: path.resolve(options.dashboardDir), wildcard: false });
  } else if (options.dashboardDir) {
    options.logger.warn({ dir: options.dashboardDir }, 'dashboard not built; run `npm run build --workspace dashboard`');
    options.dashboardDir = undefined;
  }
  return app;
}

/** Route registration with zod schemas as the type provider. */
export const withZod = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
