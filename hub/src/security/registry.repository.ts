import type { Queryable } from '../db/database.js';

/** Door and camera devices: what their births declare them as (`door`, `door.*`, `camera`, `camera.*`). */
export type SecurityDeviceKind = 'door' | 'camera';

const typeFilter = (alias: string, kind: SecurityDeviceKind) => `(${alias}.type = '${kind}' OR ${alias}.type LIKE '${kind}.%')`;

export interface RegistryRow {
  id: string;
  code: string;
  agent_id: string;
  name: string;
  type: string;
  building_id: string | null;
  floor: string | null;
  zone: string | null;
  location: string | null;
  capabilities: string[];
  online: boolean;
  last_seen_at: Date | null;
  /** Latest live value of each metric, by name. */
  metrics: Record<string, { value: number | boolean | string | null; ts: string }>;
  /** Doors: the cameras covering them; cameras: the devices they cover. */
  related: { id: number; code: string; name: string; type: string }[];
  /** Cameras: codes in `covers` of devices not (yet) born. */
  unresolved: string[];
}

/**
 * Doors or cameras visible to a user (`buildings` empty: the whole estate), with their
 * location, online state, latest readings and coverage, in one query.
 */
export async function listSecurityDevices(db: Queryable, kind: SecurityDeviceKind, buildings: string[], building: string | null, ids?: number[]): Promise<RegistryRow[]> {
  const related =
    kind === 'door'
      ? `SELECT json_agg(json_build_object('id', cam.id, 'code', cam.code, 'name', cam.name, 'type', cam.type) ORDER BY cam.name)
           FROM camera_coverage c JOIN devices cam ON cam.id = c.camera_id WHERE c.device_id = d.id`
      : `SELECT json_agg(json_build_object('id', x.id, 'code', x.code, 'name', x.name, 'type', x.type) ORDER BY x.name)
           FROM camera_coverage c JOIN devices x ON x.id = c.device_id WHERE c.camera_id = d.id`;
  const { rows } = await db.query<RegistryRow>(
    `SELECT d.id, d.code, d.agent_id, d.name, d.type, d.building_id, f.code AS floor, d.zone, d.location, d.capabilities, d.online, d.last_seen_at,
            coalesce((SELECT json_object_agg(m.name, json_build_object(
                        'value', CASE m.type WHEN 'boolean' THEN to_json(l.value = 1) WHEN 'string' THEN to_json(l.value_text) ELSE to_json(l.value) END,
                        'ts', l.ts))
                        FROM device_metrics m JOIN latest_values l ON l.series_id = m.id WHERE m.device_id = d.id), '{}'::json) AS metrics,
            coalesce((${related}), '[]'::json) AS related,
            coalesce((SELECT array_agg(c.covered_code ORDER BY c.covered_code) FROM device_coverage c
                       WHERE c.camera_id = d.id AND NOT EXISTS (SELECT 1 FROM devices x WHERE x.agent_id = d.agent_id AND x.code = c.covered_code)), '{}') AS unresolved
       FROM devices d LEFT JOIN floors f ON f.id = d.floor_id
      WHERE ${typeFilter('d', kind)}
        AND (cardinality($1::text[]) = 0 OR d.building_id = ANY($1))
        AND ($2::text IS NULL OR d.building_id = $2)
        AND ($3::bigint[] IS NULL OR d.id = ANY($3))
      ORDER BY d.building_id NULLS LAST, f.level NULLS LAST, d.name`,
    [buildings, building, ids ?? null],
  );
  return rows;
}

export interface SecurityDevice {
  id: number;
  code: string;
  name: string;
  type: string;
  buildingId: string | null;
  zone: string | null;
  online: boolean;
  capabilities: string[];
}

interface DeviceRow {
  id: string;
  code: string;
  name: string;
  type: string;
  building_id: string | null;
  zone: string | null;
  online: boolean;
  capabilities: string[];
}

const toDevice = (r: DeviceRow): SecurityDevice => ({
  id: Number(r.id),
  code: r.code,
  name: r.name,
  type: r.type,
  buildingId: r.building_id,
  zone: r.zone,
  online: r.online,
  capabilities: r.capabilities,
});

/** One door (or camera) by id; undefined if the device is of another kind. */
export async function securityDevice(db: Queryable, kind: SecurityDeviceKind, id: number): Promise<SecurityDevice | undefined> {
  const { rows } = await db.query<DeviceRow>(`SELECT d.id, d.code, d.name, d.type, d.building_id, d.zone, d.online, d.capabilities FROM devices d WHERE d.id = $1 AND ${typeFilter('d', kind)}`, [id]);
  return rows[0] && toDevice(rows[0]);
}

/**
 * The cameras that saw what happened at a device, best first: the device itself if it
 * is a camera; else the cameras whose `covers` include it; else the cameras of its
 * building and zone. Only the best non-empty group is returned.
 */
export async function camerasWatching(db: Queryable, deviceId: number, limit: number): Promise<{ cameras: SecurityDevice[]; how: 'self' | 'coverage' | 'zone' | 'none' }> {
  const { rows } = await db.query<DeviceRow & { rank: number }>(
    `WITH target AS (SELECT id, type, building_id, zone FROM devices WHERE id = $1),
          candidates AS (
            SELECT t.id, 1 AS rank FROM target t WHERE ${typeFilter('t', 'camera')}
            UNION ALL
            SELECT c.camera_id, 2 FROM camera_coverage c WHERE c.device_id = $1
            UNION ALL
            SELECT cam.id, 3 FROM devices cam JOIN target t ON cam.building_id = t.building_id AND cam.zone = t.zone
             WHERE ${typeFilter('cam', 'camera')} AND cam.id <> t.id
          )
     SELECT d.id, d.code, d.name, d.type, d.building_id, d.zone, d.online, d.capabilities, min(c.rank)::int AS rank
       FROM candidates c JOIN devices d ON d.id = c.id
      GROUP BY d.id
      ORDER BY rank, d.name`,
    [deviceId],
  );
  if (!rows.length) return { cameras: [], how: 'none' };
  const best = rows[0].rank;
  return { cameras: rows.filter((r) => r.rank === best).slice(0, limit).map(toDevice), how: best === 1 ? 'self' : best === 2 ? 'coverage' : 'zone' };
}

// ---------------------------------------------------------------- zones

export interface ZoneScheduleRow {
  building_id: string;
  zone: string;
  schedule: unknown;
  updated_by: string;
  updated_at: Date;
}

export async function loadZoneSchedules(db: Queryable): Promise<ZoneScheduleRow[]> {
  const { rows } = await db.query<ZoneScheduleRow>('SELECT building_id, zone, schedule, updated_by, updated_at FROM zone_schedules');
  return rows;
}

export async function zoneSchedule(db: Queryable, buildingId: string, zone: string): Promise<ZoneScheduleRow | undefined> {
  const { rows } = await db.query<ZoneScheduleRow>('SELECT building_id, zone, schedule, updated_by, updated_at FROM zone_schedules WHERE building_id = $1 AND zone = $2', [buildingId, zone]);
  return rows[0];
}

export async function upsertZoneSchedule(db: Queryable, buildingId: string, zone: string, schedule: unknown, by: string): Promise<ZoneScheduleRow> {
  const { rows } = await db.query<ZoneScheduleRow>(
    `INSERT INTO zone_schedules (building_id, zone, schedule, updated_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (building_id, zone) DO UPDATE SET schedule = EXCLUDED.schedule, updated_by = EXCLUDED.updated_by, updated_at = now()
     RETURNING building_id, zone, schedule, updated_by, updated_at`,
    [buildingId, zone, JSON.stringify(schedule), by],
  );
  return rows[0];
}

export async function deleteZoneSchedule(db: Queryable, buildingId: string, zone: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM zone_schedules WHERE building_id = $1 AND zone = $2', [buildingId, zone]);
  return (rowCount ?? 0) > 0;
}

export async function buildingExists(db: Queryable, buildingId: string): Promise<boolean> {
  return ((await db.query('SELECT 1 FROM buildings WHERE id = $1', [buildingId])).rowCount ?? 0) > 0;
}

/** The zones of the estate: every zone a device names, and every zone with a schedule. */
export async function listZones(db: Queryable, buildings: string[], building: string | null): Promise<{ building_id: string; zone: string; devices: number; doors: number; cameras: number }[]> {
  const { rows } = await db.query<{ building_id: string; zone: string; devices: string; doors: string; cameras: string }>(
    `SELECT z.building_id, z.zone,
            count(d.id) AS devices,
            count(d.id) FILTER (WHERE ${typeFilter('d', 'door')}) AS doors,
            count(d.id) FILTER (WHERE ${typeFilter('d', 'camera')}) AS cameras
       FROM (SELECT building_id, zone FROM devices WHERE zone IS NOT NULL AND building_id IS NOT NULL
             UNION SELECT building_id, zone FROM zone_schedules) z
       LEFT JOIN devices d ON d.building_id = z.building_id AND d.zone = z.zone
      WHERE (cardinality($1::text[]) = 0 OR z.building_id = ANY($1)) AND ($2::text IS NULL OR z.building_id = $2)
      GROUP BY z.building_id, z.zone
      ORDER BY z.building_id, z.zone`,
    [buildings, building],
  );
  return rows.map((r) => ({ ...r, devices: Number(r.devices), doors: Number(r.doors), cameras: Number(r.cameras) }));
}
