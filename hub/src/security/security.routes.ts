import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { armingScheduleSchema } from '../alarms/index.js';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type Role } from '../auth/roles.js';
import { commandsOfDevice, type CommandOutcome } from '../commands/index.js';
import type { Database } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { currentUser, withZod } from '../http/server.js';
import type { DoorCommandService } from './door-command.service.js';
import * as evidenceRepo from './evidence.repository.js';
import type { IncidentService } from './incident.service.js';
import * as registry from './registry.repository.js';
import { securityAudience, type ZoneScheduleService } from './zone-schedule.service.js';

/** Zone schedules arm and disarm alarms: managers decide them, guards read them. */
const scheduleEditors: Role[] = ['admin', 'manager'];

export interface SecurityRouteDeps {
  db: Database;
  doors: DoorCommandService;
  zones: ZoneScheduleService;
  incidents: IncidentService;
}

const idParams = z.object({ id: z.coerce.number().int().positive() });
const buildingQuery = z.object({ building: z.string().min(1).optional() });
const nullableBool = z.boolean().nullable();

const relatedSchema = z.object({ id: z.number(), code: z.string(), name: z.string(), type: z.string() });
const metricsSchema = z.record(z.string(), z.object({ value: z.union([z.number(), z.boolean(), z.string()]).nullable(), ts: z.string() }));
const registryBase = {
  id: z.number(),
  code: z.string(),
  agentId: z.string(),
  name: z.string(),
  type: z.string(),
  building: z.string().nullable(),
  floor: z.string().nullable(),
  zone: z.string().nullable(),
  location: z.string().nullable(),
  online: z.boolean(),
  lastSeenAt: z.string().nullable(),
  capabilities: z.array(z.string()),
  metrics: metricsSchema,
  /** Whether the device's zone is armed now by its schedule (or the estate's default); null: neither has one. */
  zoneArmed: nullableBool,
};
const doorSchema = z.object({ ...registryBase, open: nullableBool, locked: nullableBool, coveredBy: z.array(relatedSchema) });
const cameraSchema = z.object({
  ...registryBase,
  health: z.object({ onvifReachable: nullableBool, rtspReachable: nullableBool, pictureFrozen: nullableBool }),
  covers: z.array(relatedSchema),
  /** Codes in the camera's `covers` of devices its agent has not announced. */
  coversUnknown: z.array(z.string()),
});

const commandSchema = z.object({
  id: z.string(),
  name: z.string(),
  deviceId: z.number().nullable(),
  result: z.string(),
  message: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  sentAt: z.string(),
  ackedAt: z.string(),
  elapsedMs: z.number(),
});
const commandJson = (o: CommandOutcome): z.infer<typeof commandSchema> => ({
  id: o.id,
  name: o.name,
  deviceId: o.deviceId,
  result: o.result,
  message: o.message,
  data: o.data,
  sentAt: o.sentAt.toISOString(),
  ackedAt: o.ackedAt.toISOString(),
  elapsedMs: o.elapsedMs,
});

const reason = z.string().trim().min(1, 'give a reason').max(256);
const doorBodies = {
  unlock: z.strictObject({ reason, durationSec: z.number().int().min(1).max(86_400).optional().describe('relock after this long; absent: stays unlocked until locked') }),
  lock: z.strictObject({ reason }),
  access: z.strictObject({ reason }),
} as const;
const doorSummaries = {
  unlock: 'Unlock a door (for durationSec, or until locked); reason required, audited',
  lock: 'Lock a door; reason required, audited',
  access: 'Momentary access: one passage, as a granted card would; reason required, audited',
} as const;

const evidenceSchema = z.object({
  id: z.number(),
  episodeId: z.number(),
  incidentId: z.number().nullable(),
  cameraId: z.number(),
  cameraCode: z.string(),
  cameraName: z.string(),
  kind: z.enum(['snapshot', 'clip']),
  contentType: z.string(),
  size: z.number(),
  width: z.number().nullable(),
  height: z.number().nullable(),
  seconds: z.number().nullable(),
  capturedAt: z.string(),
  createdAt: z.string(),
  /** Came after the snapshot deadline (2 s promise missed), kept so the guard still sees it. */
  late: z.boolean(),
  url: z.string(),
});

const incidentSchema = z.object({
  id: z.number(),
  buildingId: z.string().nullable(),
  zone: z.string().nullable(),
  title: z.string(),
  priority: z.string(),
  openedAt: z.string(),
  lastSignalAt: z.string(),
  closedAt: z.string().nullable(),
  workOrderId: z.number().nullable(),
  workOrderNumber: z.string().nullable(),
  workOrderStatus: z.string().nullable(),
  episodes: z.number(),
  evidence: z.number(),
});

const zoneViewSchema = z.object({
  building: z.string(),
  zone: z.string(),
  schedule: armingScheduleSchema.nullable(),
  armedNow: nullableBool,
  source: z.enum(['zone', 'default']).nullable(),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
});

const bool = (m: registry.RegistryRow['metrics'], name: string): boolean | null => {
  const v = m[name]?.value;
  return typeof v === 'boolean' ? v : null;
};

/**
 * Security over HTTP: the door and camera registry, remote door commands, zone arming
 * schedules, evidence and incidents. Guards, managers and admins only: technicians,
 * clerks and owners have no business with doors, pictures or break-ins.
 */
export function registerSecurityRoutes(app: FastifyInstance, deps: SecurityRouteDeps): void {
  const r = withZod(app);
  const { db, doors, zones, incidents } = deps;

  const base = (d: registry.RegistryRow) => ({
    id: Number(d.id),
    code: d.code,
    agentId: d.agent_id,
    name: d.name,
    type: d.type,
    building: d.building_id,
    floor: d.floor,
    zone: d.zone,
    location: d.location,
    online: d.online,
    lastSeenAt: d.last_seen_at?.toISOString() ?? null,
    capabilities: d.capabilities,
    metrics: d.metrics,
    zoneArmed: zones.armedAt(d.building_id, d.zone),
  });

  // ------------------------------------------------------------ registry
  r.get('/api/doors', {
    config: { roles: securityAudience },
    schema: {
      tags: ['security'],
      summary: 'Doors with location, online state, open/locked, and the cameras covering each',
      querystring: buildingQuery,
      response: { 200: z.object({ doors: z.array(doorSchema) }) },
    },
    handler: async (req) => {
      const rows = await registry.listSecurityDevices(db, 'door', currentUser(req).buildings, req.query.building ?? null);
      return { doors: rows.map((d) => ({ ...base(d), open: bool(d.metrics, 'open'), locked: bool(d.metrics, 'locked'), coveredBy: d.related })) };
    },
  });

  r.get('/api/cameras', {
    config: { roles: securityAudience },
    schema: {
      tags: ['security'],
      summary: 'Cameras with location, stream health and what each covers',
      querystring: buildingQuery,
      response: { 200: z.object({ cameras: z.array(cameraSchema) }) },
    },
    handler: async (req) => {
      const rows = await registry.listSecurityDevices(db, 'camera', currentUser(req).buildings, req.query.building ?? null);
      return {
        cameras: rows.map((c) => ({
          ...base(c),
          health: { onvifReachable: bool(c.metrics, 'onvifReachable'), rtspReachable: bool(c.metrics, 'rtspReachable'), pictureFrozen: bool(c.metrics, 'pictureFrozen') },
          covers: c.related,
          coversUnknown: c.unresolved,
        })),
      };
    },
  });

  // ------------------------------------------------------------ door commands
  for (const action of ['unlock', 'lock', 'access'] as const) {
    r.post(`/api/doors/:id/${action}`, {
      config: { roles: securityAudience },
      schema: {
        tags: ['security'],
        summary: doorSummaries[action],
        description: '200: the controller did it (its acknowledgement). 409: not sent (no such capability, agent offline) or not done (rejected, error, expired). 504: no answer in time. Every outcome is audited.',
        params: idParams,
        body: doorBodies[action],
        response: { 200: z.object({ command: commandSchema }) },
      },
      handler: async (req) => {
        const body = req.body as { reason: string; durationSec?: number };
        const outcome = await doors.command(currentUser(req), req.ip, req.params.id, action, body);
        return { command: commandJson(outcome) };
      },
    });
  }

  r.get('/api/doors/:id/commands', {
    config: { roles: securityAudience },
    schema: {
      tags: ['security'],
      summary: 'Commands sent to a door, newest first, with who, why and the outcome',
      params: idParams,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
      response: {
        200: z.object({
          commands: z.array(
            z.object({ id: z.string(), name: z.string(), reason: z.string().nullable(), issuedBy: z.string(), sentAt: z.string(), expiresAt: z.string(), result: z.string().nullable(), message: z.string().nullable(), ackedAt: z.string().nullable() }),
          ),
        }),
      },
    },
    handler: async (req) => {
      const door = await registry.securityDevice(db, 'door', req.params.id);
      if (!door || !canSeeBuilding(currentUser(req), door.buildingId)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no door ${req.params.id}`);
      const rows = await commandsOfDevice(db, door.id, req.query.limit);
      return {
        commands: rows.map((c) => ({
          id: c.id,
          name: c.name,
          reason: c.reason,
          issuedBy: c.issued_by_name,
          sentAt: c.sent_at.toISOString(),
          expiresAt: c.expires_at.toISOString(),
          result: c.result,
          message: c.result_message,
          ackedAt: c.acked_at?.toISOString() ?? null,
        })),
      };
    },
  });

  // ------------------------------------------------------------ zones
  const zoneParams = z.object({ building: z.string().min(1).max(64), zone: z.string().min(1).max(128) });

  r.get('/api/zones', {
    config: { roles: securityAudience },
    schema: {
      tags: ['security'],
      summary: 'Security zones (named by devices or by a schedule), with their schedule and whether each is armed now',
      querystring: buildingQuery,
      response: { 200: z.object({ zones: z.array(zoneViewSchema.extend({ devices: z.number(), doors: z.number(), cameras: z.number() })) }) },
    },
    handler: async (req) => ({ zones: await zones.list(currentUser(req), req.query.building ?? null) }),
  });

  r.get('/api/zones/:building/:zone/schedule', {
    config: { roles: securityAudience },
    schema: { tags: ['security'], summary: "A zone's arming schedule and whether it is armed now", params: zoneParams, response: { 200: zoneViewSchema } },
    handler: async (req) => zones.get(currentUser(req), req.params.building, req.params.zone),
  });

  r.put('/api/zones/:building/:zone/schedule', {
    config: { roles: scheduleEditors },
    schema: {
      tags: ['security'],
      summary: "Set a zone's arming schedule (weekly windows in local time; armedEvent rules with zoneSchedule: true follow it)",
      params: zoneParams,
      body: armingScheduleSchema,
      response: { 200: zoneViewSchema },
    },
    handler: async (req) => zones.put(currentUser(req), req.ip, req.params.building, req.params.zone, req.body),
  });

  r.delete('/api/zones/:building/:zone/schedule', {
    config: { roles: scheduleEditors },
    schema: { tags: ['security'], summary: "Remove a zone's schedule: the zone then follows the estate's default (ZONE_DEFAULT_ARMING), if any", params: zoneParams, response: { 200: zoneViewSchema } },
    handler: async (req) => zones.put(currentUser(req), req.ip, req.params.building, req.params.zone, null),
  });

  // ------------------------------------------------------------ evidence
  r.get('/api/alarm-episodes/:id/evidence', {
    config: { roles: securityAudience },
    schema: {
      tags: ['security'],
      summary: "Snapshots and clips taken for an alarm episode (each one's bytes at its url)",
      params: idParams,
      response: { 200: z.object({ evidence: z.array(evidenceSchema) }) },
    },
    handler: async (req) => {
      const episode = await evidenceRepo.episodeBuilding(db, req.params.id);
      if (!episode || !canSeeBuilding(currentUser(req), episode.building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no alarm episode ${req.params.id}`);
      return { evidence: (await evidenceRepo.listEvidence(db, { episodeIds: [req.params.id] })).map(evidenceRepo.evidenceJson) };
    },
  });

  r.get('/api/evidence/:id', {
    config: { roles: securityAudience },
    schema: {
      tags: ['security'],
      summary: 'The bytes of a snapshot (image/jpeg) or clip (video/mp4); every view is audited. Browsers may pass ?token= in <img>/<video> URLs.',
      params: idParams,
    },
    handler: async (req, reply) => {
      const user = currentUser(req);
      const row = await evidenceRepo.evidenceWithBytes(db, req.params.id);
      if (!row || !canSeeBuilding(user, row.building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no evidence ${req.params.id}`);
      // Pictures of people are personal data: who looked at which, and when, is kept.
      await recordAudit(db, { userId: user.id, actor: user.username, action: 'evidence.view', targetType: 'evidence', targetId: req.params.id, details: { episodeId: Number(row.episode_id), kind: row.kind }, ip: req.ip });
      const extension = row.content_type === 'video/mp4' ? 'mp4' : row.content_type === 'image/png' ? 'png' : 'jpg';
      return reply
        .type(row.content_type)
        .header('cache-control', 'private, max-age=3600')
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `inline; filename="evidence-${row.id}.${extension}"`)
        .send(row.bytes);
    },
  });

  // ------------------------------------------------------------ incidents
  r.get('/api/incidents', {
    config: { roles: securityAudience },
    schema: {
      tags: ['security'],
      summary: 'Security incidents, newest first: related alarms grouped under one work order',
      querystring: z.object({
        status: z.enum(['open', 'closed', 'all']).default('all'),
        building: z.string().min(1).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
        before: z.coerce.number().int().positive().optional().describe('page: incidents with an id below this'),
      }),
      response: { 200: z.object({ incidents: z.array(incidentSchema) }) },
    },
    handler: async (req) => ({ incidents: await incidents.list(currentUser(req), req.query) }),
  });

  r.get('/api/incidents/:id', {
    config: { roles: securityAudience },
    schema: {
      tags: ['security'],
      summary: 'One incident: its alarm episodes, all their evidence, and its work order',
      params: idParams,
      response: {
        200: z.object({
          incident: incidentSchema,
          episodes: z.array(
            z.object({
              episodeId: z.number(),
              alarmId: z.number(),
              ruleName: z.string(),
              deviceId: z.number(),
              deviceCode: z.string(),
              deviceName: z.string(),
              deviceType: z.string(),
              zone: z.string().nullable(),
              priority: z.string(),
              message: z.string(),
              raisedAt: z.string(),
              ackedAt: z.string().nullable(),
              endedAt: z.string().nullable(),
              alarmState: z.string(),
              workOrderId: z.number().nullable(),
            }),
          ),
          evidence: z.array(evidenceSchema),
          workOrder: z.object({ id: z.number(), number: z.string(), status: z.string() }).nullable(),
        }),
      },
    },
    handler: async (req) => incidents.detail(currentUser(req), req.params.id),
  });
}
