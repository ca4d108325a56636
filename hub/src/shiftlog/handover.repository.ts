import type { Queryable } from '../db/database.js';

/**
 * SQL of structured shift handovers. The snapshot reads other modules' tables (alarms,
 * work orders, incidents, door readings) directly and read-only: it is one consistent
 * picture taken inside the handover's own transaction, which going through each
 * module's service (each with its own queries and access rules) could not give.
 */

export const handoverPriorities = ['critical', 'high', 'medium', 'low'] as const;
export type HandoverPriority = (typeof handoverPriorities)[number];

/** Lists in a snapshot are capped; `truncated` says a list was longer. */
export const SNAPSHOT_LIST_CAP = 200;

export interface SnapshotAlarm {
  id: number;
  priority: HandoverPriority | null;
  state: 'unack' | 'acked' | 'rtn_unack' | 'normal';
  active: boolean;
  message: string | null;
  device: string;
  buildingId: string | null;
  raisedAt: string | null;
  shelvedUntil: string | null;
  shelvedBy: string | null;
  shelveReason: string | null;
}

export interface SnapshotWorkOrder {
  id: number;
  number: string;
  title: string;
  priority: HandoverPriority;
  status: string;
  buildingId: string | null;
  assignee: string | null;
  createdAt: string;
  resolveDueAt: string;
}

export interface SnapshotIncident {
  id: number;
  title: string;
  priority: HandoverPriority;
  buildingId: string | null;
  zone: string | null;
  openedAt: string;
  lastSignalAt: string;
  workOrderNumber: string | null;
}

export interface SnapshotDoor {
  id: number;
  name: string;
  buildingId: string | null;
  location: string | null;
  /** Latest reading; null when the controller never reported it. */
  open: boolean | null;
  locked: boolean | null;
  /** When the newest of those readings was taken. */
  since: string | null;
}

/** What the control room stood on when the handover was started. */
export interface HandoverSnapshot {
  takenAt: string;
  periodStart: string;
  /** Alarm activations (episodes raised) in the period, by priority. */
  alarmCount: { total: number } & Record<HandoverPriority, number>;
  /** Active or returned-to-normal alarms nobody acknowledged yet (not shelved). */
  unacknowledged: SnapshotAlarm[];
  /** Acknowledged alarms whose condition still stands (not shelved). */
  standing: SnapshotAlarm[];
  /** Shelved alarms, with when the shelving runs out. */
  shelved: SnapshotAlarm[];
  /** Security work orders not yet resolved. */
  workOrders: SnapshotWorkOrder[];
  incidents: SnapshotIncident[];
  /** Doors reported unlocked or open. */
  doors: SnapshotDoor[];
  /** Some list had more than SNAPSHOT_LIST_CAP items and was cut. */
  truncated: boolean;
}

export interface HandoverCounts {
  unacknowledged: number;
  standing: number;
  shelved: number;
  workOrders: number;
  incidents: number;
  doors: number;
  alarmsInPeriod: number;
}

/** One handover as clients get it; the snapshot only where asked for (detail, not lists). */
export interface Handover {
  id: number;
  buildingId: string | null;
  startedAt: string;
  outgoingId: number | null;
  outgoingName: string;
  notes: string;
  periodStart: string;
  status: 'pending' | 'accepted';
  acceptedAt: string | null;
  incomingId: number | null;
  incomingName: string | null;
  acceptRemark: string | null;
  overdueAt: string | null;
  counts: HandoverCounts;
  snapshot?: HandoverSnapshot;
}

interface HandoverRow {
  id: string;
  building_id: string | null;
  started_at: Date;
  outgoing_id: string | null;
  outgoing_name: string;
  notes: string;
  period_start: Date;
  snapshot: HandoverSnapshot | string;
  accepted_at: Date | null;
  incoming_id: string | null;
  incoming_name: string | null;
  accept_remark: string | null;
  overdue_at: Date | null;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const num = (v: string | null) => (v === null ? null : Number(v));

export function countsOf(s: HandoverSnapshot): HandoverCounts {
  return {
    unacknowledged: s.unacknowledged.length,
    standing: s.standing.length,
    shelved: s.shelved.length,
    workOrders: s.workOrders.length,
    incidents: s.incidents.length,
    doors: s.doors.length,
    alarmsInPeriod: s.alarmCount.total,
  };
}

function toHandover(r: HandoverRow, withSnapshot: boolean): Handover {
  const snapshot = typeof r.snapshot === 'string' ? (JSON.parse(r.snapshot) as HandoverSnapshot) : r.snapshot;
  return {
    id: Number(r.id),
    buildingId: r.building_id,
    startedAt: r.started_at.toISOString(),
    outgoingId: num(r.outgoing_id),
    outgoingName: r.outgoing_name,
    notes: r.notes,
    periodStart: r.period_start.toISOString(),
    status: r.accepted_at ? 'accepted' : 'pending',
    acceptedAt: iso(r.accepted_at),
    incomingId: num(r.incoming_id),
    incomingName: r.incoming_name,
    acceptRemark: r.accept_remark,
    overdueAt: iso(r.overdue_at),
    counts: countsOf(snapshot),
    ...(withSnapshot ? { snapshot } : {}),
  };
}

// ---------------------------------------------------------------- snapshot

/** Where the period of a new handover starts: the previous handover of the same scope, else `fallback`. */
export async function previousHandoverStart(db: Queryable, buildingId: string | null, fallback: Date): Promise<Date> {
  const { rows } = await db.query<{ started_at: Date }>(
    'SELECT started_at FROM shift_handovers WHERE building_id IS NOT DISTINCT FROM $1 ORDER BY started_at DESC, id DESC LIMIT 1',
    [buildingId],
  );
  return rows[0]?.started_at ?? fallback;
}

interface AlarmRow {
  id: string;
  priority: HandoverPriority | null;
  state: SnapshotAlarm['state'];
  active: boolean;
  message: string | null;
  device: string;
  building_id: string | null;
  raised_at: Date | null;
  shelved_until: Date | null;
  shelved_by: string | null;
  shelve_reason: string | null;
  shelved: boolean;
}

const PRIORITY_ORDER = `CASE e.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END`;

/**
 * Composes the snapshot of one scope (a building, or null: the whole estate) at `now`.
 * Run it in the transaction that stores the handover, so it is one consistent picture.
 */
export async function composeSnapshot(db: Queryable, buildingId: string | null, periodStart: Date, now: Date): Promise<HandoverSnapshot> {
  const cap = SNAPSHOT_LIST_CAP + 1;
  const alarms = await db.query<AlarmRow>(
    `SELECT a.id, e.priority, a.state, a.active, e.message, d.name AS device, a.building_id, e.raised_at,
            a.shelved_until, a.shelved_by, a.shelve_reason, (a.shelved_until IS NOT NULL AND a.shelved_until > $2) AS shelved
       FROM alarms a
       JOIN devices d ON d.id = a.device_id
       LEFT JOIN alarm_episodes e ON e.id = a.episode_id
      WHERE ($1::text IS NULL OR a.building_id = $1)
        AND NOT a.out_of_service
        AND (a.state <> 'normal' OR (a.shelved_until IS NOT NULL AND a.shelved_until > $2))
      ORDER BY ${PRIORITY_ORDER}, e.raised_at DESC NULLS LAST, a.id DESC`,
    [buildingId, now],
  );
  const toAlarm = (r: AlarmRow): SnapshotAlarm => ({
    id: Number(r.id),
    priority: r.priority,
    state: r.state,
    active: r.active,
    message: r.message,
    device: r.device,
    buildingId: r.building_id,
    raisedAt: iso(r.raised_at),
    shelvedUntil: r.shelved ? iso(r.shelved_until) : null,
    shelvedBy: r.shelved ? r.shelved_by : null,
    shelveReason: r.shelved ? r.shelve_reason : null,
  });
  const shelved = alarms.rows.filter((r) => r.shelved).map(toAlarm);
  const unacknowledged = alarms.rows.filter((r) => !r.shelved && (r.state === 'unack' || r.state === 'rtn_unack')).map(toAlarm);
  const standing = alarms.rows.filter((r) => !r.shelved && r.state === 'acked').map(toAlarm);

  const workOrders = await db.query<{ id: string; number: string; title: string; priority: HandoverPriority; status: string; building_id: string | null; assignee: string | null; created_at: Date; resolve_due_at: Date }>(
    `SELECT w.id, w.number, w.title, w.priority, w.status, w.building_id, s.name AS assignee, w.created_at, w.resolve_due_at
       FROM work_orders w LEFT JOIN staff s ON s.id = w.assignee_id
      WHERE w.kind = 'security' AND w.status IN ('open', 'assigned', 'accepted', 'in_progress', 'on_hold')
        AND ($1::text IS NULL OR w.building_id = $1)
      ORDER BY CASE w.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, w.created_at
      LIMIT $2`,
    [buildingId, cap],
  );
  const incidents = await db.query<{ id: string; title: string; priority: HandoverPriority; building_id: string | null; zone: string | null; opened_at: Date; last_signal_at: Date; number: string | null }>(
    `SELECT i.id, i.title, i.priority, i.building_id, i.zone, i.opened_at, i.last_signal_at, w.number
       FROM incidents i LEFT JOIN work_orders w ON w.id = i.work_order_id
      WHERE i.closed_at IS NULL AND ($1::text IS NULL OR i.building_id = $1)
      ORDER BY i.opened_at DESC
      LIMIT $2`,
    [buildingId, cap],
  );
  const doors = await db.query<{ id: string; name: string; building_id: string | null; location: string | null; open: boolean | null; locked: boolean | null; since: Date | null }>(
    `SELECT * FROM (
       SELECT d.id, d.name, d.building_id, d.location,
              (SELECT l.value = 1 FROM device_metrics m JOIN latest_values l ON l.series_id = m.id WHERE m.device_id = d.id AND m.name = 'open') AS open,
              (SELECT l.value = 1 FROM device_metrics m JOIN latest_values l ON l.series_id = m.id WHERE m.device_id = d.id AND m.name = 'locked') AS locked,
              (SELECT max(l.ts) FROM device_metrics m JOIN latest_values l ON l.series_id = m.id WHERE m.device_id = d.id AND m.name IN ('open', 'locked')) AS since
         FROM devices d
        WHERE (d.type = 'door' OR d.type LIKE 'door.%') AND ($1::text IS NULL OR d.building_id = $1)
     ) x
     WHERE x.open IS TRUE OR x.locked IS FALSE
     ORDER BY x.building_id NULLS LAST, x.name
     LIMIT $2`,
    [buildingId, cap],
  );
  const counted = await db.query<{ priority: HandoverPriority; n: string }>(
    `SELECT priority, count(*) AS n FROM alarm_episodes
      WHERE raised_at >= $2 AND raised_at <= $3 AND ($1::text IS NULL OR building_id = $1)
      GROUP BY priority`,
    [buildingId, periodStart, now],
  );
  const alarmCount = { total: 0, critical: 0, high: 0, medium: 0, low: 0 };
  for (const r of counted.rows) {
    alarmCount[r.priority] = Number(r.n);
    alarmCount.total += Number(r.n);
  }

  const lists = [unacknowledged, standing, shelved, workOrders.rows, incidents.rows, doors.rows];
  const truncated = lists.some((l) => l.length > SNAPSHOT_LIST_CAP);
  const capped = <T>(l: T[]) => l.slice(0, SNAPSHOT_LIST_CAP);
  return {
    takenAt: now.toISOString(),
    periodStart: periodStart.toISOString(),
    alarmCount,
    unacknowledged: capped(unacknowledged),
    standing: capped(standing),
    shelved: capped(shelved),
    workOrders: capped(workOrders.rows).map((w) => ({
      id: Number(w.id),
      number: w.number,
      title: w.title,
      priority: w.priority,
      status: w.status,
      buildingId: w.building_id,
      assignee: w.assignee,
      createdAt: w.created_at.toISOString(),
      resolveDueAt: w.resolve_due_at.toISOString(),
    })),
    incidents: capped(incidents.rows).map((i) => ({
      id: Number(i.id),
      title: i.title,
      priority: i.priority,
      buildingId: i.building_id,
      zone: i.zone,
      openedAt: i.opened_at.toISOString(),
      lastSignalAt: i.last_signal_at.toISOString(),
      workOrderNumber: i.number,
    })),
    doors: capped(doors.rows).map((d) => ({ id: Number(d.id), name: d.name, buildingId: d.building_id, location: d.location, open: d.open, locked: d.locked, since: iso(d.since) })),
    truncated,
  };
}

// ---------------------------------------------------------------- rows

export interface NewHandover {
  buildingId: string | null;
  startedAt: Date;
  outgoingId: number;
  outgoingName: string;
  notes: string;
  periodStart: Date;
  snapshot: HandoverSnapshot;
}

/** Undefined when another handover of the same scope is still pending (the partial unique index). */
export async function insertHandover(tx: Queryable, h: NewHandover): Promise<Handover | undefined> {
  const { rows } = await tx.query<HandoverRow>(
    `INSERT INTO shift_handovers (building_id, started_at, outgoing_id, outgoing_name, notes, period_start, snapshot)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT ((coalesce(building_id, ''))) WHERE accepted_at IS NULL DO NOTHING
     RETURNING *`,
    [h.buildingId, h.startedAt, h.outgoingId, h.outgoingName, h.notes, h.periodStart, JSON.stringify(h.snapshot)],
  );
  return rows[0] ? toHandover(rows[0], true) : undefined;
}

export async function pendingHandoverId(db: Queryable, buildingId: string | null): Promise<number | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM shift_handovers WHERE building_id IS NOT DISTINCT FROM $1 AND accepted_at IS NULL', [buildingId]);
  return rows[0] ? Number(rows[0].id) : undefined;
}

export async function getHandover(db: Queryable, id: number, forUpdate = false): Promise<Handover | undefined> {
  const { rows } = await db.query<HandoverRow>(`SELECT * FROM shift_handovers WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? toHandover(rows[0], true) : undefined;
}

/** Records the acceptance; undefined when it was accepted meanwhile. */
export async function acceptHandover(tx: Queryable, id: number, by: { id: number; name: string }, remark: string | null): Promise<Handover | undefined> {
  const { rows } = await tx.query<HandoverRow>(
    `UPDATE shift_handovers SET accepted_at = now(), incoming_id = $2, incoming_name = $3, accept_remark = $4
      WHERE id = $1 AND accepted_at IS NULL
      RETURNING *`,
    [id, by.id, by.name, remark],
  );
  return rows[0] ? toHandover(rows[0], true) : undefined;
}

/**
 * Flags pending handovers started before `startedBefore` and not yet flagged. The
 * conditional UPDATE is the claim: with several hubs, each overdue handover is flagged
 * (and announced) by exactly one of them.
 */
export async function flagOverdueHandovers(tx: Queryable, startedBefore: Date): Promise<Handover[]> {
  const { rows } = await tx.query<HandoverRow>(
    `UPDATE shift_handovers SET overdue_at = now()
      WHERE accepted_at IS NULL AND overdue_at IS NULL AND started_at < $1
      RETURNING *`,
    [startedBefore],
  );
  return rows.map((r) => toHandover(r, false));
}

export interface HandoverFilter {
  /** Buildings the reader is limited to; empty: the whole estate (and estate-wide handovers). */
  buildings: string[];
  building?: string;
  status?: 'pending' | 'accepted';
  since?: Date;
  until?: Date;
  limit: number;
}

/** Newest first, without snapshots (counts only). */
export async function listHandovers(db: Queryable, f: HandoverFilter): Promise<Handover[]> {
  const { rows } = await db.query<HandoverRow>(
    `SELECT * FROM shift_handovers
      WHERE (cardinality($1::text[]) = 0 OR building_id = ANY($1))
        AND ($2::text IS NULL OR building_id = $2)
        AND ($3::text IS NULL OR ($3 = 'pending') = (accepted_at IS NULL))
        AND ($4::timestamptz IS NULL OR started_at >= $4)
        AND ($5::timestamptz IS NULL OR started_at < $5)
      ORDER BY started_at DESC, id DESC
      LIMIT $6`,
    [f.buildings, f.building ?? null, f.status ?? null, f.since ?? null, f.until ?? null, f.limit],
  );
  return rows.map((r) => toHandover(r, false));
}

/** Strips the snapshot, for lists and live events. */
export function summaryOf(h: Handover): Handover {
  const { snapshot: _snapshot, ...summary } = h;
  return summary;
}
