import type { Role } from '../auth/roles.js';
import type { Queryable } from '../db/database.js';
import type { DispatchCandidate } from './dispatcher.js';
import type { Priority, Verification, WorkOrderKind, WorkOrderStatus } from './work-order.types.js';

export interface WorkOrderRow {
  id: number;
  number: string;
  kind: WorkOrderKind;
  source: 'alarm' | 'manual' | 'request' | 'preventive';
  alarm_episode_id: number | null;
  title: string;
  description: string | null;
  priority: Priority;
  status: WorkOrderStatus;
  trade: string;
  building_id: string | null;
  device_id: number | null;
  device_name: string | null;
  location: string | null;
  assignee_id: number | null;
  assignee_name: string | null;
  created_by: string;
  created_at: Date;
  accept_due_at: Date;
  resolve_due_at: Date;
  assigned_at: Date | null;
  accepted_at: Date | null;
  started_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  cancelled_at: Date | null;
  resolution: string | null;
  verification: Verification | null;
  reopen_count: number;
  escalation_level: number;
  accept_breached_at: Date | null;
  resolve_breached_at: Date | null;
  updated_at: Date;
}

const workOrderSelect = `SELECT w.*, d.name AS device_name, s.name AS assignee_name
                           FROM work_orders w
                           LEFT JOIN devices d ON d.id = w.device_id
                           LEFT JOIN staff s ON s.id = w.assignee_id`;

/** The columns a transition may set (names chosen here, never from input). */
type WorkOrderPatch = Partial<
  Pick<
    WorkOrderRow,
    | 'status'
    | 'priority'
    | 'alarm_episode_id'
    | 'assignee_id'
    | 'accept_due_at'
    | 'resolve_due_at'
    | 'assigned_at'
    | 'accepted_at'
    | 'started_at'
    | 'resolved_at'
    | 'closed_at'
    | 'cancelled_at'
    | 'resolution'
    | 'verification'
    | 'reopen_count'
    | 'escalation_level'
    | 'accept_breached_at'
    | 'resolve_breached_at'
  >
>;

export async function selectWorkOrder(db: Queryable, id: number): Promise<WorkOrderRow | undefined> {
  const { rows } = await db.query<WorkOrderRow>(`${workOrderSelect} WHERE w.id = $1`, [id]);
  return rows[0];
}

/** Locks the work order for a transition: concurrent changes of one work order run one after the other. */
export async function lockWorkOrder(tx: Queryable, id: number): Promise<WorkOrderRow | undefined> {
  const { rows } = await tx.query<WorkOrderRow>(`${workOrderSelect} WHERE w.id = $1 FOR UPDATE OF w`, [id]);
  return rows[0];
}

export async function updateWorkOrder(tx: Queryable, id: number, patch: WorkOrderPatch, at: Date): Promise<void> {
  const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
  const sets = entries.map(([column], i) => `${column} = $${i + 3}`);
  await tx.query(`UPDATE work_orders SET updated_at = $2${sets.length ? ', ' : ''}${sets.join(', ')} WHERE id = $1`, [id, at, ...entries.map(([, v]) => v)]);
}

export interface NewWorkOrder {
  kind: WorkOrderKind;
  source: WorkOrderRow['source'];
  alarmEpisodeId: number | null;
  title: string;
  description: string | null;
  priority: Priority;
  trade: string;
  buildingId: string | null;
  deviceId: number | null;
  location: string | null;
  createdBy: string;
  createdAt: Date;
  acceptDueAt: Date;
  resolveDueAt: Date;
}

/** Inserts a work order numbered WO-000001, WO-000002, ... The unique alarm_episode_id makes a second one for an episode fail. */
export async function insertWorkOrder(tx: Queryable, wo: NewWorkOrder): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO work_orders (number, kind, source, alarm_episode_id, title, description, priority, trade, building_id, device_id, location,
                              created_by, created_at, updated_at, accept_due_at, resolve_due_at)
     VALUES ('WO-' || lpad(nextval('work_order_number_seq')::text, 6, '0'), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14)
     RETURNING id`,
    [wo.kind, wo.source, wo.alarmEpisodeId, wo.title, wo.description, wo.priority, wo.trade, wo.buildingId, wo.deviceId, wo.location, wo.createdBy, wo.createdAt, wo.acceptDueAt, wo.resolveDueAt],
  );
  return rows[0].id;
}

export interface WorkOrderEventInput {
  workOrderId: number;
  at: Date;
  action: string;
  fromStatus: WorkOrderStatus | null;
  toStatus: WorkOrderStatus;
  userId: number | null;
  actor: string;
  note?: string | null;
  details?: Record<string, unknown> | null;
}

export async function insertEvent(tx: Queryable, e: WorkOrderEventInput): Promise<void> {
  await tx.query(
    `INSERT INTO work_order_events (work_order_id, at, action, from_status, to_status, user_id, actor, note, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [e.workOrderId, e.at, e.action, e.fromStatus, e.toStatus, e.userId, e.actor, e.note ?? null, e.details ? JSON.stringify(e.details) : null],
  );
}

export interface WorkOrderEventRow {
  id: number;
  at: Date;
  action: string;
  from_status: WorkOrderStatus | null;
  to_status: WorkOrderStatus;
  user_id: number | null;
  actor: string;
  note: string | null;
  details: Record<string, unknown> | null;
}

export async function listEvents(db: Queryable, workOrderId: number): Promise<WorkOrderEventRow[]> {
  const { rows } = await db.query<WorkOrderEventRow>(
    'SELECT id, at, action, from_status, to_status, user_id, actor, note, details FROM work_order_events WHERE work_order_id = $1 ORDER BY at, id',
    [workOrderId],
  );
  return rows;
}

export async function slaPolicy(db: Queryable, priority: Priority): Promise<{ acceptMinutes: number; resolveMinutes: number }> {
  const { rows } = await db.query<{ accept_minutes: number; resolve_minutes: number }>('SELECT accept_minutes, resolve_minutes FROM sla_policies WHERE priority = $1', [priority]);
  if (!rows[0]) throw new Error(`no SLA policy for priority ${priority}`);
  return { acceptMinutes: rows[0].accept_minutes, resolveMinutes: rows[0].resolve_minutes };
}

export async function deviceInfo(db: Queryable, deviceId: number): Promise<{ id: number; type: string; name: string; building_id: string | null; location: string | null } | undefined> {
  const { rows } = await db.query<{ id: number; type: string; name: string; building_id: string | null; location: string | null }>(
    'SELECT id, type, name, building_id, location FROM devices WHERE id = $1',
    [deviceId],
  );
  return rows[0];
}

export async function buildingExists(db: Queryable, buildingId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM buildings WHERE id = $1', [buildingId]);
  return rows.length > 0;
}

/**
 * The most recently resolved (or closed) work order of an earlier episode of the same
 * alarm, resolved since `since`: the fault came back, so that work order is reopened.
 */
export async function findReopenable(tx: Queryable, alarmId: number, episodeId: number, since: Date): Promise<WorkOrderRow | undefined> {
  const { rows } = await tx.query<WorkOrderRow>(
    `${workOrderSelect}
      WHERE w.id IN (SELECT e.work_order_id FROM alarm_episodes e WHERE e.alarm_id = $1 AND e.id <> $2 AND e.work_order_id IS NOT NULL)
        AND w.status IN ('resolved', 'closed')
        AND w.resolved_at >= $3
      ORDER BY w.resolved_at DESC
      LIMIT 1
      FOR UPDATE OF w`,
    [alarmId, episodeId, since],
  );
  return rows[0];
}

/**
 * A work order of an earlier episode of the same alarm that is still being handled
 * (open, assigned, accepted, in progress or on hold): the fault came back before the
 * work was done, so the new episode joins it rather than opening a second one.
 */
export async function findUnfinishedForAlarm(tx: Queryable, alarmId: number, episodeId: number): Promise<WorkOrderRow | undefined> {
  const { rows } = await tx.query<WorkOrderRow>(
    `${workOrderSelect}
      WHERE w.id IN (SELECT e.work_order_id FROM alarm_episodes e WHERE e.alarm_id = $1 AND e.id <> $2 AND e.work_order_id IS NOT NULL)
        AND w.status IN ('open', 'assigned', 'accepted', 'in_progress', 'on_hold')
      ORDER BY w.id DESC
      LIMIT 1
      FOR UPDATE OF w`,
    [alarmId, episodeId],
  );
  return rows[0];
}

/** Links an episode to its work order; an episode already linked is refused, so an episode never gets two. */
export async function linkEpisode(tx: Queryable, episodeId: number, workOrderId: number): Promise<void> {
  const { rowCount } = await tx.query('UPDATE alarm_episodes SET work_order_id = $2 WHERE id = $1 AND work_order_id IS NULL', [episodeId, workOrderId]);
  if (rowCount !== 1) {
    const exists = (await tx.query<{ work_order_id: string | null }>('SELECT work_order_id FROM alarm_episodes WHERE id = $1', [episodeId])).rows[0];
    throw new Error(exists ? `alarm episode ${episodeId} already has work order ${exists.work_order_id}` : `no alarm episode ${episodeId}`);
  }
}

// ---------------------------------------------------------------- staff and dispatch

interface StaffRow {
  id: number;
  name: string;
  position: string | null;
  user_id: number | null;
  username: string | null;
  role: Role | null;
  disabled: boolean | null;
  trades: string[];
  active: boolean;
  buildings: string[];
  on_shift: boolean;
  workload: number;
}

const staffSelect = `SELECT s.id, s.name, s.position, s.user_id, u.username, u.role, u.disabled, s.trades, s.active,
                            coalesce(array(SELECT sb.building_id FROM staff_buildings sb WHERE sb.staff_id = s.id ORDER BY sb.building_id), '{}') AS buildings,
                            EXISTS (SELECT 1 FROM staff_shifts sh WHERE sh.staff_id = s.id AND sh.starts_at <= $1 AND sh.ends_at > $1) AS on_shift,
                            (SELECT count(*)::int FROM work_orders w
                              WHERE w.assignee_id = s.id AND w.status NOT IN ('resolved', 'closed', 'cancelled')) AS workload
                       FROM staff s LEFT JOIN users u ON u.id = s.user_id`;

export interface StaffMember extends DispatchCandidate {
  position: string | null;
  userId: number | null;
  username: string | null;
}

function toStaff(r: StaffRow): StaffMember {
  return {
    staffId: r.id,
    name: r.name,
    position: r.position,
    userId: r.user_id,
    username: r.username,
    active: r.active,
    trades: r.trades,
    buildings: r.buildings,
    user: r.role === null ? null : { role: r.role, disabled: r.disabled === true },
    onShift: r.on_shift,
    workload: r.workload,
  };
}

/** The people who could take work of a trade, with their shift and workload at `now`. */
export async function loadCandidates(db: Queryable, trade: string, now: Date): Promise<StaffMember[]> {
  const { rows } = await db.query<StaffRow>(`${staffSelect} WHERE s.active AND $2 = ANY(s.trades) ORDER BY s.id`, [now, trade]);
  return rows.map(toStaff);
}

export async function loadStaffMember(db: Queryable, staffId: number, now: Date): Promise<StaffMember | undefined> {
  const { rows } = await db.query<StaffRow>(`${staffSelect} WHERE s.id = $2`, [now, staffId]);
  return rows[0] ? toStaff(rows[0]) : undefined;
}

export async function listStaff(db: Queryable, now: Date, filter: { trade: string | null; building: string | null; userBuildings: string[] }): Promise<StaffMember[]> {
  const { rows } = await db.query<StaffRow>(
    `${staffSelect}
      WHERE ($2::text IS NULL OR $2 = ANY(s.trades))
        AND ($3::text IS NULL OR NOT EXISTS (SELECT 1 FROM staff_buildings sb WHERE sb.staff_id = s.id)
                              OR EXISTS (SELECT 1 FROM staff_buildings sb WHERE sb.staff_id = s.id AND sb.building_id = $3))
        AND (cardinality($4::text[]) = 0 OR NOT EXISTS (SELECT 1 FROM staff_buildings sb WHERE sb.staff_id = s.id)
                                         OR EXISTS (SELECT 1 FROM staff_buildings sb WHERE sb.staff_id = s.id AND sb.building_id = ANY($4)))
      ORDER BY s.name, s.id`,
    [now, filter.trade, filter.building, filter.userBuildings],
  );
  return rows.map(toStaff);
}

/** The staff record of a login, if the user is a member of staff. */
export async function staffForUser(db: Queryable, userId: number): Promise<{ id: number; trades: string[] } | undefined> {
  const { rows } = await db.query<{ id: number; trades: string[] }>('SELECT id, trades FROM staff WHERE user_id = $1', [userId]);
  return rows[0];
}

/**
 * The people (user ids) a work order's live events are addressed to besides the role
 * audience, so the stream shows a technician exactly what GET /api/work-orders/:id
 * does (see canSee in work-order.service.ts): the assignee's login, and, while a
 * maintenance work order is unassigned, every technician of its trade. Each must be
 * allowed the work order's building.
 */
export async function workOrderRecipients(db: Queryable, wo: Pick<WorkOrderRow, 'assignee_id' | 'kind' | 'trade' | 'building_id'>): Promise<number[]> {
  const staffIds = wo.assignee_id === null ? [] : [wo.assignee_id];
  const { rows } = await db.query<{ id: number }>(
    `SELECT DISTINCT u.id::int AS id
       FROM users u JOIN staff s ON s.user_id = u.id
      WHERE NOT u.disabled
        AND (s.id = ANY($1::bigint[]) OR ($2::boolean AND u.role = 'technician' AND $3::text = ANY(s.trades)))
        AND (NOT EXISTS (SELECT 1 FROM user_buildings ub WHERE ub.user_id = u.id)
             OR EXISTS (SELECT 1 FROM user_buildings ub WHERE ub.user_id = u.id AND ub.building_id = $4))
      ORDER BY 1`,
    [staffIds, wo.assignee_id === null && wo.kind === 'maintenance', wo.trade, wo.building_id],
  );
  return rows.map((r) => Number(r.id));
}

export async function insertShift(tx: Queryable, staffId: number, startsAt: Date, endsAt: Date): Promise<{ id: number; staff_id: number; starts_at: Date; ends_at: Date }> {
  const { rows } = await tx.query<{ id: number; staff_id: number; starts_at: Date; ends_at: Date }>(
    'INSERT INTO staff_shifts (staff_id, starts_at, ends_at) VALUES ($1, $2, $3) RETURNING id, staff_id, starts_at, ends_at',
    [staffId, startsAt, endsAt],
  );
  return rows[0];
}

// ---------------------------------------------------------------- alarms touched by work orders

/** Whether the alarm behind a work order's episode is still active (its condition still abnormal); null without an alarm. */
export async function alarmStillActive(db: Queryable, episodeId: number | null): Promise<boolean | null> {
  if (episodeId === null) return null;
  const { rows } = await db.query<{ active: boolean }>('SELECT a.active FROM alarm_episodes e JOIN alarms a ON a.id = e.alarm_id WHERE e.id = $1', [episodeId]);
  return rows[0]?.active ?? null;
}

export interface AlarmFlagChange {
  alarmId: number;
  episodeId: number | null;
  deviceId: number;
  state: string;
  active: boolean;
}

/**
 * Serialises the suppression decisions of one device across transactions and hubs:
 * "no other work order is in progress on the device" is only true if nobody is
 * starting one at the same time. Two-key advisory locks live apart from the
 * single-key live-feed lock, and this one is always taken before it.
 */
export async function lockDeviceSuppression(tx: Queryable, deviceId: number): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [0x574f4456 /* "WODV" */, deviceId]);
}

/**
 * Sets suppressed-by-design on the device's maintenance alarms, or clears it on every
 * alarm of the device, and records an ISA-18.2 'suppress'/'unsuppress' transition for
 * each alarm that changed.
 *
 * Only maintenance alarms are suppressed, by design: the work stops the equipment's own
 * fault alarms (the thing being repaired) from flooding the console, but a job on a door
 * controller must not mute "door forced" or "tamper" at that door: a security alarm is
 * about who is at the door, not about the equipment, and a break-in during a repair is
 * still a break-in. Clearing is not filtered, so nothing stays suppressed for good.
 */
export async function setDeviceAlarmsSuppressed(
  tx: Queryable,
  deviceId: number,
  suppressed: boolean,
  who: { userId: number | null; actor: string; note: string; at: Date; workOrderId: number },
): Promise<AlarmFlagChange[]> {
  const { rows } = await tx.query<{ id: number; episode_id: number | null; device_id: number; state: string; active: boolean }>(
    `UPDATE alarms a SET suppressed = $2, changed_at = $3
      WHERE a.device_id = $1 AND a.suppressed <> $2
        AND (NOT $2 OR EXISTS (SELECT 1 FROM alarm_rules r WHERE r.id = a.rule_id AND r.category = 'maintenance'))
     RETURNING a.id, a.episode_id, a.device_id, a.state, a.active`,
    [deviceId, suppressed, who.at],
  );
  if (rows.length) {
    await tx.query(
      `INSERT INTO alarm_transitions (alarm_id, episode_id, at, action, from_state, to_state, user_id, actor, note, details)
       SELECT a.id, a.episode_id, $2, $3, a.state, a.state, $4, $5, $6, $7 FROM unnest($1::bigint[], $8::bigint[], $9::text[]) AS a(id, episode_id, state)`,
      [
        rows.map((r) => r.id),
        who.at,
        suppressed ? 'suppress' : 'unsuppress',
        who.userId,
        who.actor,
        who.note,
        JSON.stringify({ workOrderId: who.workOrderId }),
        rows.map((r) => r.episode_id),
        rows.map((r) => r.state),
      ],
    );
  }
  return rows.map((r) => ({ alarmId: r.id, episodeId: r.episode_id, deviceId: r.device_id, state: r.state, active: r.active }));
}

/** Whether another maintenance work order is being worked on at the device (in progress or on hold). */
export async function otherWorkInProgress(tx: Queryable, deviceId: number, exceptWorkOrderId: number): Promise<boolean> {
  const { rows } = await tx.query(
    `SELECT 1 FROM work_orders WHERE device_id = $1 AND id <> $2 AND kind = 'maintenance' AND status IN ('in_progress', 'on_hold') LIMIT 1`,
    [deviceId, exceptWorkOrderId],
  );
  return rows.length > 0;
}

export interface EpisodeSummaryRow {
  alarm_id: number;
  rule_id: number;
  rule_name: string;
  state: string;
  active: boolean;
  suppressed: boolean;
  episode_id: number;
  priority: string;
  message: string;
  raised_at: Date;
  cleared_at: Date | null;
  acked_at: Date | null;
  ended_at: Date | null;
}

/** The alarm episodes that opened or reopened a work order, oldest first. */
export async function episodesOf(db: Queryable, workOrderId: number, alarmEpisodeId: number | null): Promise<EpisodeSummaryRow[]> {
  const { rows } = await db.query<EpisodeSummaryRow>(
    `SELECT a.id AS alarm_id, r.id AS rule_id, r.name AS rule_name, a.state, a.active, a.suppressed,
            e.id AS episode_id, e.priority, e.message, e.raised_at, e.cleared_at, e.acked_at, e.ended_at
       FROM alarm_episodes e JOIN alarms a ON a.id = e.alarm_id JOIN alarm_rules r ON r.id = e.rule_id
      WHERE e.work_order_id = $1 OR e.id = $2
      ORDER BY e.raised_at, e.id`,
    [workOrderId, alarmEpisodeId],
  );
  return rows;
}

// ---------------------------------------------------------------- lists

export interface ListFilter {
  statuses: WorkOrderStatus[] | null;
  kind: WorkOrderKind | null;
  building: string | null;
  trade: string | null;
  assigneeId: number | null;
  /** The user's building limits (empty: whole estate). */
  userBuildings: string[];
  /** What the user's role lets them see: everything, a technician's share, or a guard's. */
  scope: 'all' | 'technician' | 'guard';
  staffId: number | null;
  staffTrades: string[];
  limit: number;
  offset: number;
}

export async function listWorkOrders(db: Queryable, f: ListFilter): Promise<{ rows: WorkOrderRow[]; total: number }> {
  const where = `WHERE ($1::text[] IS NULL OR w.status = ANY($1))
                   AND ($2::text IS NULL OR w.kind = $2)
                   AND ($3::text IS NULL OR w.building_id = $3)
                   AND ($4::text IS NULL OR w.trade = $4)
                   AND ($5::bigint IS NULL OR w.assignee_id = $5)
                   AND (cardinality($6::text[]) = 0 OR w.building_id = ANY($6))
                   AND ($7 = 'all'
                        OR ($7 = 'technician' AND (w.assignee_id = $8 OR (w.assignee_id IS NULL AND w.kind = 'maintenance' AND w.trade = ANY($9::text[]))))
                        OR ($7 = 'guard' AND (w.kind = 'security' OR w.assignee_id = $8)))`;
  const params = [f.statuses, f.kind, f.building, f.trade, f.assigneeId, f.userBuildings, f.scope, f.staffId, f.staffTrades];
  const { rows } = await db.query<WorkOrderRow>(`${workOrderSelect} ${where} ORDER BY w.created_at DESC, w.id DESC LIMIT $10 OFFSET $11`, [...params, f.limit, f.offset]);
  const count = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM work_orders w ${where}`, params);
  return { rows, total: count.rows[0].n };
}

// ---------------------------------------------------------------- SLA sweep

/**
 * Marks the accept SLA breached on every work order not accepted in time, once:
 * the row locks (SKIP LOCKED, so hubs sweeping together neither wait nor deadlock)
 * and the `accept_breached_at IS NULL` condition make each breach handled by exactly
 * one sweep, whatever the number of hubs.
 */
export async function markAcceptBreaches(tx: Queryable, now: Date): Promise<WorkOrderRow[]> {
  const { rows } = await tx.query<WorkOrderRow>(
    `WITH due AS (
       SELECT id FROM work_orders
        WHERE accept_breached_at IS NULL AND status IN ('open', 'assigned') AND accept_due_at < $1
        ORDER BY id FOR UPDATE SKIP LOCKED)
     UPDATE work_orders w SET accept_breached_at = $1, escalation_level = w.escalation_level + 1, updated_at = $1
       FROM due WHERE w.id = due.id
     RETURNING w.*`,
    [now],
  );
  return rows.map((r) => ({ ...r, device_name: null, assignee_name: null }));
}

/** The same for the resolve SLA: anything not resolved (or closed, cancelled) by its due time. */
export async function markResolveBreaches(tx: Queryable, now: Date): Promise<WorkOrderRow[]> {
  const { rows } = await tx.query<WorkOrderRow>(
    `WITH due AS (
       SELECT id FROM work_orders
        WHERE resolve_breached_at IS NULL AND status NOT IN ('resolved', 'closed', 'cancelled') AND resolve_due_at < $1
        ORDER BY id FOR UPDATE SKIP LOCKED)
     UPDATE work_orders w SET resolve_breached_at = $1, escalation_level = w.escalation_level + 1, updated_at = $1
       FROM due WHERE w.id = due.id
     RETURNING w.*`,
    [now],
  );
  return rows.map((r) => ({ ...r, device_name: null, assignee_name: null }));
}

// ---------------------------------------------------------------- KPIs

export interface KpiRow {
  trade: string | null;
  building_id: string | null;
  by_trade: boolean;
  by_building: boolean;
  created: number;
  cancelled: number;
  accepted: number;
  resolved: number;
  accept_measured: number;
  accept_met: number;
  resolve_measured: number;
  resolve_met: number;
  mtta: number | null;
  mttr: number | null;
}

/**
 * Work-order KPIs over the work orders created in [from, to): SLA compliance is
 * met / measured, where a work order is measured once it was accepted (resolved) or
 * its due time has passed; MTTA and MTTR run from creation. Cancelled work orders
 * are counted but measured in nothing.
 */
export async function kpis(db: Queryable, f: { from: Date; to: Date; now: Date; building: string | null; userBuildings: string[] }): Promise<KpiRow[]> {
  const { rows } = await db.query<KpiRow>(
    `SELECT trade, building_id,
            GROUPING(building_id) = 1 AND GROUPING(trade) = 0 AS by_trade,
            GROUPING(trade) = 1 AND GROUPING(building_id) = 0 AS by_building,
            count(*)::int AS created,
            count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
            count(*) FILTER (WHERE status <> 'cancelled' AND accepted_at IS NOT NULL)::int AS accepted,
            count(*) FILTER (WHERE status <> 'cancelled' AND resolved_at IS NOT NULL)::int AS resolved,
            count(*) FILTER (WHERE status <> 'cancelled' AND (accepted_at IS NOT NULL OR accept_due_at < $3))::int AS accept_measured,
            count(*) FILTER (WHERE status <> 'cancelled' AND accepted_at <= accept_due_at)::int AS accept_met,
            count(*) FILTER (WHERE status <> 'cancelled' AND (resolved_at IS NOT NULL OR resolve_due_at < $3))::int AS resolve_measured,
            count(*) FILTER (WHERE status <> 'cancelled' AND resolved_at <= resolve_due_at)::int AS resolve_met,
            (avg(extract(epoch FROM accepted_at - created_at)) FILTER (WHERE status <> 'cancelled' AND accepted_at IS NOT NULL))::float8 AS mtta,
            (avg(extract(epoch FROM resolved_at - created_at)) FILTER (WHERE status <> 'cancelled' AND resolved_at IS NOT NULL))::float8 AS mttr
       FROM work_orders
      WHERE created_at >= $1 AND created_at < $2
        AND ($4::text IS NULL OR building_id = $4)
        AND (cardinality($5::text[]) = 0 OR building_id = ANY($5))
      GROUP BY GROUPING SETS ((), (trade), (building_id))
      ORDER BY trade NULLS FIRST, building_id NULLS FIRST`,
    [f.from, f.to, f.now, f.building, f.userBuildings],
  );
  return rows;
}

/** The current backlog (not resolved, closed or cancelled) by trade. */
export async function openByTrade(db: Queryable, f: { building: string | null; userBuildings: string[] }): Promise<{ trade: string; open: number }[]> {
  const { rows } = await db.query<{ trade: string; open: number }>(
    `SELECT trade, count(*)::int AS open FROM work_orders
      WHERE status NOT IN ('resolved', 'closed', 'cancelled')
        AND ($1::text IS NULL OR building_id = $1)
        AND (cardinality($2::text[]) = 0 OR building_id = ANY($2))
      GROUP BY trade ORDER BY trade`,
    [f.building, f.userBuildings],
  );
  return rows;
}
