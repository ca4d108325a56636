import type { Queryable } from '../db/database.js';
import type { Role } from './roles.js';

/** A user as administrators see it: never the password hash. */
export interface AdminUser {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  /** Buildings the user is limited to; empty means the whole estate. */
  buildings: string[];
  disabled: boolean;
  mustChangePassword: boolean;
  lastLoginAt: Date | null;
  passwordChangedAt: Date | null;
  createdAt: Date;
}

export interface UserFilter {
  role?: Role;
  /** Users who may see this building: limited to it, or to no building at all (the whole estate). */
  building?: string;
  active?: boolean;
  /** Part of the username or the display name, any case. */
  q?: string;
}

interface AdminUserRow {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  buildings: string[];
  disabled: boolean;
  must_change_password: boolean;
  last_login_at: Date | null;
  password_changed_at: Date | null;
  created_at: Date;
}

const adminUserSelect = `
  SELECT u.id, u.username, u.display_name, u.role, u.disabled, u.must_change_password,
         u.last_login_at, u.password_changed_at, u.created_at,
         coalesce(array(SELECT building_id FROM user_buildings ub WHERE ub.user_id = u.id ORDER BY building_id), '{}') AS buildings
    FROM users u`;

function toAdminUser(r: AdminUserRow): AdminUser {
  return {
    id: Number(r.id),
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    buildings: r.buildings,
    disabled: r.disabled,
    mustChangePassword: r.must_change_password,
    lastLoginAt: r.last_login_at,
    passwordChangedAt: r.password_changed_at,
    createdAt: r.created_at,
  };
}

/** Escapes LIKE's wildcards so a search for "a_b" finds that text, not "axb". */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function searchUsers(db: Queryable, filter: UserFilter): Promise<AdminUser[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filter.role) where.push(`u.role = ${param(filter.role)}`);
  if (filter.active !== undefined) where.push(`u.disabled = ${param(!filter.active)}`);
  if (filter.building) {
    const b = param(filter.building);
    where.push(`(NOT EXISTS (SELECT 1 FROM user_buildings ub WHERE ub.user_id = u.id) OR EXISTS (SELECT 1 FROM user_buildings ub WHERE ub.user_id = u.id AND ub.building_id = ${b}))`);
  }
  if (filter.q) {
    const q = param(likePattern(filter.q));
    where.push(`(u.username ILIKE ${q} OR u.display_name ILIKE ${q})`);
  }
  const { rows } = await db.query<AdminUserRow>(`${adminUserSelect} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY lower(u.username)`, values);
  return rows.map(toAdminUser);
}

export async function findAdminUser(db: Queryable, id: number): Promise<AdminUser | undefined> {
  const { rows } = await db.query<AdminUserRow>(`${adminUserSelect} WHERE u.id = $1`, [id]);
  return rows[0] ? toAdminUser(rows[0]) : undefined;
}

/** The user row, locked until the transaction ends, so two admins' edits to one user queue. */
export async function lockUser(db: Queryable, id: number): Promise<{ id: number; username: string; role: Role; disabled: boolean; password_hash: string } | undefined> {
  const { rows } = await db.query<{ id: number; username: string; role: Role; disabled: boolean; password_hash: string }>(
    'SELECT id, username, role, disabled, password_hash FROM users WHERE id = $1 FOR UPDATE',
    [id],
  );
  return rows[0];
}

/**
 * Locks every enabled admin and counts them: taken before demoting or disabling an
 * admin, so two such changes at once cannot each see "another admin is left".
 */
export async function lockActiveAdmins(db: Queryable): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>("SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE");
  return rows.map((r) => Number(r.id));
}

export async function unknownBuildings(db: Queryable, buildings: readonly string[]): Promise<string[]> {
  if (buildings.length === 0) return [];
  const { rows } = await db.query<{ id: string }>('SELECT id FROM buildings WHERE id = ANY($1::text[])', [buildings]);
  const known = new Set(rows.map((r) => r.id));
  return buildings.filter((b) => !known.has(b));
}

export async function setUserBuildings(db: Queryable, userId: number, buildings: readonly string[]): Promise<void> {
  await db.query('DELETE FROM user_buildings WHERE user_id = $1', [userId]);
  if (buildings.length) {
    await db.query('INSERT INTO user_buildings (user_id, building_id) SELECT $1, unnest($2::text[])', [userId, buildings]);
  }
}

export async function updateUserProfile(db: Queryable, id: number, change: { displayName?: string; role?: Role }): Promise<void> {
  await db.query('UPDATE users SET display_name = coalesce($2, display_name), role = coalesce($3, role) WHERE id = $1', [id, change.displayName ?? null, change.role ?? null]);
}

export async function setUserDisabled(db: Queryable, id: number, disabled: boolean): Promise<void> {
  await db.query('UPDATE users SET disabled = $2 WHERE id = $1', [id, disabled]);
}

export async function setUserPassword(db: Queryable, id: number, passwordHash: string, mustChange: boolean): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = now() WHERE id = $1', [id, passwordHash, mustChange]);
}

export async function setMustChangePassword(db: Queryable, id: number, mustChange: boolean): Promise<void> {
  await db.query('UPDATE users SET must_change_password = $2 WHERE id = $1', [id, mustChange]);
}

/** Ends the user's sessions (all, or all but the one whose token hash is kept); returns how many. */
export async function deleteUserSessions(db: Queryable, userId: number, keepTokenHash?: Buffer): Promise<number> {
  const { rowCount } = keepTokenHash
    ? await db.query('DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2', [userId, keepTokenHash])
    : await db.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
  return rowCount ?? 0;
}

export async function mustChangePassword(db: Queryable, userId: number): Promise<boolean> {
  const { rows } = await db.query<{ must_change_password: boolean }>('SELECT must_change_password FROM users WHERE id = $1', [userId]);
  return rows[0]?.must_change_password ?? false;
}
