import type { Queryable } from '../db/database.js';
import type { IdType } from './personal-data.js';
import { containsPattern, type AssociationRole } from './units.repository.js';

/** An owner as stored: personal data sealed (see RecordsCipher), never in clear. */
export interface OwnerRow {
  id: number;
  name: string;
  id_type: IdType;
  national_id_enc: Buffer;
  phone_enc: Buffer | null;
  email_enc: Buffer | null;
  user_id: number | null;
  username: string | null;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
  /** Current associations. */
  units: { associationId: number; unitId: number; buildingId: string; number: string; role: AssociationRole }[];
}

const ownerSelect = `
  SELECT o.id, o.name, o.id_type, o.national_id_enc, o.phone_enc, o.email_enc, o.user_id, us.username, o.notes, o.created_at, o.updated_at,
         coalesce((SELECT json_agg(json_build_object('associationId', c.id, 'unitId', u.id, 'buildingId', u.building_id, 'number', u.number, 'role', c.role)
                                   ORDER BY u.building_id, length(u.number), u.number, c.id)
                     FROM current_unit_owners c JOIN units u ON u.id = c.unit_id
                    WHERE c.owner_id = o.id), '[]'::json) AS units
    FROM owners o LEFT JOIN users us ON us.id = o.user_id`;

export interface OwnerSearch {
  id?: number;
  /** Part of the name. */
  name?: string;
  /** Exact blind index of an ID number. */
  nationalIdIndex?: Buffer;
  /** Holding, renting or living in this unit today. */
  unitId?: number;
  /** The user's buildings; empty: the whole estate. A limited user sees owners with a current unit there, or none anywhere. */
  userBuildings: string[];
  /** An owner-portal user: only their own record. */
  selfUserId?: number;
  limit: number;
  offset: number;
}

function searchWhere(s: OwnerSearch): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const add = (value: unknown) => `$${params.push(value)}`;
  const clauses: string[] = [];
  if (s.id !== undefined) clauses.push(`o.id = ${add(s.id)}`);
  if (s.name !== undefined) clauses.push(`o.name ILIKE ${add(containsPattern(s.name))}`);
  if (s.nationalIdIndex !== undefined) clauses.push(`o.national_id_index = ${add(s.nationalIdIndex)}`);
  if (s.unitId !== undefined) clauses.push(`EXISTS (SELECT 1 FROM current_unit_owners c WHERE c.owner_id = o.id AND c.unit_id = ${add(s.unitId)})`);
  if (s.userBuildings.length) {
    // Owners holding nothing today are nobody's building's: everyone in the office may find them.
    clauses.push(`(NOT EXISTS (SELECT 1 FROM current_unit_owners c WHERE c.owner_id = o.id)
                   OR EXISTS (SELECT 1 FROM current_unit_owners c JOIN units u ON u.id = c.unit_id WHERE c.owner_id = o.id AND u.building_id = ANY(${add(s.userBuildings)}::text[])))`);
  }
  if (s.selfUserId !== undefined) clauses.push(`o.user_id = ${add(s.selfUserId)}`);
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export async function searchOwners(db: Queryable, s: OwnerSearch): Promise<{ rows: OwnerRow[]; total: number }> {
  const { where, params } = searchWhere(s);
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM owners o ${where}`, params)).rows[0].n;
  const n = params.length;
  const { rows } = await db.query<OwnerRow>(`${ownerSelect} ${where} ORDER BY lower(o.name), o.id LIMIT $${n + 1} OFFSET $${n + 2}`, [...params, s.limit, s.offset]);
  return { rows, total };
}

export async function findOwner(db: Queryable, id: number): Promise<OwnerRow | undefined> {
  const { rows } = await db.query<OwnerRow>(`${ownerSelect} WHERE o.id = $1`, [id]);
  return rows[0];
}

export async function ownerIdByIndex(db: Queryable, index: Buffer): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM owners WHERE national_id_index = $1', [index]);
  return rows[0]?.id;
}

/** Which of these blind indexes are already taken, by which owner. */
export async function ownersByIndexes(db: Queryable, indexes: Buffer[]): Promise<Map<string, number>> {
  if (!indexes.length) return new Map();
  const { rows } = await db.query<{ id: number; national_id_index: Buffer }>('SELECT id, national_id_index FROM owners WHERE national_id_index = ANY($1::bytea[])', [indexes]);
  return new Map(rows.map((r) => [r.national_id_index.toString('hex'), r.id]));
}

export interface SealedOwner {
  name: string;
  idType: IdType;
  nationalIdEnc: Buffer;
  nationalIdIndex: Buffer;
  phoneEnc: Buffer | null;
  emailEnc: Buffer | null;
  userId: number | null;
  notes: string | null;
}

export async function insertOwner(tx: Queryable, o: SealedOwner): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO owners (name, id_type, national_id_enc, national_id_index, phone_enc, email_enc, user_id, notes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [o.name, o.idType, o.nationalIdEnc, o.nationalIdIndex, o.phoneEnc, o.emailEnc, o.userId, o.notes],
  );
  return rows[0].id;
}

export async function updateOwner(tx: Queryable, id: number, c: Partial<SealedOwner>): Promise<void> {
  const columns: [keyof SealedOwner, string][] = [
    ['name', 'name'],
    ['idType', 'id_type'],
    ['nationalIdEnc', 'national_id_enc'],
    ['nationalIdIndex', 'national_id_index'],
    ['phoneEnc', 'phone_enc'],
    ['emailEnc', 'email_enc'],
    ['userId', 'user_id'],
    ['notes', 'notes'],
  ];
  const params: unknown[] = [id];
  const sets = columns.filter(([key]) => c[key] !== undefined).map(([key, column]) => `${column} = $${params.push(c[key])}`);
  await tx.query(`UPDATE owners SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1`, params);
}

/** The login's role and whether another owner record already has it. */
export async function ownerLogin(db: Queryable, userId: number): Promise<{ role: string; linkedOwnerId: number | null } | undefined> {
  const { rows } = await db.query<{ role: string; owner_id: number | null }>('SELECT u.role, o.id AS owner_id FROM users u LEFT JOIN owners o ON o.user_id = u.id WHERE u.id = $1', [userId]);
  return rows[0] && { role: rows[0].role, linkedOwnerId: rows[0].owner_id };
}

/** Whether the owner-portal user is currently associated with the unit. */
export async function isOwnUnit(db: Queryable, userId: number, unitId: number): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM current_unit_owners c JOIN owners o ON o.id = c.owner_id WHERE c.unit_id = $1 AND o.user_id = $2 LIMIT 1', [unitId, userId]);
  return rowCount === 1;
}

/** The owner record(s) of an owner-portal login. */
export async function ownerIdsOfUser(db: Queryable, userId: number): Promise<Set<number>> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM owners WHERE user_id = $1', [userId]);
  return new Set(rows.map((r) => r.id));
}
