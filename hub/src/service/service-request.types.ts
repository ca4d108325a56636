import type { Priority, WorkOrderKind, WorkOrderStatus } from '../workorders/work-order.types.js';

export const channels = ['phone', 'portal', 'api', 'alarm'] as const;
export type Channel = (typeof channels)[number];

export const categories = ['plumbing', 'electrical', 'lift', 'hvac', 'cleaning', 'security', 'noise', 'other'] as const;
export type Category = (typeof categories)[number];

export const urgencies = ['critical', 'high', 'medium', 'low'] as const;
export type Urgency = (typeof urgencies)[number];

export const requestStatuses = ['new', 'classified', 'dispatched', 'in_progress', 'resolved', 'closed', 'rejected'] as const;
export type RequestStatus = (typeof requestStatuses)[number];

/** Staff entries on the timeline besides status changes. */
export const noteActions = ['note', 'exception'] as const;
export type NoteAction = (typeof noteActions)[number];

/** Security and neighbour trouble go to the guards; the rest to maintenance. */
export function kindFor(category: Category): WorkOrderKind {
  return category === 'security' || category === 'noise' ? 'security' : 'maintenance';
}

/** The trade of the work order a request opens (security work orders always need 'security'). */
export function tradeFor(category: Category): string {
  switch (category) {
    case 'plumbing':
    case 'electrical':
    case 'lift':
    case 'hvac':
    case 'cleaning':
      return category;
    case 'security':
    case 'noise':
      return 'security';
    default:
      return 'general';
  }
}

export const priorityFor = (urgency: Urgency): Priority => urgency;

/**
 * The request's status while its work order is in this one. A cancelled work order
 * rejects the request (recorded as an exception); a reopened one dispatches it again.
 */
export function statusForWorkOrder(status: WorkOrderStatus): RequestStatus {
  switch (status) {
    case 'open':
    case 'assigned':
    case 'accepted':
      return 'dispatched';
    case 'in_progress':
    case 'on_hold':
      return 'in_progress';
    case 'resolved':
      return 'resolved';
    case 'closed':
      return 'closed';
    case 'cancelled':
      return 'rejected';
  }
}
