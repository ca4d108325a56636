import { apiGet, apiRequest } from '../api/client.ts';

/**
 * Per-building escalation contacts (hub/src/alarms/alarm.routes.ts, admins and
 * managers): who an unacknowledged critical alarm escalates to. A building without one
 * escalates to its managers. The hub decides who may be named and says why it refuses.
 */
export interface EscalationTarget {
  buildingId: string;
  userId: number;
  username: string;
  displayName: string;
  role: string;
  updatedBy: string;
  updatedAt: string;
}

/**
 * A staff record (GET /api/records/staff, admins, managers and clerks): the people with
 * a login are the ones offered as contacts, and its phone and e-mail say whether the
 * escalation's SMS and e-mail can reach them.
 */
export interface StaffRecord {
  id: number;
  name: string;
  position: string | null;
  phone: string | null;
  email: string | null;
  buildings: string[];
  active: boolean;
  user: { id: number; username: string; role: string } | null;
}

export async function listEscalationTargets(signal?: AbortSignal): Promise<EscalationTarget[]> {
  return (await apiGet<{ targets: EscalationTarget[] }>('/api/alarm-escalation-targets', { signal })).targets;
}

export async function setEscalationTarget(building: string, userId: number): Promise<EscalationTarget> {
  return (await apiRequest<{ target: EscalationTarget }>(`/api/alarm-escalation-targets/${encodeURIComponent(building)}`, { method: 'PUT', body: { userId } })).target;
}

export async function clearEscalationTarget(building: string): Promise<void> {
  await apiRequest<null>(`/api/alarm-escalation-targets/${encodeURIComponent(building)}`, { method: 'DELETE' });
}

/** Active staff records (the hub's page limit, 200, is more than an estate's staff). */
export async function listActiveStaffRecords(signal?: AbortSignal): Promise<StaffRecord[]> {
  return (await apiGet<{ staff: StaffRecord[] }>('/api/records/staff', { query: { active: true, limit: 200 }, signal })).staff;
}
