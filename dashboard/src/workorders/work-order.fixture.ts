import { type WorkOrder } from '../api/hub-api.ts';

/** A work order as GET /api/work-orders answers it, created at 12:00 UTC with a 5 min / 4 h SLA. */
export function workOrder(overrides: Partial<WorkOrder> = {}): WorkOrder {
  const id = overrides.id ?? 1;
  return {
    id,
    number: `WO-${String(id).padStart(6, '0')}`,
    kind: 'maintenance',
    source: 'alarm',
    alarmEpisodeId: id,
    title: 'Pump motor overheating: Booster pump 3',
    description: null,
    priority: 'high',
    status: 'assigned',
    trade: 'plumbing',
    buildingId: 'bldg-a',
    deviceId: 7,
    deviceName: 'Booster pump 3',
    location: 'B1 pump room',
    assignee: { id: 1, name: 'Liu Yang' },
    createdBy: 'system',
    createdAt: '2026-05-01T12:00:00.000Z',
    acceptDueAt: '2026-05-01T12:05:00.000Z',
    resolveDueAt: '2026-05-01T16:00:00.000Z',
    assignedAt: '2026-05-01T12:00:00.000Z',
    acceptedAt: null,
    startedAt: null,
    resolvedAt: null,
    closedAt: null,
    cancelledAt: null,
    resolution: null,
    verification: null,
    reopenCount: 0,
    escalationLevel: 0,
    acceptBreachedAt: null,
    resolveBreachedAt: null,
    updatedAt: '2026-05-01T12:00:00.000Z',
    ...overrides,
  };
}

export const at = (iso: string) => Date.parse(iso);
