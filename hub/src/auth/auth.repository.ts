import type { Queryable } from '../db/database.js';
import type { Role, SessionUser } from './roles.js';

export interface UserRow {
  id: number;
  username: string;
  display_name: string;
  password_hash: string;
  role: Role;
  disabled: boolean;
}

const userColumns = 'id, username, display_name, password_hash, role, disabled';

export async function findUserByUsername(db: Queryable, username: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${userColumns} FROM users WHERE lower(username) = lower($1)`, [username]);
  return rows[0];
}

export async function countUsers(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  return rows[0].n;
}

export async function insertUser(
  db: Queryable,
  user: { username: string; displayName: string; passwordHash: string; role: Role },
): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO users (username, display_name, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING id`,
    [user.username, user.displayName, user.passwordHash, user.role],
  );
  return rows[0].id;
}

export async function insertSession(db: Queryable, tokenHash: Buffer, userId: number, expiresAt: Date, ip: string | undefined): Promise<void> {
  await db.query(`INSERT INTO sessions (token_hash, user_id, expires_at, ip) VALUES ($1, $2, $3, $4)`, [tokenHash, userId, expiresAt, ip ?? null]);
  await db.query(`UPDATE users SET last_login_at = now() WHERE id = $1`, [userId]);
}

/** The session's user, if the session exists, has not expired and the user is enabled. */
export async function findSessionUser(db: Queryable, tokenHash: Buffer): Promise<(SessionUser & { expiresAt: Date }) | undefined> {
  const { rows } = await db.query<{ id: number; username: string; display_name: string; role: Role; buildings: string[]; must_change_password: boolean; expires_at: Date }>(
    `SELECT u.id, u.username, u.display_name, u.role, u.must_change_password, s.expires_at,
            coalesce(array(SELECT building_id FROM user_buildings ub WHERE ub.user_id = u.id ORDER BY building_id), '{}') AS buildings
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled`,
    [tokenHash],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    buildings: row.buildings,
    mustChangePassword: row.must_change_password,
    expiresAt: row.expires_at,
  };
}

export async function deleteSession(db: Queryable, tokenHash: Buffer): Promise<void> {
  await db.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
}

export async function deleteExpiredSessions(db: Queryable): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM sessions WHERE expires_at <= now()');
  return rowCount ?? 0;
}
