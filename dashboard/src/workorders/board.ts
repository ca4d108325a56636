import { type WorkOrder, type WorkOrderKind, type WorkOrderStatus } from '../api/hub-api.ts';
import { priorityRank } from './lifecycle.ts';
import { slaState } from './sla.ts';

/** The board's columns, left to right: the way work flows. */
export const boardColumns = ['open', 'assigned', 'accepted', 'in_progress', 'on_hold', 'resolved'] as const satisfies readonly WorkOrderStatus[];
/** Shown only when the supervisor asks for finished work too. */
export const finishedColumns = ['closed', 'cancelled'] as const satisfies readonly WorkOrderStatus[];

export interface BoardFilter {
  building: string | null;
  trade: string | null;
  kind: WorkOrderKind | null;
}

export const noFilter: BoardFilter = { building: null, trade: null, kind: null };

export function matchesBoardFilter(wo: Pick<WorkOrder, 'buildingId' | 'trade' | 'kind'>, filter: BoardFilter): boolean {
  return (
    (filter.building === null || wo.buildingId === filter.building) &&
    (filter.trade === null || wo.trade === filter.trade) &&
    (filter.kind === null || wo.kind === filter.kind)
  );
}

type Sortable = Pick<
  WorkOrder,
  'id' | 'priority' | 'status' | 'acceptDueAt' | 'resolveDueAt' | 'acceptedAt' | 'resolvedAt' | 'acceptBreachedAt' | 'resolveBreachedAt' | 'updatedAt'
>;

/**
 * What needs attention first: running clocks already breached, then by priority,
 * then the nearest deadline; finished work (no running clock) after all running
 * work, newest first. Ties go to the lower id, so the order is stable.
 */
export function compareUrgency(now: number): (a: Sortable, b: Sortable) => number {
  const key = (wo: Sortable) => {
    const sla = slaState(wo, now);
    if (sla.kind === 'running') return { running: 0, breached: sla.breached ? 0 : 1, rank: priorityRank[wo.priority], due: sla.dueAt };
    return { running: 1, breached: 1, rank: priorityRank[wo.priority], due: -Date.parse(wo.updatedAt) };
  };
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka.running - kb.running || ka.breached - kb.breached || ka.rank - kb.rank || ka.due - kb.due || a.id - b.id;
  };
}

export type BoardGroups<T> = { status: WorkOrderStatus; items: T[] }[];

/** Work orders into the given columns (others are left out), each column by urgency. */
export function groupForBoard<T extends Sortable>(workOrders: readonly T[], columns: readonly WorkOrderStatus[], now: number): BoardGroups<T> {
  const byStatus = new Map<WorkOrderStatus, T[]>(columns.map((status) => [status, []]));
  for (const wo of workOrders) byStatus.get(wo.status)?.push(wo);
  const order = compareUrgency(now);
  return columns.map((status) => ({ status, items: (byStatus.get(status) ?? []).sort(order) }));
}

/** Distinct, sorted values for a filter's options (nulls left out). */
export function distinctValues(values: Iterable<string | null | undefined>): string[] {
  const set = new Set<string>();
  for (const value of values) if (value) set.add(value);
  return [...set].sort((a, b) => a.localeCompare(b));
}
