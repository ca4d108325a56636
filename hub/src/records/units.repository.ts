import type { Queryable } from '../db/database.js';

export const unitStatuses = ['occupied', 'vacant', 'rented', 'under_repair', 'renovation'] as const;
export type UnitStatus = (typeof unitStatuses)[number];

export const associationRoles = ['owner', 'tenant', 'resident'] as const;
export type AssociationRole = (typeof associationRoles)[number];

export const unitSorts = ['number', 'building', 'floor', 'area', 'status', 'updated'] as const;
export type UnitSort = (typeof unitSorts)[number];

export interface UnitRow {
  id: number;
  building_id: string;
  building_name: string;
  floor: string | null;
  floor_level: number | null;
  number: string;
  location: string | null;
  area_m2: number | null;
  layout: string | null;
  status: UnitStatus;
  status_changed_at: Date;
  created_at: Date;
  updated_at: Date;
  /** Current associations: who holds, rents or lives in it today. */
  occupants: { ownerId: number; name: string; role: AssociationRole }[];
}

const unitSelect = `
  SELECT u.id, u.building_id, b.name AS building_name, f.code AS floor, f.level AS floor_level, u.number, u.location,
         u.area_m2::float8 AS area_m2, u.layout, u.status, u.status_changed_at, u.created_at, u.updated_at,
         coalesce((SELECT json_agg(json_build_object('ownerId', o.id, 'name', o.name, 'role', c.role) ORDER BY c.role, o.name, o.id)
                     FROM current_unit_owners c JOIN owners o ON o.id = c.owner_id
                    WHERE c.unit_id = u.id), '[]'::json) AS occupants
    FROM units u
    JOIN buildings b ON b.id = u.building_id
    LEFT JOIN floors f ON f.id = u.floor_id`;

export interface UnitSearch {
  building?: string;
  floor?: string;
  statuses?: UnitStatus[];
  minArea?: number;
  maxArea?: number;
  ownerId?: number;
  /** Part of a current owner's, tenant's or resident's name. */
  ownerName?: string;
  /** Part of the number, layout, location or a current occupant's name. */
  text?: string;
  /** The user's buildings; empty: the whole estate. */
  userBuildings: string[];
  /** An owner-portal user: only units they are currently associated with. */
  ownerUserId?: number;
  sort: UnitSort;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

/** LIKE pattern that matches `text` anywhere, with the user's % and _ taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function searchWhere(s: UnitSearch): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const add = (value: unknown) => `$${params.push(value)}`;
  const clauses: string[] = [];
  if (s.building !== undefined) clauses.push(`u.building_id = ${add(s.building)}`);
  if (s.floor !== undefined) clauses.push(`f.code = ${add(s.floor)}`);
  if (s.statuses?.length) clauses.push(`u.status = ANY(${add(s.statuses)}::text[])`);
  if (s.minArea !== undefined) clauses.push(`u.area_m2 >= ${add(s.minArea)}`);
  if (s.maxArea !== undefined) clauses.push(`u.area_m2 <= ${add(s.maxArea)}`);
  if (s.ownerId !== undefined) clauses.push(`EXISTS (SELECT 1 FROM current_unit_owners c WHERE c.unit_id = u.id AND c.owner_id = ${add(s.ownerId)})`);
  if (s.ownerName !== undefined) {
    clauses.push(`EXISTS (SELECT 1 FROM current_unit_owners c JOIN owners o ON o.id = c.owner_id WHERE c.unit_id = u.id AND o.name ILIKE ${add(containsPattern(s.ownerName))})`);
  }
  if (s.text !== undefined) {
    const p = add(containsPattern(s.text));
    clauses.push(`(u.number ILIKE ${p} OR u.layout ILIKE ${p} OR u.location ILIKE ${p}
                  OR EXISTS (SELECT 1 FROM current_unit_owners c JOIN owners o ON o.id = c.owner_id WHERE c.unit_id = u.id AND o.name ILIKE ${p}))`);
  }
  if (s.userBuildings.length) clauses.push(`u.building_id = ANY(${add(s.userBuildings)}::text[])`);
  if (s.ownerUserId !== undefined) {
    clauses.push(`EXISTS (SELECT 1 FROM current_unit_owners c JOIN owners o ON o.id = c.owner_id WHERE c.unit_id = u.id AND o.user_id = ${add(s.ownerUserId)})`);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** ORDER BY per sort key; only these fixed strings ever reach the SQL. Unit numbers sort naturally ("2" before "10"). */
function orderBy(sort: UnitSort, order: 'asc' | 'desc'): string {
  const d = order === 'desc' ? 'DESC' : 'ASC';
  const byNumber = `length(u.number) ${d}, u.number ${d}`;
  switch (sort) {
    case 'number':
      return `${byNumber}, u.building_id ${d}, u.id ${d}`;
    case 'building':
      return `u.building_id ${d}, f.level ${d} NULLS LAST, ${byNumber}, u.id ${d}`;
    case 'floor':
      return `f.level ${d} NULLS LAST, u.building_id ${d}, ${byNumber}, u.id ${d}`;
    case 'area':
      return `u.area_m2 ${d} NULLS LAST, u.id ${d}`;
    case 'status':
      return `u.status ${d}, u.building_id, ${byNumber}, u.id ${d}`;
    case 'updated':
      return `u.updated_at ${d}, u.id ${d}`;
  }
}

export async function searchUnits(db: Queryable, s: UnitSearch): Promise<{ rows: UnitRow[]; total: number }> {
  const { where, params } = searchWhere(s);
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM units u LEFT JOIN floors f ON f.id = u.floor_id ${where}`, params)).rows[0].n;
  const n = params.length;
  const { rows } = await db.query<UnitRow>(`${unitSelect} ${where} ORDER BY ${orderBy(s.sort, s.order)} LIMIT $${n + 1} OFFSET $${n + 2}`, [...params, s.limit, s.offset]);
  return { rows, total };
}

export async function findUnit(db: Queryable, id: number, lock = false): Promise<UnitRow | undefined> {
  // FOR UPDATE may not lock the nullable side of an outer join; locking u alone is what is needed.
  const { rows } = await db.query<UnitRow>(`${unitSelect} WHERE u.id = $1 ${lock ? 'FOR UPDATE OF u' : ''}`, [id]);
  return rows[0];
}

export async function unitIdByNumber(db: Queryable, buildingId: string, number: string): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM units WHERE building_id = $1 AND number = $2', [buildingId, number]);
  return rows[0]?.id;
}

export async function buildingExists(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM buildings WHERE id = $1', [id])).rowCount === 1;
}

/** Floor ids by building and code, for the buildings given. */
export async function floorIndex(db: Queryable, buildingIds: string[]): Promise<Map<string, number>> {
  const { rows } = await db.query<{ id: number; building_id: string; code: string }>('SELECT id, building_id, code FROM floors WHERE building_id = ANY($1::text[])', [buildingIds]);
  return new Map(rows.map((r) => [`${r.building_id}\u0000${r.code}`, r.id]));
}

export const floorKey = (buildingId: string, code: string) => `${buildingId}\u0000${code}`;

export interface NewUnit {
  buildingId: string;
  floorId: number | null;
  number: string;
  location: string | null;
  areaM2: number | null;
  layout: string | null;
  status: UnitStatus;
}

export async function insertUnit(tx: Queryable, unit: NewUnit, by: { userId: number | null; actor: string; reason: string }): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO units (building_id, floor_id, number, location, area_m2, layout, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [unit.buildingId, unit.floorId, unit.number, unit.location, unit.areaM2, unit.layout, unit.status],
  );
  await tx.query('INSERT INTO unit_status_history (unit_id, from_status, to_status, user_id, actor, reason) VALUES ($1, NULL, $2, $3, $4, $5)', [
    rows[0].id,
    unit.status,
    by.userId,
    by.actor,
    by.reason,
  ]);
  return rows[0].id;
}

export interface UnitChanges {
  number?: string;
  floorId?: number | null;
  location?: string | null;
  areaM2?: number | null;
  layout?: string | null;
}

export async function updateUnit(tx: Queryable, id: number, c: UnitChanges): Promise<void> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  const set = (column: string, value: unknown) => sets.push(`${column} = $${params.push(value)}`);
  if (c.number !== undefined) set('number', c.number);
  if (c.floorId !== undefined) set('floor_id', c.floorId);
  if (c.location !== undefined) set('location', c.location);
  if (c.areaM2 !== undefined) set('area_m2', c.areaM2);
  if (c.layout !== undefined) set('layout', c.layout);
  await tx.query(`UPDATE units SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1`, params);
}

export async function changeStatus(tx: Queryable, id: number, from: UnitStatus, to: UnitStatus, by: { userId: number; actor: string; reason: string | null }): Promise<void> {
  await tx.query('UPDATE units SET status = $2, status_changed_at = now(), updated_at = now() WHERE id = $1', [id, to]);
  await tx.query('INSERT INTO unit_status_history (unit_id, from_status, to_status, user_id, actor, reason) VALUES ($1, $2, $3, $4, $5, $6)', [
    id,
    from,
    to,
    by.userId,
    by.actor,
    by.reason,
  ]);
}

export async function deleteUnit(tx: Queryable, id: number): Promise<void> {
  await tx.query('DELETE FROM units WHERE id = $1', [id]);
}

export interface StatusHistoryRow {
  id: number;
  from_status: UnitStatus | null;
  to_status: UnitStatus;
  at: Date;
  actor: string;
  reason: string | null;
}

export async function statusHistory(db: Queryable, unitId: number): Promise<StatusHistoryRow[]> {
  const { rows } = await db.query<StatusHistoryRow>('SELECT id, from_status, to_status, at, actor, reason FROM unit_status_history WHERE unit_id = $1 ORDER BY at, id', [unitId]);
  return rows;
}

export interface AssociationRow {
  id: number;
  unit_id: number;
  owner_id: number;
  owner_name: string;
  owner_user_id: number | null;
  role: AssociationRole;
  from_date: string;
  to_date: string | null;
  current: boolean;
  created_by: string;
  created_at: Date;
  ended_by: string | null;
  end_reason: string | null;
}

const associationSelect = `
  SELECT a.id, a.unit_id, a.owner_id, o.name AS owner_name, o.user_id AS owner_user_id, a.role,
         a.from_date::text AS from_date, a.to_date::text AS to_date,
         EXISTS (SELECT 1 FROM current_unit_owners c WHERE c.id = a.id) AS current,
         a.created_by, a.created_at, a.ended_by, a.end_reason
    FROM unit_owners a JOIN owners o ON o.id = a.owner_id`;

/** Every association a unit has had, oldest first. */
export async function unitAssociations(db: Queryable, unitId: number): Promise<AssociationRow[]> {
  const { rows } = await db.query<AssociationRow>(`${associationSelect} WHERE a.unit_id = $1 ORDER BY a.from_date, a.id`, [unitId]);
  return rows;
}

export async function findAssociation(db: Queryable, id: number): Promise<AssociationRow | undefined> {
  const { rows } = await db.query<AssociationRow>(`${associationSelect} WHERE a.id = $1`, [id]);
  return rows[0];
}

/** An association of the same person and role on the unit whose dates overlap [from, to]. */
export async function overlappingAssociation(db: Queryable, a: { unitId: number; ownerId: number; role: AssociationRole; fromDate: string; toDate: string | null }): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM unit_owners
      WHERE unit_id = $1 AND owner_id = $2 AND role = $3
        AND from_date <= coalesce($5::date, 'infinity'::date)
        AND coalesce(to_date, 'infinity'::date) >= $4::date
      LIMIT 1`,
    [a.unitId, a.ownerId, a.role, a.fromDate, a.toDate],
  );
  return rows[0]?.id;
}

export async function insertAssociation(tx: Queryable, a: { unitId: number; ownerId: number; role: AssociationRole; fromDate: string; toDate: string | null; createdBy: string }): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    'INSERT INTO unit_owners (unit_id, owner_id, role, from_date, to_date, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
    [a.unitId, a.ownerId, a.role, a.fromDate, a.toDate, a.createdBy],
  );
  return rows[0].id;
}

export async function endAssociation(tx: Queryable, id: number, toDate: string, by: string, reason: string | null): Promise<void> {
  await tx.query('UPDATE unit_owners SET to_date = $2, ended_by = $3, end_reason = $4 WHERE id = $1', [id, toDate, by, reason]);
}

export async function countAssociations(db: Queryable, unitId: number): Promise<number> {
  return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM unit_owners WHERE unit_id = $1', [unitId])).rows[0].n;
}
