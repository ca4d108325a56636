import type { Queryable } from '../db/database.js';

/**
 * Class of the transaction-level advisory lock that serialises incident decisions per
 * building ("WINC"); the building id's hash is the second key. Taken inside the alarm's
 * raise transaction, so two hubs raising related alarms at the same moment decide one
 * after the other, the second seeing the first's incident.
 */
export const INCIDENT_LOCK_CLASS = 0x57494e43;

export async function lockBuilding(tx: Queryable, buildingId: string | null): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock($1::int, hashtext(coalesce($2::text, '')))`, [INCIDENT_LOCK_CLASS, buildingId]);
}

export interface JoinableIncident {
  id: string;
  work_order_id: string | null;
  priority: string;
}

/**
 * The open incident a new episode of `deviceId` belongs to: same building, a signal
 * since `since`, a work order still being worked (or none), and related in place to one
 * of its devices: the same device or zone, a camera covering it or covered by it, or a
 * camera covering both.
 */
export async function findJoinableIncident(tx: Queryable, deviceId: number, buildingId: string | null, since: Date): Promise<JoinableIncident | undefined> {
  const { rows } = await tx.query<JoinableIncident>(
    `WITH target AS (SELECT id, zone FROM devices WHERE id = $1)
     SELECT i.id, i.work_order_id, i.priority
       FROM incidents i LEFT JOIN work_orders w ON w.id = i.work_order_id, target t
      WHERE i.closed_at IS NULL
        AND i.building_id IS NOT DISTINCT FROM $2
        AND i.last_signal_at >= $3
        AND (w.id IS NULL OR w.status NOT IN ('resolved', 'closed', 'cancelled'))
        AND EXISTS (
          SELECT 1
            FROM incident_episodes ie JOIN alarm_episodes e ON e.id = ie.episode_id JOIN devices d ON d.id = e.device_id
           WHERE ie.incident_id = i.id
             AND (d.id = t.id
                  OR d.zone = t.zone
                  OR EXISTS (SELECT 1 FROM camera_coverage c WHERE (c.camera_id = d.id AND c.device_id = t.id) OR (c.camera_id = t.id AND c.device_id = d.id))
                  OR EXISTS (SELECT 1 FROM camera_coverage c1 JOIN camera_coverage c2 ON c2.camera_id = c1.camera_id WHERE c1.device_id = d.id AND c2.device_id = t.id)))
      ORDER BY i.last_signal_at DESC, i.id DESC
      LIMIT 1`,
    [deviceId, buildingId, since],
  );
  return rows[0];
}

export async function insertIncident(tx: Queryable, i: { buildingId: string | null; deviceId: number; title: string; priority: string; at: Date }): Promise<number> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO incidents (building_id, zone, title, priority, opened_at, last_signal_at)
     VALUES ($1, (SELECT zone FROM devices WHERE id = $2), $3, $4, $5, $5) RETURNING id`,
    [i.buildingId, i.deviceId, i.title, i.priority, i.at],
  );
  return Number(rows[0].id);
}

export async function addEpisode(tx: Queryable, incidentId: number, episodeId: number, at: Date): Promise<void> {
  await tx.query('INSERT INTO incident_episodes (incident_id, episode_id, joined_at) VALUES ($1, $2, $3)', [incidentId, episodeId, at]);
}

export async function touchIncident(tx: Queryable, incidentId: number, at: Date, priority: string): Promise<void> {
  await tx.query('UPDATE incidents SET last_signal_at = greatest(last_signal_at, $2), priority = $3 WHERE id = $1', [incidentId, at, priority]);
}

export async function setWorkOrder(tx: Queryable, incidentId: number, workOrderId: number): Promise<void> {
  await tx.query('UPDATE incidents SET work_order_id = $2 WHERE id = $1', [incidentId, workOrderId]);
}

/** The episode shares its incident's work order (work_orders.alarm_episode_id stays the first episode's). */
export async function linkEpisodeToWorkOrder(tx: Queryable, episodeId: number, workOrderId: number): Promise<void> {
  await tx.query('UPDATE alarm_episodes SET work_order_id = $2 WHERE id = $1', [episodeId, workOrderId]);
}

/** Incidents whose work order is finished for good are closed: a new signal then opens a new incident. */
export async function closeIncidentsOfWorkOrder(tx: Queryable, workOrderId: number, at: Date): Promise<{ id: string; building_id: string | null }[]> {
  const { rows } = await tx.query<{ id: string; building_id: string | null }>(
    'UPDATE incidents SET closed_at = $2 WHERE work_order_id = $1 AND closed_at IS NULL RETURNING id, building_id',
    [workOrderId, at],
  );
  return rows;
}

export interface IncidentRow {
  id: string;
  building_id: string | null;
  zone: string | null;
  title: string;
  priority: string;
  opened_at: Date;
  last_signal_at: Date;
  closed_at: Date | null;
  work_order_id: string | null;
  work_order_number: string | null;
  work_order_status: string | null;
  episodes: string;
  evidence: string;
}

const incidentSelect = `SELECT i.id, i.building_id, i.zone, i.title, i.priority, i.opened_at, i.last_signal_at, i.closed_at, i.work_order_id,
                               w.number AS work_order_number, w.status AS work_order_status,
                               (SELECT count(*) FROM incident_episodes ie WHERE ie.incident_id = i.id) AS episodes,
                               (SELECT count(*) FROM evidence ev JOIN incident_episodes ie ON ie.episode_id = ev.episode_id WHERE ie.incident_id = i.id) AS evidence
                          FROM incidents i LEFT JOIN work_orders w ON w.id = i.work_order_id`;

export async function incidentById(db: Queryable, id: number): Promise<IncidentRow | undefined> {
  const { rows } = await db.query<IncidentRow>(`${incidentSelect} WHERE i.id = $1`, [id]);
  return rows[0];
}

export async function listIncidents(
  db: Queryable,
  q: { buildings: string[]; building: string | null; status: 'open' | 'closed' | 'all'; limit: number; before: number | null },
): Promise<IncidentRow[]> {
  const { rows } = await db.query<IncidentRow>(
    `${incidentSelect}
      WHERE (cardinality($1::text[]) = 0 OR i.building_id = ANY($1))
        AND ($2::text IS NULL OR i.building_id = $2)
        AND ($3 = 'all' OR ($3 = 'open') = (i.closed_at IS NULL))
        AND ($5::bigint IS NULL OR i.id < $5)
      ORDER BY i.id DESC LIMIT $4`,
    [q.buildings, q.building, q.status, q.limit, q.before],
  );
  return rows;
}

export interface IncidentEpisodeRow {
  episode_id: string;
  alarm_id: string;
  rule_name: string;
  device_id: string;
  device_code: string;
  device_name: string;
  device_type: string;
  zone: string | null;
  priority: string;
  message: string;
  raised_at: Date;
  acked_at: Date | null;
  ended_at: Date | null;
  alarm_state: string;
  work_order_id: string | null;
  joined_at: Date;
}

export async function incidentEpisodes(db: Queryable, incidentId: number): Promise<IncidentEpisodeRow[]> {
  const { rows } = await db.query<IncidentEpisodeRow>(
    `SELECT e.id AS episode_id, e.alarm_id, r.name AS rule_name, d.id AS device_id, d.code AS device_code, d.name AS device_name, d.type AS device_type, d.zone,
            e.priority, e.message, e.raised_at, e.acked_at, e.ended_at, a.state AS alarm_state, e.work_order_id, ie.joined_at
       FROM incident_episodes ie
       JOIN alarm_episodes e ON e.id = ie.episode_id
       JOIN alarms a ON a.id = e.alarm_id
       JOIN alarm_rules r ON r.id = e.rule_id
       JOIN devices d ON d.id = e.device_id
      WHERE ie.incident_id = $1
      ORDER BY e.raised_at, e.id`,
    [incidentId],
  );
  return rows;
}

export async function incidentOfEpisode(db: Queryable, episodeId: number): Promise<number | null> {
  const { rows } = await db.query<{ incident_id: string }>('SELECT incident_id FROM incident_episodes WHERE episode_id = $1', [episodeId]);
  return rows[0] ? Number(rows[0].incident_id) : null;
}
