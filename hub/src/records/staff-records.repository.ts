import type { Queryable } from '../db/database.js';
import { containsPattern } from './units.repository.js';

export interface StaffRecordRow {
  id: number;
  name: string;
  position: string | null;
  phone: string | null;
  email: string | null;
  trades: string[];
  buildings: string[];
  active: boolean;
  user_id: number | null;
  username: string | null;
  role: string | null;
  created_at: Date;
  updated_at: Date;
}

const staffSelect = `
  SELECT s.id, s.name, s.position, s.phone, s.email, s.trades, s.active, s.user_id, u.username, u.role, s.created_at, s.updated_at,
         coalesce(array(SELECT sb.building_id FROM staff_buildings sb WHERE sb.staff_id = s.id ORDER BY sb.building_id), '{}') AS buildings
    FROM staff s LEFT JOIN users u ON u.id = s.user_id`;

export interface StaffSearch {
  id?: number;
  /** Part of the name, position or e-mail. */
  text?: string;
  trade?: string;
  building?: string;
  active?: boolean;
  /** The user's buildings; empty: the whole estate. Estate-wide staff are everyone's. */
  userBuildings: string[];
  limit: number;
  offset: number;
}

function searchWhere(s: StaffSearch): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const add = (value: unknown) => `$${params.push(value)}`;
  const clauses: string[] = [];
  if (s.id !== undefined) clauses.push(`s.id = ${add(s.id)}`);
  if (s.text !== undefined) {
    const p = add(containsPattern(s.text));
    clauses.push(`(s.name ILIKE ${p} OR s.position ILIKE ${p} OR s.email ILIKE ${p})`);
  }
  if (s.trade !== undefined) clauses.push(`${add(s.trade)} = ANY(s.trades)`);
  if (s.building !== undefined) {
    clauses.push(`(NOT EXISTS (SELECT 1 FROM staff_buildings sb WHERE sb.staff_id = s.id)
                   OR EXISTS (SELECT 1 FROM staff_buildings sb WHERE sb.staff_id = s.id AND sb.building_id = ${add(s.building)}))`);
  }
  if (s.active !== undefined) clauses.push(`s.active = ${add(s.active)}`);
  if (s.userBuildings.length) {
    clauses.push(`(NOT EXISTS (SELECT 1 FROM staff_buildings sb WHERE sb.staff_id = s.id)
                   OR EXISTS (SELECT 1 FROM staff_buildings sb WHERE sb.staff_id = s.id AND sb.building_id = ANY(${add(s.userBuildings)}::text[])))`);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export async function searchStaff(db: Queryable, s: StaffSearch): Promise<{ rows: StaffRecordRow[]; total: number }> {
  const { where, params } = searchWhere(s);
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM staff s ${where}`, params)).rows[0].n;
  const n = params.length;
  const { rows } = await db.query<StaffRecordRow>(`${staffSelect} ${where} ORDER BY lower(s.name), s.id LIMIT $${n + 1} OFFSET $${n + 2}`, [...params, s.limit, s.offset]);
  return { rows, total };
}

export interface ShiftRow {
  id: number;
  starts_at: Date;
  ends_at: Date;
}

/** Shifts that end after `since`, soonest first. */
export async function shiftsOf(db: Queryable, staffId: number, since: Date, limit: number): Promise<ShiftRow[]> {
  const { rows } = await db.query<ShiftRow>('SELECT id, starts_at, ends_at FROM staff_shifts WHERE staff_id = $1 AND ends_at > $2 ORDER BY starts_at LIMIT $3', [staffId, since, limit]);
  return rows;
}

export async function staffIdByEmails(db: Queryable, emails: string[]): Promise<Map<string, number>> {
  if (!emails.length) return new Map();
  const { rows } = await db.query<{ id: number; email: string }>('SELECT id, lower(email) AS email FROM staff WHERE lower(email) = ANY($1::text[])', [emails.map((e) => e.toLowerCase())]);
  return new Map(rows.map((r) => [r.email, r.id]));
}

export async function usersByName(db: Queryable, usernames: string[]): Promise<Map<string, { id: number; role: string; staffId: number | null }>> {
  if (!usernames.length) return new Map();
  const { rows } = await db.query<{ id: number; username: string; role: string; staff_id: number | null }>(
    'SELECT u.id, lower(u.username) AS username, u.role, s.id AS staff_id FROM users u LEFT JOIN staff s ON s.user_id = u.id WHERE lower(u.username) = ANY($1::text[])',
    [usernames.map((u) => u.toLowerCase())],
  );
  return new Map(rows.map((r) => [r.username, { id: r.id, role: r.role, staffId: r.staff_id }]));
}

export async function userForLink(db: Queryable, userId: number): Promise<{ role: string; staffId: number | null } | undefined> {
  const { rows } = await db.query<{ role: string; staff_id: number | null }>('SELECT u.role, s.id AS staff_id FROM users u LEFT JOIN staff s ON s.user_id = u.id WHERE u.id = $1', [userId]);
  return rows[0] && { role: rows[0].role, staffId: rows[0].staff_id };
}

export async function existingBuildings(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { rows } = await db.query<{ id: string }>('SELECT id FROM buildings WHERE id = ANY($1::text[])', [ids]);
  return new Set(rows.map((r) => r.id));
}

export interface StaffFields {
  name: string;
  position: string | null;
  phone: string | null;
  email: string | null;
  trades: string[];
  active: boolean;
  userId: number | null;
}

export async function insertStaff(tx: Queryable, s: StaffFields, buildings: string[]): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    'INSERT INTO staff (name, position, phone, email, trades, active, user_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
    [s.name, s.position, s.phone, s.email, s.trades, s.active, s.userId],
  );
  await setBuildings(tx, rows[0].id, buildings);
  return rows[0].id;
}

export async function updateStaff(tx: Queryable, id: number, c: Partial<StaffFields>): Promise<void> {
  const columns: [keyof StaffFields, string][] = [
    ['name', 'name'],
    ['position', 'position'],
    ['phone', 'phone'],
    ['email', 'email'],
    ['trades', 'trades'],
    ['active', 'active'],
    ['userId', 'user_id'],
  ];
  const params: unknown[] = [id];
  const sets = columns.filter(([key]) => c[key] !== undefined).map(([key, column]) => `${column} = $${params.push(c[key])}`);
  await tx.query(`UPDATE staff SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1`, params);
}

export async function setBuildings(tx: Queryable, staffId: number, buildings: string[]): Promise<void> {
  await tx.query('DELETE FROM staff_buildings WHERE staff_id = $1', [staffId]);
  if (buildings.length) await tx.query('INSERT INTO staff_buildings (staff_id, building_id) SELECT $1, unnest($2::text[])', [staffId, buildings]);
}

export interface WorkMonthRow {
  month: string;
  done: number;
  timed: number;
  seconds: number;
  sla_kept: number;
}

/**
 * Work orders the person resolved in [from, to), by month of resolution in the local
 * time of the work order's site (Asia/Shanghai when it has no building).
 *
 * - done: resolved or closed with this person as the assignee (a reopened work order
 *   counts again only once resolved again; a reassigned one counts for the last assignee);
 * - time spent: accepted → resolved, elapsed time including holds, over those accepted;
 * - SLA kept: resolved by the resolve deadline and, when accepted, accepted by the accept deadline.
 */
export async function workRecord(db: Queryable, staffId: number, from: Date, to: Date): Promise<WorkMonthRow[]> {
  const { rows } = await db.query<WorkMonthRow>(
    `SELECT to_char(date_trunc('month', w.resolved_at AT TIME ZONE coalesce(si.timezone, 'Asia/Shanghai')), 'YYYY-MM') AS month,
            count(*)::int AS done,
            count(w.accepted_at)::int AS timed,
            coalesce(sum(extract(epoch FROM w.resolved_at - w.accepted_at)) FILTER (WHERE w.accepted_at IS NOT NULL), 0)::float8 AS seconds,
            count(*) FILTER (WHERE w.resolved_at <= w.resolve_due_at AND (w.accepted_at IS NULL OR w.accepted_at <= w.accept_due_at))::int AS sla_kept
       FROM work_orders w
       LEFT JOIN buildings b ON b.id = w.building_id
       LEFT JOIN sites si ON si.id = b.site_id
      WHERE w.assignee_id = $1 AND w.status IN ('resolved', 'closed') AND w.resolved_at >= $2 AND w.resolved_at < $3
      GROUP BY 1
      ORDER BY 1`,
    [staffId, from, to],
  );
  return rows;
}

export async function openWorkOrders(db: Queryable, staffId: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM work_orders WHERE assignee_id = $1 AND status IN ('assigned', 'accepted', 'in_progress', 'on_hold')`,
    [staffId],
  );
  return rows[0].n;
}

export async function staffIdOfUser(db: Queryable, userId: number): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM staff WHERE user_id = $1', [userId]);
  return rows[0]?.id;
}
