import { type PmPlan, type PmStatus } from './pm-api.ts';

/** How the maintenance board orders and describes plans; kept apart from the page so it is tested alone. */

const rank: Record<PmStatus, number> = { overdue: 0, due: 1, ok: 2 };

/**
 * Overdue first, the most overdue on top, then due, then the rest by next due date;
 * inactive plans go last whatever their status, as nothing will come of them. Lateness
 * is measured in intervals (days late / interval days, usage past due / interval usage)
 * so a weekly check two days late outranks a yearly service two days late, and calendar
 * and usage plans compare.
 */
export function sortPlans(plans: readonly PmPlan[]): PmPlan[] {
  const lateness = (p: PmPlan) => (p.kind === 'calendar' ? (p.daysOverdue ?? 0) / (p.intervalDays || 1) : (p.usageOverdue ?? 0) / (p.intervalUsage || 1));
  return [...plans].sort(
    (a, b) =>
      Number(b.active) - Number(a.active) ||
      rank[a.status] - rank[b.status] ||
      lateness(b) - lateness(a) ||
      (a.nextDueAt ?? '9999').localeCompare(b.nextDueAt ?? '9999') ||
      a.id - b.id,
  );
}

export type DueText =
  | { kind: 'overdueDays'; days: number }
  | { kind: 'overdueUsage'; amount: number; metric: string }
  | { kind: 'dueOn'; at: string }
  | { kind: 'dueAtUsage'; amount: number; metric: string; now: number | null }
  | { kind: 'unknown' };

/** What a plan's "when" column says: how late it is, or when (or at what reading) it is due. */
export function dueText(plan: PmPlan): DueText {
  if (plan.status === 'overdue') {
    if (plan.kind === 'calendar' && plan.daysOverdue !== null) return { kind: 'overdueDays', days: Math.max(1, Math.floor(plan.daysOverdue)) };
    if (plan.kind === 'usage' && plan.usageOverdue !== null && plan.metric) return { kind: 'overdueUsage', amount: plan.usageOverdue, metric: plan.metric };
  }
  if (plan.kind === 'calendar' && plan.nextDueAt) return { kind: 'dueOn', at: plan.nextDueAt };
  if (plan.kind === 'usage' && plan.nextDueUsage !== null && plan.metric) return { kind: 'dueAtUsage', amount: plan.nextDueUsage, metric: plan.metric, now: plan.usageNow };
  return { kind: 'unknown' };
}

/** Counts per status for the board's headline; inactive plans are not counted. */
export function statusCounts(plans: readonly PmPlan[]): Record<PmStatus, number> {
  const counts: Record<PmStatus, number> = { overdue: 0, due: 0, ok: 0 };
  for (const p of plans) if (p.active) counts[p.status] += 1;
  return counts;
}
