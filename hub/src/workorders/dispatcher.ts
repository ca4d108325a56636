import type { Role } from '../auth/roles.js';
import type { Priority, WorkOrderKind } from './work-order.types.js';

/** What dispatch needs to know about a work order. */
export interface DispatchRequest {
  kind: WorkOrderKind;
  trade: string;
  buildingId: string | null;
  priority: Priority;
}

/** One member of staff as dispatch sees them (loaded by the repository at dispatch time). */
export interface DispatchCandidate {
  staffId: number;
  name: string;
  active: boolean;
  trades: readonly string[];
  /** Buildings the person covers; empty means the whole estate. */
  buildings: readonly string[];
  /** The login linked to the person, if any: dispatch only goes to people who can receive it. */
  user: { role: Role; disabled: boolean } | null;
  onShift: boolean;
  /** Work orders assigned to them and not yet resolved, closed or cancelled. */
  workload: number;
}

export interface ScoredCandidate {
  candidate: DispatchCandidate;
  score: number;
  /** Why the score is what it is, for the 'assign' event's details and for supervisors. */
  reasons: string[];
}

/**
 * Weights of the score. Being on shift matters more when the work is urgent: a
 * critical leak at 3 a.m. goes to whoever is on duty even if they are busy, while
 * a low-priority job may wait for someone idle who starts later. A person who
 * covers the building specifically (not just "the whole estate") is closer.
 */
export const dispatchWeights = {
  onShiftUrgent: 100,
  onShiftRoutine: 40,
  perOpenWorkOrder: 10,
  coversBuilding: 15,
} as const;

/** Who may take a work order of this kind: technicians do maintenance, guards do security. */
export function roleFor(kind: WorkOrderKind): Role {
  return kind === 'security' ? 'guard' : 'technician';
}

/** The trade a work order needs: security work orders always need 'security'. */
export function tradeFor(request: Pick<DispatchRequest, 'kind' | 'trade'>): string {
  return request.kind === 'security' ? 'security' : request.trade;
}

/** Whether a person may be given this work order at all (automatic dispatch and manual reassignment alike). */
export function unsuitableReason(request: DispatchRequest, c: DispatchCandidate): string | undefined {
  if (!c.active) return 'not active';
  if (!c.user) return 'has no login to receive work orders';
  if (c.user.disabled) return 'login is disabled';
  if (c.user.role !== roleFor(request.kind)) return `role ${c.user.role} does not take ${request.kind} work orders`;
  const trade = tradeFor(request);
  if (!c.trades.includes(trade)) return `does not have the trade ${trade}`;
  if (request.buildingId !== null && c.buildings.length > 0 && !c.buildings.includes(request.buildingId)) {
    return `does not cover building ${request.buildingId}`;
  }
  return undefined;
}

/**
 * Whether a person may claim this work order for themself (see WorkOrderService.claim):
 * everything dispatch requires, and being on shift now. Dispatch may give work to someone
 * who starts later (it weighs the shift, see scoreCandidate); a claim accepts the job on
 * the spot and meets the accept SLA, which is only true of someone on duty to go.
 */
export function claimRefusal(request: DispatchRequest, c: DispatchCandidate): string | undefined {
  return unsuitableReason(request, c) ?? (c.onShift ? undefined : 'is not on shift now');
}

export function scoreCandidate(request: DispatchRequest, c: DispatchCandidate): ScoredCandidate {
  const urgent = request.priority === 'critical' || request.priority === 'high';
  const reasons: string[] = [];
  let score = 0;
  if (c.onShift) {
    score += urgent ? dispatchWeights.onShiftUrgent : dispatchWeights.onShiftRoutine;
    reasons.push(urgent ? 'on shift (urgent)' : 'on shift');
  } else {
    reasons.push('off shift');
  }
  score -= c.workload * dispatchWeights.perOpenWorkOrder;
  reasons.push(`${c.workload} open work orders`);
  if (request.buildingId !== null && c.buildings.includes(request.buildingId)) {
    score += dispatchWeights.coversBuilding;
    reasons.push(`covers ${request.buildingId}`);
  }
  return { candidate: c, score, reasons };
}

/**
 * The suitable people, best first. Ties go to the lighter workload, then to the
 * lower staff id, so the same data always gives the same choice.
 */
export function rankCandidates(request: DispatchRequest, candidates: readonly DispatchCandidate[]): ScoredCandidate[] {
  return candidates
    .filter((c) => unsuitableReason(request, c) === undefined)
    .map((c) => scoreCandidate(request, c))
    .sort((a, b) => b.score - a.score || a.candidate.workload - b.candidate.workload || a.candidate.staffId - b.candidate.staffId);
}

/** The person to assign, or undefined when nobody suitable exists. */
export function chooseAssignee(request: DispatchRequest, candidates: readonly DispatchCandidate[]): ScoredCandidate | undefined {
  return rankCandidates(request, candidates)[0];
}
