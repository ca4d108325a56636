import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { canSeeBuilding, staffRoles } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { currentUser, withZod } from '../http/server.js';

const deviceSchema = z.object({
  id: z.number(),
  code: z.string(),
  agentId: z.string(),
  site: z.string(),
  building: z.string().nullable(),
  floor: z.string().nullable(),
  type: z.string(),
  name: z.string(),
  model: z.string().nullable(),
  zone: z.string().nullable(),
  location: z.string().nullable(),
  capabilities: z.array(z.string()),
  online: z.boolean(),
  lastSeenAt: z.string().nullable(),
});

const latestSchema = z.object({
  metric: z.string(),
  unit: z.string().nullable(),
  type: z.string(),
  value: z.union([z.number(), z.boolean(), z.string()]).nullable(),
  ts: z.string().nullable(),
});

interface DeviceRow {
  id: number;
  code: string;
  agent_id: string;
  site_id: string;
  building_id: string | null;
  floor: string | null;
  type: string;
  name: string;
  model: string | null;
  zone: string | null;
  location: string | null;
  capabilities: string[];
  online: boolean;
  last_seen_at: Date | null;
}

const deviceSelect = `SELECT d.id, d.code, d.agent_id, d.site_id, d.building_id, f.code AS floor, d.type, d.name, d.model, d.zone, d.location,
                             d.capabilities, d.online, d.last_seen_at
                        FROM devices d LEFT JOIN floors f ON f.id = d.floor_id`;

function toDevice(r: DeviceRow): z.infer<typeof deviceSchema> {
  return {
    id: r.id,
    code: r.code,
    agentId: r.agent_id,
    site: r.site_id,
    building: r.building_id,
    floor: r.floor,
    type: r.type,
    name: r.name,
    model: r.model,
    zone: r.zone,
    location: r.location,
    capabilities: r.capabilities,
    online: r.online,
    lastSeenAt: r.last_seen_at?.toISOString() ?? null,
  };
}

interface LatestRow {
  device_id: number;
  metric: string;
  unit: string | null;
  type: string;
  value: number | null;
  value_text: string | null;
  ts: Date | null;
}

function toLatest(r: LatestRow): z.infer<typeof latestSchema> {
  const value = r.ts === null ? null : r.type === 'boolean' ? r.value === 1 : r.type === 'string' ? r.value_text : r.value;
  return { metric: r.metric, unit: r.unit, type: r.type, value, ts: r.ts?.toISOString() ?? null };
}

const latestSelect = `SELECT m.device_id, m.name AS metric, m.unit, m.type, l.value, l.value_text, l.ts
                        FROM device_metrics m LEFT JOIN latest_values l ON l.series_id = m.id`;

export function registerDeviceRoutes(app: FastifyInstance, db: Database): void {
  const r = withZod(app);

  r.get('/api/devices', {
    config: { roles: staffRoles },
    schema: {
      tags: ['devices'],
      summary: 'Devices of the estate (limited to the buildings the user may see)',
      querystring: z.object({ building: z.string().optional(), type: z.string().optional(), online: z.enum(['true', 'false']).optional() }),
      response: { 200: z.object({ devices: z.array(deviceSchema) }) },
    },
    handler: async (req) => {
      const user = currentUser(req);
      const { rows } = await db.query<DeviceRow>(
        `${deviceSelect}
          WHERE ($1::text IS NULL OR d.building_id = $1)
            AND ($2::text IS NULL OR d.type = $2 OR d.type LIKE $2 || '.%')
            AND ($3::boolean IS NULL OR d.online = $3)
            AND (cardinality($4::text[]) = 0 OR d.building_id = ANY($4))
          ORDER BY d.building_id NULLS LAST, f.level NULLS LAST, d.name`,
        [req.query.building ?? null, req.query.type ?? null, req.query.online === undefined ? null : req.query.online === 'true', user.buildings],
      );
      return { devices: rows.map(toDevice) };
    },
  });

  const loadDevice = async (id: number, req: Parameters<typeof currentUser>[0]) => {
    const { rows } = await db.query<DeviceRow>(`${deviceSelect} WHERE d.id = $1`, [id]);
    if (!rows[0] || !canSeeBuilding(currentUser(req), rows[0].building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no device ${id}`);
    return rows[0];
  };

  r.get('/api/devices/:id', {
    config: { roles: staffRoles },
    schema: { tags: ['devices'], summary: 'One device', params: z.object({ id: z.coerce.number().int().positive() }), response: { 200: z.object({ device: deviceSchema }) } },
    handler: async (req) => ({ device: toDevice(await loadDevice(req.params.id, req)) }),
  });

  r.get('/api/devices/:id/latest', {
    config: { roles: staffRoles },
    schema: {
      tags: ['devices'],
      summary: 'Latest live value of each metric of a device',
      params: z.object({ id: z.coerce.number().int().positive() }),
      response: { 200: z.object({ metrics: z.array(latestSchema) }) },
    },
    handler: async (req) => {
      await loadDevice(req.params.id, req);
      const { rows } = await db.query<LatestRow>(`${latestSelect} WHERE m.device_id = $1 ORDER BY m.name`, [req.params.id]);
      return { metrics: rows.map(toLatest) };
    },
  });

  r.get('/api/buildings/:id/latest', {
    config: { roles: staffRoles },
    schema: {
      tags: ['devices'],
      summary: 'Latest live values of every device in a building',
      params: z.object({ id: z.string().min(1) }),
      response: { 200: z.object({ devices: z.array(z.object({ deviceId: z.number(), metrics: z.array(latestSchema) })) }) },
    },
    handler: async (req) => {
      if (!canSeeBuilding(currentUser(req), req.params.id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no building ${req.params.id}`);
      const { rows } = await db.query<LatestRow>(
        `${latestSelect} JOIN devices d ON d.id = m.device_id WHERE d.building_id = $1 ORDER BY m.device_id, m.name`,
        [req.params.id],
      );
      const byDevice = new Map<number, z.infer<typeof latestSchema>[]>();
      for (const row of rows) {
        const list = byDevice.get(row.device_id) ?? [];
        list.push(toLatest(row));
        byDevice.set(row.device_id, list);
      }
      return { devices: [...byDevice].map(([deviceId, metrics]) => ({ deviceId, metrics })) };
    },
  });

  r.get('/api/estate', {
    config: { roles: staffRoles },
    schema: {
      tags: ['devices'],
      summary: 'Sites, buildings and floors',
      response: {
        200: z.object({
          sites: z.array(z.object({ id: z.string(), name: z.string() })),
          buildings: z.array(z.object({ id: z.string(), siteId: z.string(), name: z.string(), floors: z.array(z.object({ id: z.number(), code: z.string(), level: z.number(), name: z.string().nullable() })) })),
        }),
      },
    },
    handler: async (req) => {
      const user = currentUser(req);
      const sites = await db.query<{ id: string; name: string }>('SELECT id, name FROM sites ORDER BY id');
      const buildings = await db.query<{ id: string; site_id: string; name: string; floors: { id: number; code: string; level: number; name: string | null }[] }>(
        `SELECT b.id, b.site_id, b.name,
                coalesce((SELECT json_agg(json_build_object('id', f.id, 'code', f.code, 'level', f.level, 'name', f.name) ORDER BY f.level)
                            FROM floors f WHERE f.building_id = b.id), '[]'::json) AS floors
           FROM buildings b
          WHERE cardinality($1::text[]) = 0 OR b.id = ANY($1)
          ORDER BY b.id`,
        [user.buildings],
      );
      return { sites: sites.rows, buildings: buildings.rows.map((b) => ({ id: b.id, siteId: b.site_id, name: b.name, floors: b.floors })) };
    },
  });
}
