import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { isAbortError, isApiError, onUnauthorized } from '../api/client.ts';
import { fetchMe, login as loginRequest, logout as logoutRequest, type User } from '../api/hub-api.ts';
import { clearSession, readSession, writeSession } from './session-store.ts';

/** Why the login page is showing, when it is not the first visit. */
export type LoginNotice = 'sessionEnded' | 'signedOut' | null;

export type AuthState =
  | { status: 'restoring' }
  /** A token is stored but the hub could not be reached to check it. */
  | { status: 'unreachable' }
  | { status: 'anonymous'; notice: LoginNotice }
  | { status: 'authenticated'; user: User };

interface AuthValue {
  state: AuthState;
  login: (username: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  retryRestore: () => void;
  abandonRestore: () => void;
}

const AuthContext = createContext<AuthValue | null>(null);

function initialState(): AuthState {
  return readSession() ? { status: 'restoring' } : { status: 'anonymous', notice: null };
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>(initialState);

  // Restore a stored session by asking the hub who the token belongs to.
  const restoring = state.status === 'restoring';
  useEffect(() => {
    if (!restoring) return;
    const controller = new AbortController();
    fetchMe(controller.signal).then(
      (user) => setState({ status: 'authenticated', user }),
      (error: unknown) => {
        if (isAbortError(error)) return;
        if (isApiError(error) && (error.status === 401 || error.status === 403)) {
          clearSession();
          setState({ status: 'anonymous', notice: 'sessionEnded' });
        } else {
          setState({ status: 'unreachable' });
        }
      },
    );
    return () => controller.abort();
  }, [restoring]);

  // Any authenticated call answered 401: the token is gone (expired, revoked, hub restarted).
  useEffect(
    () =>
      onUnauthorized(() => {
        setState((current) => (current.status === 'anonymous' ? current : { status: 'anonymous', notice: 'sessionEnded' }));
      }),
    [],
  );

  // Leave when the hub said the token expires, rather than on the next failing call.
  const expiresAt = state.status === 'authenticated' ? readSession()?.expiresAt ?? null : null;
  useEffect(() => {
    if (!expiresAt) return;
    const remaining = Date.parse(expiresAt) - Date.now();
    // setTimeout overflows past ~24.8 days; such a token will be caught by a 401 instead.
    if (!Number.isFinite(remaining) || remaining > 2 ** 31 - 1) return;
    const timer = setTimeout(() => {
      clearSession();
      setState({ status: 'anonymous', notice: 'sessionEnded' });
    }, Math.max(0, remaining));
    return () => clearTimeout(timer);
  }, [expiresAt]);

  const login = useCallback(async (username: string, password: string) => {
    const answer = await loginRequest(username, password);
    writeSession({ token: answer.token, expiresAt: answer.expiresAt ?? null });
    setState({ status: 'authenticated', user: answer.user });
  }, []);

  const logout = useCallback(async () => {
    try {
      await logoutRequest();
    } catch {
      // The token is dropped here whatever the hub says: signing out must always work.
    }
    clearSession();
    setState({ status: 'anonymous', notice: 'signedOut' });
  }, []);

  const retryRestore = useCallback(() => setState({ status: 'restoring' }), []);
  const abandonRestore = useCallback(() => {
    clearSession();
    setState({ status: 'anonymous', notice: null });
  }, []);

  const value = useMemo<AuthValue>(
    () => ({ state, login, logout, retryRestore, abandonRestore }),
    [state, login, logout, retryRestore, abandonRestore],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth used outside <AuthProvider>');
  return value;
}

/** The signed-in user; only for components rendered inside the authenticated shell. */
export function useUser(): User {
  const { state } = useAuth();
  if (state.status !== 'authenticated') throw new Error('useUser used while not signed in');
  return state.user;
}
