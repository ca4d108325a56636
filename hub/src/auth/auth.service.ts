import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { recordAudit } from '../audit/index.js';
import { WardenError } from '../http/errors.js';
import * as repo from './auth.repository.js';
import { generateSecret, hashSecret, hashSessionToken, verifySecret } from './passwords.js';
import { roles, type Role, type SessionUser } from './roles.js';
import { UserAdminService } from './users.service.js';

export interface AuthOptions {
  sessionTtlHours: number;
  adminInitialPassword?: string;
  demoUsers: boolean;
}

export interface InitialCredential {
  username: string;
  password: string;
  role: Role;
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: SessionUser;
}

/** Failed logins allowed per (ip, username) within the window before answering 429. */
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 15 * 60_000;

const hashToken = hashSessionToken;

export class AuthService {
  /** Filled on first start only: the accounts created and their one-time passwords. */
  initialCredentials: InitialCredential[] = [];
  private readonly failures = new Map<string, { count: number; since: number }>();
  private cleanupTimer: NodeJS.Timeout | undefined;
  /** Verified against when the username is unknown, so timing does not reveal which usernames exist. */
  private dummyHash: Promise<string> | undefined;
  private readonly revocationListeners = new Set<(userId: number) => void>();
  /** User administration; its changes that end sessions are announced through `onSessionsRevoked`. */
  readonly users: UserAdminService;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly options: AuthOptions,
  ) {
    this.users = new UserAdminService(db, (userId) => this.sessionsRevoked(userId));
  }

  /**
   * Called after a user's sessions were ended or their role or buildings changed
   * (deactivation, password reset, edit), so holders of long-lived connections (the
   * live stream) re-check at once instead of at their next periodic check.
   * Returns the unsubscribe function.
   */
  onSessionsRevoked(listener: (userId: number) => void): () => void {
    this.revocationListeners.add(listener);
    return () => this.revocationListeners.delete(listener);
  }

  private sessionsRevoked(userId: number): void {
    for (const listener of [...this.revocationListeners]) {
      try {
        listener(userId);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'session revocation listener failed');
      }
    }
  }

  async start(): Promise<void> {
    await this.ensureInitialUsers();
    this.cleanupTimer = setInterval(() => {
      repo.deleteExpiredSessions(this.db).catch((err: Error) => this.logger.warn({ err: err.message }, 'session cleanup failed'));
      const now = Date.now();
      for (const [key, f] of this.failures) if (now - f.since > FAILURE_WINDOW_MS) this.failures.delete(key);
    }, 10 * 60_000);
    this.cleanupTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.cleanupTimer);
    this.revocationListeners.clear();
  }

  /**
   * On a database without users: create the admin (password from config or random)
   * and, if asked, one demo user per role. Serialised by the unique username index,
   * so two hubs starting together create each account once.
   */
  private async ensureInitialUsers(): Promise<void> {
    if ((await repo.countUsers(this.db)) > 0) return;
    const wanted: InitialCredential[] = [{ username: 'admin', role: 'admin', password: this.options.adminInitialPassword ?? generateSecret(12) }];
    if (this.options.demoUsers) {
      for (const role of roles) if (role !== 'admin') wanted.push({ username: role, role, password: `${role}-demo-${generateSecret(4)}` });
    }
    for (const cred of wanted) {
      try {
        await this.createUser({ username: cred.username, displayName: cred.username, password: cred.password, role: cred.role }, 'system');
        this.initialCredentials.push(cred);
      } catch (err) {
        if (!(err instanceof WardenError && err.code === 'WARDEN_ERR_CONFLICT')) throw err;
      }
    }
  }

  async createUser(input: { username: string; displayName: string; password: string; role: Role }, actor: string, actorId?: number): Promise<number> {
    const passwordHash = await hashSecret(input.password);
    try {
      return await this.db.transaction(async (tx) => {
        const id = await repo.insertUser(tx, { username: input.username, displayName: input.displayName, passwordHash, role: input.role });
        await recordAudit(tx, { userId: actorId, actor, action: 'user.created', targetType: 'user', targetId: id, details: { username: input.username, role: input.role } });
        return id;
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new WardenError('WARDEN_ERR_CONFLICT', `username ${input.username} is taken`);
      throw err;
    }
  }

  async login(username: string, password: string, ip?: string): Promise<LoginResult> {
    const throttleKey = `${ip ?? '-'}|${username.toLowerCase()}`;
    const failure = this.failures.get(throttleKey);
    if (failure && failure.count >= MAX_FAILURES && Date.now() - failure.since < FAILURE_WINDOW_MS) {
      throw new WardenError('WARDEN_ERR_RATE_LIMITED');
    }
    const row = await repo.findUserByUsername(this.db, username);
    this.dummyHash ??= hashSecret(generateSecret());
    const ok = await verifySecret(row?.password_hash ?? (await this.dummyHash), password);
    if (!row || !ok || row.disabled) {
      const f = failure && Date.now() - failure.since < FAILURE_WINDOW_MS ? failure : { count: 0, since: Date.now() };
      f.count += 1;
      this.failures.set(throttleKey, f);
      await recordAudit(this.db, { userId: row?.id, actor: username, action: 'auth.login_failed', ip });
      throw new WardenError('WARDEN_ERR_AUTH_FAILED');
    }
    this.failures.delete(throttleKey);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.options.sessionTtlHours * 3_600_000);
    await repo.insertSession(this.db, hashToken(token), row.id, expiresAt, ip);
    await recordAudit(this.db, { userId: row.id, actor: row.username, action: 'auth.login', ip });
    const user = await repo.findSessionUser(this.db, hashToken(token));
    if (!user) throw new WardenError('WARDEN_ERR_INTERNAL', 'session vanished after login');
    const { expiresAt: _e, ...sessionUser } = user;
    return { token, expiresAt, user: sessionUser };
  }

  /** The user behind a bearer token; used by HTTP routes and the WebSocket alike. */
  async authenticate(token: string): Promise<SessionUser | undefined> {
    if (!token || token.length > 128) return undefined;
    const user = await repo.findSessionUser(this.db, hashToken(token));
    if (!user) return undefined;
    const { expiresAt: _e, ...sessionUser } = user;
    return sessionUser;
  }

  async logout(token: string, user: SessionUser, ip?: string): Promise<void> {
    await repo.deleteSession(this.db, hashToken(token));
    await recordAudit(this.db, { userId: user.id, actor: user.username, action: 'auth.logout', ip });
  }

}
