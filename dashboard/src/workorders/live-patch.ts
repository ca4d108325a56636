import { type WorkOrder, type WorkOrderLiveData } from '../api/hub-api.ts';

/**
 * Keeping a loaded list of work orders current from live events without reloading it.
 * A live event carries a summary (hub work-order.service.ts liveSummary): enough to
 * move a card between columns and re-time its SLA at once, but not the assignee's name
 * or the time stamps of each step, so for those the one work order is fetched again.
 */

/** Whether a work order belongs in the list being kept (its filter). */
export type Belongs = (wo: Pick<WorkOrder, 'status' | 'kind' | 'trade' | 'buildingId'>) => boolean;

export interface LivePatchResult {
  list: WorkOrder[];
  /** Fetch this work order again (GET /api/work-orders/:id) and `upsertWorkOrder` the answer. */
  refetch: boolean;
}

export function applyLiveWorkOrder(list: readonly WorkOrder[], data: WorkOrderLiveData, belongs: Belongs, now: number): LivePatchResult {
  const summary = data.workOrder;
  const index = list.findIndex((wo) => wo.id === summary.id);
  if (index === -1) {
    // New to this list: only the full row can be shown (and the hub decides whether this user may see it).
    return { list: list as WorkOrder[], refetch: belongs(summary) };
  }
  const existing = list[index];
  const assigneeChanged = (existing.assignee?.id ?? null) !== summary.assigneeId;
  const patched: WorkOrder = {
    ...existing,
    kind: summary.kind,
    source: summary.source,
    status: summary.status,
    priority: summary.priority,
    trade: summary.trade,
    title: summary.title,
    buildingId: summary.buildingId,
    deviceId: summary.deviceId,
    escalationLevel: summary.escalationLevel,
    acceptDueAt: summary.acceptDueAt,
    resolveDueAt: summary.resolveDueAt,
    // The name arrives with the refetch; until then the card shows the person as pending.
    assignee: summary.assigneeId === null ? null : assigneeChanged ? { id: summary.assigneeId, name: '' } : existing.assignee,
  };
  if (data.sla === 'accept' && patched.acceptBreachedAt === null) patched.acceptBreachedAt = new Date(now).toISOString();
  if (data.sla === 'resolve' && patched.resolveBreachedAt === null) patched.resolveBreachedAt = new Date(now).toISOString();

  if (!belongs(patched)) return { list: removeWorkOrder(list, summary.id), refetch: false };
  const next = list.slice();
  next[index] = patched;
  return { list: next, refetch: assigneeChanged || existing.status !== summary.status };
}

/** A freshly fetched work order into the list: replaced, added, or dropped if it no longer belongs. */
export function upsertWorkOrder(list: readonly WorkOrder[], wo: WorkOrder, belongs: Belongs): WorkOrder[] {
  const index = list.findIndex((item) => item.id === wo.id);
  if (!belongs(wo)) return index === -1 ? (list as WorkOrder[]) : removeWorkOrder(list, wo.id);
  if (index === -1) return [...list, wo];
  const next = list.slice();
  next[index] = wo;
  return next;
}

/** The list without this work order (the same list if it was not there, so nothing re-renders). */
export function removeWorkOrder(list: readonly WorkOrder[], id: number): WorkOrder[] {
  return list.some((wo) => wo.id === id) ? list.filter((wo) => wo.id !== id) : (list as WorkOrder[]);
}
