import { apiGet, apiPost } from '../api/client.ts';
import type { AlarmPriority, AlarmState } from '../api/hub-api.ts';

/** Structured shift handovers (hub: /api/shift-handovers). */

export interface HandoverAlarm {
  id: number;
  priority: AlarmPriority | null;
  state: AlarmState;
  active: boolean;
  message: string | null;
  device: string;
  buildingId: string | null;
  raisedAt: string | null;
  shelvedUntil: string | null;
  shelvedBy: string | null;
  shelveReason: string | null;
}

export interface HandoverSnapshot {
  takenAt: string;
  periodStart: string;
  alarmCount: { total: number } & Record<AlarmPriority, number>;
  unacknowledged: HandoverAlarm[];
  standing: HandoverAlarm[];
  shelved: HandoverAlarm[];
  workOrders: { id: number; number: string; title: string; priority: AlarmPriority; status: string; buildingId: string | null; assignee: string | null; createdAt: string; resolveDueAt: string }[];
  incidents: { id: number; title: string; priority: AlarmPriority; buildingId: string | null; zone: string | null; openedAt: string; lastSignalAt: string; workOrderNumber: string | null }[];
  doors: { id: number; name: string; buildingId: string | null; location: string | null; open: boolean | null; locked: boolean | null; since: string | null }[];
  truncated: boolean;
}

export const handoverCountKeys = ['unacknowledged', 'standing', 'shelved', 'workOrders', 'incidents', 'doors'] as const;
export type HandoverCountKey = (typeof handoverCountKeys)[number];

export interface Handover {
  id: number;
  buildingId: string | null;
  startedAt: string;
  outgoingId: number | null;
  outgoingName: string;
  notes: string;
  periodStart: string;
  status: 'pending' | 'accepted';
  acceptedAt: string | null;
  incomingId: number | null;
  incomingName: string | null;
  acceptRemark: string | null;
  overdueAt: string | null;
  counts: Record<HandoverCountKey | 'alarmsInPeriod', number>;
  snapshot?: HandoverSnapshot;
}

export type HandoverStatusFilter = 'all' | 'pending' | 'accepted';

export async function listHandovers(query: { status?: HandoverStatusFilter; building?: string; since?: string; until?: string; limit?: number } = {}, signal?: AbortSignal): Promise<Handover[]> {
  return (await apiGet<{ handovers: Handover[] }>('/api/shift-handovers', { query, signal })).handovers;
}

export async function getHandover(id: number, signal?: AbortSignal): Promise<Handover> {
  return (await apiGet<{ handover: Handover }>(`/api/shift-handovers/${id}`, { signal })).handover;
}

export async function previewHandover(building: string | undefined, signal?: AbortSignal): Promise<HandoverSnapshot> {
  return (await apiGet<{ snapshot: HandoverSnapshot }>('/api/shift-handovers/preview', { query: { building }, signal })).snapshot;
}

export async function startHandover(input: { buildingId?: string; notes: string }): Promise<Handover> {
  return (await apiPost<{ handover: Handover }>('/api/shift-handovers', input)).handover;
}

export async function acceptHandover(id: number, remark?: string): Promise<Handover> {
  return (await apiPost<{ handover: Handover }>(`/api/shift-handovers/${id}/accept`, remark ? { remark } : {})).handover;
}

export function isHandover(data: unknown): data is Handover {
  if (typeof data !== 'object' || data === null) return false;
  const { id, status, startedAt } = data as Record<string, unknown>;
  return typeof id === 'number' && (status === 'pending' || status === 'accepted') && typeof startedAt === 'string';
}

/** Newest first, one per id; a later version of a handover (accepted, flagged overdue) replaces the earlier. */
export function mergeHandovers(current: readonly Handover[], incoming: readonly Handover[]): Handover[] {
  const byId = new Map<number, Handover>(current.map((h) => [h.id, h]));
  for (const h of incoming) {
    const known = byId.get(h.id);
    // An accepted one never goes back to pending (a late replay of the start must not undo it).
    if (known && known.status === 'accepted' && h.status === 'pending') continue;
    byId.set(h.id, known ? { ...known, ...h, overdueAt: h.overdueAt ?? known.overdueAt, snapshot: h.snapshot ?? known.snapshot } : h);
  }
  return [...byId.values()].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id - a.id);
}
