/**
 * Where the bearer token lives. Kept in sessionStorage so it dies with the tab and is
 * never shared between two people using two tabs of the same control-room PC; mirrored
 * in memory so the app still works (until reload) where storage is disabled.
 */
const TOKEN_KEY = 'warden.session.token';
const EXPIRES_KEY = 'warden.session.expiresAt';

export interface StoredSession {
  token: string;
  /** ISO time from the hub; null if the hub did not say. */
  expiresAt: string | null;
}

let current: StoredSession | null = load();

function load(): StoredSession | null {
  try {
    const token = sessionStorage.getItem(TOKEN_KEY);
    return token ? { token, expiresAt: sessionStorage.getItem(EXPIRES_KEY) } : null;
  } catch {
    return null;
  }
}

function isExpired(session: StoredSession): boolean {
  return session.expiresAt !== null && Date.parse(session.expiresAt) <= Date.now();
}

export function readSession(): StoredSession | null {
  if (current && isExpired(current)) clearSession();
  return current;
}

export function readToken(): string | null {
  return readSession()?.token ?? null;
}

export function writeSession(session: StoredSession): void {
  current = session;
  try {
    sessionStorage.setItem(TOKEN_KEY, session.token);
    if (session.expiresAt) sessionStorage.setItem(EXPIRES_KEY, session.expiresAt);
    else sessionStorage.removeItem(EXPIRES_KEY);
  } catch {
    // Memory copy only: the session lasts until the page is reloaded.
  }
}

export function clearSession(): void {
  current = null;
  try {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(EXPIRES_KEY);
  } catch {
    // Nothing stored, nothing to clear.
  }
}
