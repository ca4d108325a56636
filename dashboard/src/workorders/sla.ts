import { type WorkOrder, type WorkOrderStatus } from '../api/hub-api.ts';

/**
 * SLA clocks of a work order. Until someone accepts it, the accept-by clock runs;
 * once accepted, the resolve-by clock; a resolved or closed one has an outcome
 * (resolved by its due time or not) and a cancelled one has none.
 */

export type SlaPhase = 'accept' | 'resolve';

export type SlaFields = Pick<
  WorkOrder,
  'status' | 'acceptDueAt' | 'resolveDueAt' | 'acceptedAt' | 'resolvedAt' | 'acceptBreachedAt' | 'resolveBreachedAt'
>;

export interface SlaClock {
  phase: SlaPhase;
  dueAt: number;
  /** Whole seconds: time left while positive; overdue (negative) once breached. */
  remainingSec: number;
  breached: boolean;
}

export type SlaState =
  | ({ kind: 'running' } & SlaClock)
  | { kind: 'finished'; outcome: 'met' | 'breached'; dueAt: number }
  | { kind: 'none' };

const acceptPhase: readonly WorkOrderStatus[] = ['open', 'assigned'];
const resolvePhase: readonly WorkOrderStatus[] = ['accepted', 'in_progress', 'on_hold'];

/**
 * Seconds left until `dueAt`, as a countdown shows them: rounded up while time is
 * left (so "00:00" is only ever shown once the deadline has passed), down once overdue.
 * A deadline is breached from the instant it is reached.
 */
export function secondsUntil(dueAt: number, now: number): { remainingSec: number; breached: boolean } {
  const ms = dueAt - now;
  if (ms > 0) return { remainingSec: Math.ceil(ms / 1000), breached: false };
  const overdue = Math.floor(-ms / 1000);
  return { remainingSec: overdue === 0 ? 0 : -overdue, breached: true };
}

export function slaClock(phase: SlaPhase, wo: SlaFields, now: number): SlaClock {
  const dueAt = Date.parse(phase === 'accept' ? wo.acceptDueAt : wo.resolveDueAt);
  const { remainingSec, breached } = secondsUntil(dueAt, now);
  // The hub's sweep is the authority on breaches; trust it even if this browser's clock runs slow.
  const flagged = (phase === 'accept' ? wo.acceptBreachedAt : wo.resolveBreachedAt) !== null;
  return { phase, dueAt, remainingSec, breached: breached || flagged };
}

export function slaState(wo: SlaFields, now: number): SlaState {
  if (acceptPhase.includes(wo.status)) return { kind: 'running', ...slaClock('accept', wo, now) };
  if (resolvePhase.includes(wo.status)) return { kind: 'running', ...slaClock('resolve', wo, now) };
  if (wo.status === 'resolved' || wo.status === 'closed') {
    const dueAt = Date.parse(wo.resolveDueAt);
    const resolvedAt = wo.resolvedAt === null ? null : Date.parse(wo.resolvedAt);
    const late = resolvedAt === null ? wo.resolveBreachedAt !== null : resolvedAt > dueAt;
    return { kind: 'finished', outcome: late ? 'breached' : 'met', dueAt };
  }
  return { kind: 'none' };
}

/** Whether any clock of this work order is (or ended) past its deadline. */
export function isBreached(wo: SlaFields, now: number): boolean {
  const state = slaState(wo, now);
  if (state.kind === 'running') return state.breached;
  return state.kind === 'finished' && state.outcome === 'breached';
}
