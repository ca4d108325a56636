import { clearSession, readToken } from '../auth/session-store.ts';

/**
 * The one way the dashboard talks HTTP to the hub: JSON in and out, bearer token attached,
 * the hub's coded errors (`{ error: { code, message, details? } }`) surfaced as ApiError,
 * and a 401 on an authenticated call ending the session (the app goes back to login).
 */

/** Codes made up on this side for failures that never reached the hub's error handler. */
export const CLIENT_ERR_NETWORK = 'WARDEN_ERR_CLIENT_NETWORK';
export const CLIENT_ERR_BAD_RESPONSE = 'WARDEN_ERR_CLIENT_BAD_RESPONSE';

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    /** `WARDEN_ERR_…` from the hub, or one of the CLIENT_ERR_… codes above. */
    readonly code: string,
    message: string,
    readonly details: unknown = undefined,
    /** The parsed response body, for endpoints that answer a useful body with an error status (e.g. /api/ready → 503). */
    readonly body: unknown = undefined,
    /** From a Retry-After header (429, 503), in seconds. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

export function isAbortError(value: unknown): boolean {
  return value instanceof DOMException && value.name === 'AbortError';
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called when the hub rejects our token; returns an unsubscribe function. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
  /**
   * Attach the token and treat 401 as "session over". Off for the login call itself,
   * where 401 means wrong credentials, not an expired session.
   */
  authenticated?: boolean;
}

export function buildUrl(path: string, query?: Record<string, QueryValue>): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

function hubErrorOf(body: unknown): { code: string; message: string; details?: unknown } | null {
  if (typeof body !== 'object' || body === null || !('error' in body)) return null;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return null;
  const { code, message, details } = error as Record<string, unknown>;
  if (typeof code !== 'string') return null;
  return { code, message: typeof message === 'string' ? message : code, details };
}

function retryAfter(response: Response): number | null {
  const header = response.headers.get('retry-after');
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', query, body, signal, authenticated = true } = options;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = authenticated ? readToken() : null;
  if (token) headers.Authorization = `Bearer ${token}`;

  let response: Response;
  try {
    response = await fetch(buildUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: 'same-origin',
    });
  } catch (cause) {
    if (isAbortError(cause)) throw cause;
    throw new ApiError(0, CLIENT_ERR_NETWORK, cause instanceof Error ? cause.message : String(cause));
  }

  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: a proxy error page, or the SPA fallback answering an unknown /api path.
      throw new ApiError(response.status, CLIENT_ERR_BAD_RESPONSE, `HTTP ${response.status}: not JSON`);
    }
  }

  if (response.ok) return parsed as T;

  const hubError = hubErrorOf(parsed);
  const error = new ApiError(
    response.status,
    hubError?.code ?? `WARDEN_ERR_HTTP_${response.status}`,
    hubError?.message ?? (response.statusText || `HTTP ${response.status}`),
    hubError?.details,
    parsed,
    retryAfter(response),
  );
  if (response.status === 401 && authenticated) {
    clearSession();
    for (const listener of [...unauthorizedListeners]) listener();
  }
  throw error;
}

export function apiGet<T>(path: string, options: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<T> {
  return apiRequest<T>(path, { ...options, method: 'GET' });
}

export function apiPost<T>(path: string, body?: unknown, options: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<T> {
  return apiRequest<T>(path, { ...options, method: 'POST', body });
}
