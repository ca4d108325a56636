import type { Database, Queryable } from '../db/database.js';
import { recordAudit } from '../audit/index.js';
import { WardenError } from '../http/errors.js';
import { generateSecret, hashSecret, hashSessionToken, verifySecret } from './passwords.js';
import type { Role, SessionUser } from './roles.js';
import * as repo from './users.repository.js';
import type { AdminUser, UserFilter } from './users.repository.js';

export type { AdminUser, UserFilter } from './users.repository.js';

/** Who is acting, for access rules and the audit log. */
export interface Actor {
  user: SessionUser;
  ip?: string;
}

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  buildings?: string[];
  /** Left out: one is generated and handed back once. */
  password?: string;
  /**
   * Whether the user must pick their own password at first login (every other route
   * answers WARDEN_ERR_PASSWORD_CHANGE_REQUIRED until then). Defaults to true for a
   * generated password; a caller giving one (a provisioning script) says so itself. The
   * dashboard's form asks for it by default.
   */
  mustChangePassword?: boolean;
}

export interface UserChange {
  displayName?: string;
  role?: Role;
  buildings?: string[];
}

/**
 * User administration: the accounts, their role and building limits, deactivation and
 * password resets. Every change is audited with who did it to whom (never a password);
 * a change that ends a user's sessions tells `onSessionsRevoked` so open live streams
 * close at once rather than at their next periodic check.
 */
export class UserAdminService {
  constructor(
    private readonly db: Database,
    private readonly onSessionsRevoked: (userId: number) => void,
  ) {}

  list(filter: UserFilter): Promise<AdminUser[]> {
    return repo.searchUsers(this.db, filter);
  }

  async get(id: number): Promise<AdminUser> {
    const user = await repo.findAdminUser(this.db, id);
    if (!user) throw new WardenError('WARDEN_ERR_NOT_FOUND', `user ${id} does not exist`);
    return user;
  }

  async create(input: NewUser, actor: Actor): Promise<{ user: AdminUser; temporaryPassword?: string }> {
    const generated = input.password === undefined;
    const password = input.password ?? generateSecret(12);
    const mustChange = input.mustChangePassword ?? generated;
    const buildings = unique(input.buildings ?? []);
    const passwordHash = await hashSecret(password);
    try {
      const id = await this.db.transaction(async (tx) => {
        await this.checkBuildings(tx, buildings);
        const { rows } = await tx.query<{ id: number }>(
          `INSERT INTO users (username, display_name, password_hash, role, must_change_password, password_changed_at)
           VALUES ($1, $2, $3, $4, $5, now()) RETURNING id`,
          [input.username, input.displayName, passwordHash, input.role, mustChange],
        );
        const newId = Number(rows[0].id);
        await repo.setUserBuildings(tx, newId, buildings);
        await this.audit(tx, actor, 'user.created', newId, {
          username: input.username,
          role: input.role,
          buildings,
          passwordGenerated: generated,
          mustChangePassword: mustChange,
        });
        return newId;
      });
      return { user: await this.get(id), ...(generated ? { temporaryPassword: password } : {}) };
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new WardenError('WARDEN_ERR_CONFLICT', `username ${input.username} is taken`, { field: 'username' });
      throw err;
    }
  }

  async update(id: number, change: UserChange, actor: Actor): Promise<AdminUser> {
    await this.db.transaction(async (tx) => {
      // Admins first, then the user: the same order as deactivation, so the two cannot deadlock.
      const admins = change.role !== undefined ? await repo.lockActiveAdmins(tx) : [];
      const before = await this.lockAndRead(tx, id);
      if (change.role !== undefined && change.role !== 'admin' && admins.length === 1 && admins[0] === id) {
        throw new WardenError('WARDEN_ERR_CONFLICT', `${before.username} is the last active admin: make another user admin before changing this one's role`, { reason: 'last_admin' });
      }
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      if (change.displayName !== undefined && change.displayName !== before.displayName) changes.displayName = { from: before.displayName, to: change.displayName };
      if (change.role !== undefined && change.role !== before.role) changes.role = { from: before.role, to: change.role };
      if (change.buildings !== undefined) {
        const buildings = unique(change.buildings).sort();
        if (buildings.join('\n') !== before.buildings.join('\n')) {
          await this.checkBuildings(tx, buildings);
          await repo.setUserBuildings(tx, id, buildings);
          changes.buildings = { from: before.buildings, to: buildings };
        }
      }
      if (changes.displayName || changes.role) await repo.updateUserProfile(tx, id, { displayName: change.displayName, role: change.role });
      if (Object.keys(changes).length) await this.audit(tx, actor, 'user.updated', id, { username: before.username, changes });
    });
    // Open live streams pick up a new role or building limit at their next session check; make it now.
    this.onSessionsRevoked(id);
    return this.get(id);
  }

  /** Deactivating ends every session of the user at once; a deactivated user cannot log in. */
  async setActive(id: number, active: boolean, actor: Actor): Promise<AdminUser> {
    let ended = 0;
    const changed = await this.db.transaction(async (tx) => {
      const admins = active ? [] : await repo.lockActiveAdmins(tx);
      const target = await this.lockAndRead(tx, id);
      if (target.disabled === !active) return false;
      if (!active && id === actor.user.id) throw new WardenError('WARDEN_ERR_CONFLICT', 'you cannot deactivate your own account', { reason: 'self' });
      if (!active && admins.length === 1 && admins[0] === id) {
        throw new WardenError('WARDEN_ERR_CONFLICT', `${target.username} is the last active admin and cannot be deactivated`, { reason: 'last_admin' });
      }
      await repo.setUserDisabled(tx, id, !active);
      if (!active) ended = await repo.deleteUserSessions(tx, id);
      await this.audit(tx, actor, active ? 'user.reactivated' : 'user.deactivated', id, { username: target.username, ...(active ? {} : { sessionsEnded: ended }) });
      return true;
    });
    if (changed && !active) this.onSessionsRevoked(id);
    return this.get(id);
  }

  /**
   * Sets a password the user must replace at their next login (the one given, or a
   * generated one handed back once) and ends their sessions: whoever held them must
   * sign in with the new password.
   */
  async resetPassword(id: number, password: string | undefined, actor: Actor): Promise<{ user: AdminUser; temporaryPassword?: string }> {
    const generated = password === undefined;
    const secret = password ?? generateSecret(12);
    const passwordHash = await hashSecret(secret);
    await this.db.transaction(async (tx) => {
      const target = await repo.lockUser(tx, id);
      if (!target) throw new WardenError('WARDEN_ERR_NOT_FOUND', `user ${id} does not exist`);
      await repo.setUserPassword(tx, id, passwordHash, true);
      const ended = await repo.deleteUserSessions(tx, id);
      await this.audit(tx, actor, 'user.password_reset', id, { username: target.username, passwordGenerated: generated, sessionsEnded: ended });
    });
    this.onSessionsRevoked(id);
    return { user: await this.get(id), ...(generated ? { temporaryPassword: secret } : {}) };
  }

  /**
   * The signed-in user replaces their own password, proving they know the current one.
   * Their other sessions end (a password change is what one does after a leak); the one
   * making the change stays signed in.
   */
  async changeOwnPassword(user: SessionUser, token: string, currentPassword: string, newPassword: string, ip?: string): Promise<void> {
    if (currentPassword === newPassword) {
      throw new WardenError('WARDEN_ERR_VALIDATION', 'body.newPassword: must differ from the current password', { issues: [{ field: 'body.newPassword', message: 'must differ from the current password' }] });
    }
    const passwordHash = await hashSecret(newPassword);
    const ended = await this.db.transaction(async (tx) => {
      const row = await repo.lockUser(tx, user.id);
      if (!row || !(await verifySecret(row.password_hash, currentPassword))) {
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'auth.password_change_failed', targetType: 'user', targetId: user.id, ip });
        return null;
      }
      await repo.setUserPassword(tx, user.id, passwordHash, false);
      const n = await repo.deleteUserSessions(tx, user.id, hashSessionToken(token));
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'auth.password_changed', targetType: 'user', targetId: user.id, details: { otherSessionsEnded: n }, ip });
      return n;
    });
    if (ended === null) throw new WardenError('WARDEN_ERR_VALIDATION', 'body.currentPassword: the current password is wrong', { issues: [{ field: 'body.currentPassword', message: 'the current password is wrong' }] });
    if (ended > 0) this.onSessionsRevoked(user.id);
  }

  /** Locks the user's row for the transaction and reads them as administrators see them. */
  private async lockAndRead(tx: Queryable, id: number): Promise<AdminUser> {
    const user = (await repo.lockUser(tx, id)) ? await repo.findAdminUser(tx, id) : undefined;
    if (!user) throw new WardenError('WARDEN_ERR_NOT_FOUND', `user ${id} does not exist`);
    return user;
  }

  private async checkBuildings(tx: Queryable, buildings: readonly string[]): Promise<void> {
    const unknown = await repo.unknownBuildings(tx, buildings);
    if (unknown.length) {
      const message = `no such building: ${unknown.join(', ')}`;
      throw new WardenError('WARDEN_ERR_VALIDATION', `body.buildings: ${message}`, { issues: [{ field: 'body.buildings', message }] });
    }
  }

  private audit(tx: Queryable, actor: Actor, action: string, targetId: number, details: Record<string, unknown>): Promise<void> {
    return recordAudit(tx, { userId: actor.user.id, actor: actor.user.username, action, targetType: 'user', targetId, details, ip: actor.ip });
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
