import { type WorkOrder, type WorkOrderActionName, type WorkOrderStatus, type WorkOrderPriority } from '../api/hub-api.ts';

/**
 * The lifecycle as the hub enforces it (hub/src/workorders/work-order.types.ts), so the
 * dashboard offers only the steps that can succeed. The hub still checks every step.
 */
export const transitions: Record<Exclude<WorkOrderActionName, 'comment'>, readonly WorkOrderStatus[]> = {
  assign: ['open', 'assigned', 'accepted', 'in_progress', 'on_hold'],
  // Taken by the technician themself (POST /api/work-orders/:id/claim): open → accepted.
  claim: ['open'],
  accept: ['assigned'],
  start: ['accepted'],
  hold: ['in_progress'],
  resume: ['on_hold'],
  resolve: ['in_progress', 'on_hold'],
  close: ['resolved'],
  cancel: ['open', 'assigned', 'accepted', 'in_progress', 'on_hold', 'resolved'],
  reopen: ['resolved', 'closed'],
};

export type WorkerAction = 'accept' | 'start' | 'hold' | 'resume' | 'resolve';
export type SupervisorAction = 'assign' | 'close' | 'cancel' | 'reopen';

const workerOrder: readonly WorkerAction[] = ['accept', 'start', 'hold', 'resume', 'resolve'];
const supervisorOrder: readonly SupervisorAction[] = ['assign', 'close', 'cancel', 'reopen'];

export function canDo(action: Exclude<WorkOrderActionName, 'comment'>, status: WorkOrderStatus): boolean {
  return transitions[action].includes(status);
}

/** Steps the person doing the work may take now. */
export function workerActionsFor(status: WorkOrderStatus): WorkerAction[] {
  return workerOrder.filter((action) => canDo(action, status));
}

/**
 * Whether the person doing the work may take this one themself: it is open and nobody's.
 * The hub lists a technician only unassigned work of their trades, and checks the rest
 * (building, on shift) when they claim.
 */
export function canClaim(wo: Pick<WorkOrder, 'status' | 'assignee'>): boolean {
  return wo.assignee === null && canDo('claim', wo.status);
}

/** Steps a supervisor may take now. */
export function supervisorActionsFor(status: WorkOrderStatus): SupervisorAction[] {
  return supervisorOrder.filter((action) => canDo(action, status));
}

export const activeStatuses: readonly WorkOrderStatus[] = ['open', 'assigned', 'accepted', 'in_progress', 'on_hold'];
export const finishedStatuses: readonly WorkOrderStatus[] = ['resolved', 'closed', 'cancelled'];

export const priorityRank: Record<WorkOrderPriority, number> = { critical: 0, high: 1, medium: 2, low: 3 };
