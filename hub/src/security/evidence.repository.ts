import type { Queryable } from '../db/database.js';

export type EvidenceKind = 'snapshot' | 'clip';

export interface EvidenceInput {
  episodeId: number;
  incidentId: number | null;
  cameraId: number;
  commandId: string | null;
  kind: EvidenceKind;
  contentType: string;
  bytes: Buffer;
  width: number | null;
  height: number | null;
  seconds: number | null;
  capturedAt: Date;
  /** Came after the snapshot deadline (kept all the same: a late picture beats none). */
  late: boolean;
}

/** Stores a piece of evidence once per (episode, camera, kind); undefined if it was already there. */
export async function insertEvidence(db: Queryable, e: EvidenceInput): Promise<{ id: number; createdAt: Date } | undefined> {
  const { rows } = await db.query<{ id: string; created_at: Date }>(
    `INSERT INTO evidence (episode_id, incident_id, camera_device_id, command_id, kind, content_type, bytes, size, width, height, seconds, captured_at, late)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (episode_id, camera_device_id, kind) DO NOTHING
     RETURNING id, created_at`,
    [e.episodeId, e.incidentId, e.cameraId, e.commandId, e.kind, e.contentType, e.bytes, e.bytes.length, e.width, e.height, e.seconds, e.capturedAt, e.late],
  );
  return rows[0] && { id: Number(rows[0].id), createdAt: rows[0].created_at };
}

/**
 * A snapshot the incident already holds from this camera, captured within `withinSec`
 * of `around` (either side: the first episode's picture is often taken a moment after
 * a later episode was raised). The newest such one, if any.
 */
export async function recentIncidentSnapshot(db: Queryable, incidentId: number, cameraId: number, around: Date, withinSec: number): Promise<number | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT ev.id FROM evidence ev
      WHERE ev.incident_id = $1 AND ev.camera_device_id = $2 AND ev.kind = 'snapshot'
        AND ev.captured_at BETWEEN $3::timestamptz - make_interval(secs => $4) AND $3::timestamptz + make_interval(secs => $4)
      ORDER BY ev.captured_at DESC, ev.id DESC LIMIT 1`,
    [incidentId, cameraId, around, withinSec],
  );
  return rows[0] && Number(rows[0].id);
}

/** The episode shows evidence another episode of its incident stored; false if it already did. */
export async function linkEvidence(db: Queryable, episodeId: number, evidenceId: number): Promise<boolean> {
  const { rowCount } = await db.query('INSERT INTO evidence_links (episode_id, evidence_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [episodeId, evidenceId]);
  return (rowCount ?? 0) > 0;
}

export interface EpisodeContext {
  episodeId: number;
  alarmId: number;
  deviceId: number;
  buildingId: string | null;
  category: string;
  raisedAt: Date;
  incidentId: number | null;
}

export async function episodeContext(db: Queryable, episodeId: number): Promise<EpisodeContext | undefined> {
  const { rows } = await db.query<{ id: string; alarm_id: string; device_id: string; building_id: string | null; category: string; raised_at: Date; incident_id: string | null }>(
    `SELECT e.id, e.alarm_id, e.device_id, e.building_id, e.category, e.raised_at, ie.incident_id
       FROM alarm_episodes e LEFT JOIN incident_episodes ie ON ie.episode_id = e.id
      WHERE e.id = $1`,
    [episodeId],
  );
  const r = rows[0];
  return (
    r && {
      episodeId: Number(r.id),
      alarmId: Number(r.alarm_id),
      deviceId: Number(r.device_id),
      buildingId: r.building_id,
      category: r.category,
      raisedAt: r.raised_at,
      incidentId: r.incident_id === null ? null : Number(r.incident_id),
    }
  );
}

/**
 * A camera could not give evidence: the alarm's log says so (a transition that changes
 * no state, like a comment), so the guard knows to look at the camera rather than wait.
 */
export async function noteEvidenceFailure(db: Queryable, alarmId: number, episodeId: number, note: string, details: Record<string, unknown>): Promise<void> {
  await db.query(
    `INSERT INTO alarm_transitions (alarm_id, episode_id, action, from_state, to_state, actor, note, details)
     SELECT id, $2, 'evidence-failed', state, state, 'system', $3, $4 FROM alarms WHERE id = $1`,
    [alarmId, episodeId, note, JSON.stringify(details)],
  );
}

export interface EvidenceRow {
  id: string;
  episode_id: string;
  incident_id: string | null;
  camera_device_id: string;
  camera_code: string;
  camera_name: string;
  kind: EvidenceKind;
  content_type: string;
  size: number;
  width: number | null;
  height: number | null;
  seconds: number | null;
  captured_at: Date;
  created_at: Date;
  late: boolean;
  building_id: string | null;
}

const evidenceColumns = `ev.id, ev.episode_id, ev.incident_id, ev.camera_device_id, cam.code AS camera_code, cam.name AS camera_name, ev.kind, ev.content_type,
                         ev.size, ev.width, ev.height, ev.seconds, ev.captured_at, ev.created_at, ev.late, e.building_id`;
const evidenceFrom = `FROM evidence ev JOIN devices cam ON cam.id = ev.camera_device_id JOIN alarm_episodes e ON e.id = ev.episode_id`;

/** Evidence of episodes (their own and what they link to, each piece once), or by id. */
export async function listEvidence(db: Queryable, q: { episodeIds?: number[]; ids?: number[] }): Promise<EvidenceRow[]> {
  const { rows } = await db.query<EvidenceRow>(
    `SELECT ${evidenceColumns} ${evidenceFrom}
      WHERE ($1::bigint[] IS NULL OR ev.episode_id = ANY($1) OR ev.id IN (SELECT l.evidence_id FROM evidence_links l WHERE l.episode_id = ANY($1)))
        AND ($2::bigint[] IS NULL OR ev.id = ANY($2))
      ORDER BY ev.captured_at, ev.id`,
    [q.episodeIds ?? null, q.ids ?? null],
  );
  return rows;
}

export async function evidenceWithBytes(db: Queryable, id: number): Promise<(EvidenceRow & { bytes: Buffer }) | undefined> {
  const { rows } = await db.query<EvidenceRow & { bytes: Buffer }>(`SELECT ev.bytes, ${evidenceColumns} ${evidenceFrom} WHERE ev.id = $1`, [id]);
  return rows[0];
}

export async function episodeBuilding(db: Queryable, episodeId: number): Promise<{ building_id: string | null; category: string } | undefined> {
  const { rows } = await db.query<{ building_id: string | null; category: string }>('SELECT building_id, category FROM alarm_episodes WHERE id = $1', [episodeId]);
  return rows[0];
}

/** The evidence as the API and the live stream show it; the bytes are at `url`. */
export function evidenceJson(r: EvidenceRow) {
  return {
    id: Number(r.id),
    episodeId: Number(r.episode_id),
    incidentId: r.incident_id === null ? null : Number(r.incident_id),
    cameraId: Number(r.camera_device_id),
    cameraCode: r.camera_code,
    cameraName: r.camera_name,
    kind: r.kind,
    contentType: r.content_type,
    size: r.size,
    width: r.width,
    height: r.height,
    seconds: r.seconds,
    capturedAt: r.captured_at.toISOString(),
    createdAt: r.created_at.toISOString(),
    late: r.late,
    url: `/api/evidence/${r.id}`,
  };
}
export type EvidenceJson = ReturnType<typeof evidenceJson>;
