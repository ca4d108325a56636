import type { DeviceBirth, MetricDefinition } from '@warden/protocols';
import type { Queryable } from '../db/database.js';

export interface SeriesRow {
  series_id: number;
  device_id: number;
  agent_id: string;
  device_code: string;
  metric: string;
  type: MetricDefinition['type'];
}

export async function loadAllSeries(db: Queryable): Promise<SeriesRow[]> {
  const { rows } = await db.query<SeriesRow>(
    `SELECT m.id AS series_id, d.id AS device_id, d.agent_id, d.code AS device_code, m.name AS metric, m.type
       FROM device_metrics m JOIN devices d ON d.id = m.device_id`,
  );
  return rows;
}

export async function loadDeviceKeys(db: Queryable): Promise<{ id: number; agent_id: string; code: string }[]> {
  const { rows } = await db.query<{ id: number; agent_id: string; code: string }>('SELECT id, agent_id, code FROM devices');
  return rows;
}

export interface AgentRow {
  id: string;
  site_id: string;
  building_id: string | null;
  session: string | null;
  last_seq: number | null;
}

export async function loadAgents(db: Queryable): Promise<AgentRow[]> {
  const { rows } = await db.query<AgentRow>('SELECT id, site_id, building_id, session, last_seq FROM agents');
  return rows;
}

/**
 * Creates or updates a device and its metrics from a birth certificate. The
 * building comes from the agent (one agent per building) unless the birth names
 * one the estate knows; the floor is looked up by its code.
 */
export async function upsertDeviceFromBirth(
  db: Queryable,
  agent: AgentRow,
  birth: DeviceBirth,
): Promise<{ deviceId: number; series: { id: number; name: string; type: MetricDefinition['type'] }[] }> {
  const d = birth.device;
  const { rows } = await db.query<{ id: number }>(
    `WITH b AS (
       SELECT coalesce((SELECT id FROM buildings WHERE id = $4), $3::text) AS building_id
     )
     INSERT INTO devices (agent_id, code, site_id, building_id, floor_id, type, name, model, manufacturer, serial, zone, location,
                          capabilities, heartbeat_sec, online, last_seen_at, birth_at)
     SELECT $1, $2, $14, b.building_id,
            (SELECT f.id FROM floors f WHERE f.building_id = b.building_id AND f.code = $5),
            $6, $7, $8, $9, $10, $11, $12, $13, $15, true, to_timestamp($16 / 1000.0), to_timestamp($16 / 1000.0)
       FROM b
     ON CONFLICT (agent_id, code) DO UPDATE SET
       building_id = EXCLUDED.building_id, floor_id = EXCLUDED.floor_id, type = EXCLUDED.type, name = EXCLUDED.name,
       model = EXCLUDED.model, manufacturer = EXCLUDED.manufacturer, serial = EXCLUDED.serial, zone = EXCLUDED.zone,
       location = EXCLUDED.location, capabilities = EXCLUDED.capabilities, heartbeat_sec = EXCLUDED.heartbeat_sec,
       online = true, last_seen_at = greatest(devices.last_seen_at, EXCLUDED.last_seen_at), birth_at = EXCLUDED.birth_at
     RETURNING id`,
    [
      agent.id,
      d.id,
      agent.building_id,
      d.building ?? null,
      d.floor ?? null,
      d.type,
      d.name,
      d.model ?? null,
      d.manufacturer ?? null,
      d.serial ?? null,
      d.zone ?? null,
      d.location ?? null,
      birth.capabilities,
      agent.site_id,
      birth.heartbeatSec ?? null,
      birth.ts,
    ],
  );
  const deviceId = rows[0].id;
  await replaceCoverage(db, deviceId, d.covers ?? []);
  if (birth.metrics.length === 0) return { deviceId, series: [] };
  const metrics = await db.query<{ id: number; name: string; type: MetricDefinition['type'] }>(
    `INSERT INTO device_metrics (device_id, name, type, unit, description, cumulative)
     SELECT $1, u.name, u.type, u.unit, u.description, u.cumulative
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[]) AS u(name, type, unit, description, cumulative)
     ON CONFLICT (device_id, name) DO UPDATE SET
       type = EXCLUDED.type, unit = EXCLUDED.unit, description = EXCLUDED.description, cumulative = EXCLUDED.cumulative
     RETURNING id, name, type`,
    [
      deviceId,
      birth.metrics.map((m) => m.name),
      birth.metrics.map((m) => m.type),
      birth.metrics.map((m) => m.unit ?? null),
      birth.metrics.map((m) => m.description ?? null),
      birth.metrics.map((m) => m.cumulative ?? false),
    ],
  );
  return { deviceId, series: metrics.rows };
}

/**
 * What a camera's view covers, as its latest birth says (`device.covers`; absent means
 * nothing). Stored as codes of the same agent: the covered devices may be born later.
 */
export async function replaceCoverage(db: Queryable, cameraId: number, covers: string[]): Promise<void> {
  await db.query(
    `WITH gone AS (DELETE FROM device_coverage WHERE camera_id = $1 AND NOT (covered_code = ANY($2::text[])))
     INSERT INTO device_coverage (camera_id, covered_code) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
    [cameraId, covers],
  );
}

/**
 * A reading for a device or metric the hub has no birth for (a birth lost, or an
 * agent that does not send them): keep the data, registering the device with an
 * "unknown" type and the metric with the type its value shows.
 */
export async function ensureSeries(
  db: Queryable,
  agent: AgentRow,
  deviceCode: string,
  metric: string,
  type: MetricDefinition['type'],
): Promise<{ seriesId: number; deviceId: number }> {
  const { deviceId } = await ensureDevice(db, agent, deviceCode);
  const series = await db.query<{ id: number }>(
    `INSERT INTO device_metrics (device_id, name, type) VALUES ($1, $2, $3)
     ON CONFLICT (device_id, name) DO UPDATE SET name = EXCLUDED.name
     RETURNING id`,
    [deviceId, metric, type],
  );
  return { seriesId: series.rows[0].id, deviceId };
}

export async function ensureDevice(db: Queryable, agent: AgentRow, deviceCode: string): Promise<{ deviceId: number }> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO devices (agent_id, code, site_id, building_id, type, name)
     VALUES ($1, $2, $3, $4, 'unknown', $2)
     ON CONFLICT (agent_id, code) DO UPDATE SET code = EXCLUDED.code
     RETURNING id`,
    [agent.id, deviceCode, agent.site_id, agent.building_id],
  );
  return { deviceId: rows[0].id };
}

export async function setAgentState(db: Queryable, agentId: string, online: boolean, session: string, agentVersion: string | undefined, at: number): Promise<boolean> {
  // An offline will from an older connection must not mark the current one offline.
  const { rowCount } = await db.query(
    `UPDATE agents SET online = $2, session = $3, agent_version = coalesce($4, agent_version), state_changed_at = to_timestamp($5 / 1000.0)
      WHERE id = $1 AND ($2 OR session IS NULL OR session = $3)`,
    [agentId, online, session, agentVersion ?? null, at],
  );
  if (!online && rowCount) await db.query('UPDATE devices SET online = false WHERE agent_id = $1 AND online', [agentId]);
  return (rowCount ?? 0) > 0;
}

export async function saveAgentSeq(db: Queryable, seqs: { agentId: string; seq: number }[]): Promise<void> {
  if (!seqs.length) return;
  await db.query(
    `UPDATE agents a SET last_seq = u.seq FROM unnest($1::text[], $2::bigint[]) AS u(id, seq) WHERE a.id = u.id`,
    [seqs.map((s) => s.agentId), seqs.map((s) => s.seq)],
  );
}

/** Marks devices seen (and online) at the given times, in one statement. */
export async function touchDevices(db: Queryable, seen: { deviceId: number; at: number }[]): Promise<number[]> {
  if (!seen.length) return [];
  const { rows } = await db.query<{ id: number; was_online: boolean }>(
    `WITH u AS (SELECT * FROM unnest($1::bigint[], $2::float8[]) AS u(id, at)),
          prev AS (SELECT d.id, d.online FROM devices d JOIN u ON u.id = d.id)
     UPDATE devices d SET last_seen_at = greatest(d.last_seen_at, to_timestamp(u.at / 1000.0)), online = true
       FROM u, prev WHERE d.id = u.id AND prev.id = d.id
     RETURNING d.id, prev.online AS was_online`,
    [seen.map((s) => s.deviceId), seen.map((s) => s.at)],
  );
  return rows.filter((r) => !r.was_online).map((r) => r.id);
}

/**
 * Devices silent for more than three heartbeats: marked offline, their ids
 * returned. Last-seen times are written every few seconds, not per reading, so
 * silence shorter than `minSilenceSec` never counts (fast-polled devices would flap).
 */
export async function expireSilentDevices(db: Queryable, minSilenceSec: number): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `UPDATE devices SET online = false
      WHERE online AND heartbeat_sec IS NOT NULL
        AND last_seen_at < now() - make_interval(secs => greatest(heartbeat_sec * 3, $1))
      RETURNING id`,
    [minSilenceSec],
  );
  return rows.map((r) => r.id);
}
