import { apiGet, apiPost, isApiError } from './client.ts';

/**
 * The slice of the hub's HTTP API the dashboard uses, with the shapes it expects.
 * When the hub publishes its OpenAPI document these types should be generated from it.
 */

export const roles = ['admin', 'manager', 'guard', 'technician', 'clerk', 'owner'] as const;
export type Role = (typeof roles)[number];

export interface User {
  id: number | string;
  username: string;
  displayName: string;
  role: Role;
}

export interface LoginAnswer {
  token: string;
  expiresAt: string;
  user: User;
}

export interface Device {
  id: number;
  code: string;
  agentId: string;
  site: string;
  building: string | null;
  floor: string | null;
  /** Dotted kind from the device birth, e.g. "pump", "meter.water", "sensor.temperature". */
  type: string;
  name: string;
  online: boolean;
  lastSeenAt: string | null;
}

export type MetricValue = number | boolean | string | null;

export interface LatestMetric {
  metric: string;
  unit: string | null;
  value: MetricValue;
  ts: string | null;
}

export interface HistoryPoint {
  ts: string;
  avg: number | null;
  min: number | null;
  max: number | null;
  last: number | null;
  count: number;
}

export interface HistoryAnswer {
  bucket: string;
  points: HistoryPoint[];
}

export interface HealthAnswer {
  status: 'ok';
}

export interface ReadyAnswer {
  status: 'ready' | 'not-ready';
  database: { ok: boolean; kind: 'pglite' | 'postgres'; storage: 'postgres' | 'timescaledb' };
  broker: { ok: boolean; kind: 'embedded' | 'external' };
}

// --- auth ---

export function login(username: string, password: string, signal?: AbortSignal): Promise<LoginAnswer> {
  return apiPost<LoginAnswer>('/api/auth/login', { username, password }, { signal, authenticated: false });
}

export async function fetchMe(signal?: AbortSignal): Promise<User> {
  return (await apiGet<{ user: User }>('/api/auth/me', { signal })).user;
}

export async function logout(): Promise<void> {
  await apiPost<unknown>('/api/auth/logout');
}

// --- devices ---

export async function listDevices(signal?: AbortSignal): Promise<Device[]> {
  return (await apiGet<{ devices: Device[] }>('/api/devices', { signal })).devices;
}

export async function deviceLatest(id: number, signal?: AbortSignal): Promise<LatestMetric[]> {
  return (await apiGet<{ metrics: LatestMetric[] }>(`/api/devices/${id}/latest`, { signal })).metrics;
}

export function deviceHistory(
  id: number,
  query: { metric: string; from: string; to: string; bucket: string },
  signal?: AbortSignal,
): Promise<HistoryAnswer> {
  return apiGet<HistoryAnswer>(`/api/devices/${id}/history`, { query, signal });
}

// --- system ---

export function fetchHealth(signal?: AbortSignal): Promise<HealthAnswer> {
  return apiGet<HealthAnswer>('/api/health', { signal, authenticated: false });
}

function isReadyAnswer(value: unknown): value is ReadyAnswer {
  return typeof value === 'object' && value !== null && 'status' in value && 'database' in value && 'broker' in value;
}

/** A not-ready hub answers 503 with the same body (load balancers read the status). */
export async function fetchReady(signal?: AbortSignal): Promise<ReadyAnswer> {
  try {
    return await apiGet<ReadyAnswer>('/api/ready', { signal, authenticated: false });
  } catch (error) {
    if (isApiError(error) && isReadyAnswer(error.body)) return error.body;
    throw error;
  }
}
