import { type PmKind } from './pm-api.ts';

/**
 * The new-plan form as typed, and the body the hub takes from it
 * (hub/src/maintenance/pm.routes.ts): a calendar plan every N days from a first due
 * date, or a usage plan every N units of a cumulative metric of the equipment's device.
 */
export interface PlanDraft {
  equipmentId: number | null;
  title: string;
  kind: PmKind;
  intervalDays: string;
  metric: string;
  intervalUsage: string;
  /** Local date (YYYY-MM-DD) of the first due day; empty: the hub counts from now. */
  firstDue: string;
  leadDays: string;
}

export const emptyPlanDraft: PlanDraft = { equipmentId: null, title: '', kind: 'calendar', intervalDays: '90', metric: '', intervalUsage: '', firstDue: '', leadDays: '0' };

export type PlanField = 'equipmentId' | 'title' | 'intervalDays' | 'metric' | 'intervalUsage' | 'leadDays';

export interface PlanBody {
  equipmentId: number;
  title: string;
  kind: PmKind;
  intervalDays?: number;
  metric?: string;
  intervalUsage?: number;
  nextDueAt?: string;
  leadDays?: number;
}

const wholeIn = (text: string, min: number, max: number) => /^\d+$/.test(text.trim()) && Number(text) >= min && Number(text) <= max;

/**
 * The body for the hub, or the fields to fix. Only the fields of the chosen kind are
 * sent: the hub refuses a calendar plan carrying a metric, and the other way round.
 * The first due day starts at local midnight, as the office's calendar reads.
 */
export function planBody(draft: PlanDraft): { body: PlanBody } | { invalid: PlanField[] } {
  const invalid: PlanField[] = [];
  if (draft.equipmentId === null) invalid.push('equipmentId');
  if (!draft.title.trim()) invalid.push('title');
  if (draft.kind === 'calendar') {
    if (!wholeIn(draft.intervalDays, 1, 3650)) invalid.push('intervalDays');
    if (!wholeIn(draft.leadDays, 0, 365)) invalid.push('leadDays');
  } else {
    if (!draft.metric.trim()) invalid.push('metric');
    const usage = Number(draft.intervalUsage.trim().replace(',', '.'));
    if (!draft.intervalUsage.trim() || !Number.isFinite(usage) || usage <= 0) invalid.push('intervalUsage');
  }
  if (invalid.length) return { invalid };
  const base = { equipmentId: draft.equipmentId!, title: draft.title.trim(), kind: draft.kind };
  if (draft.kind === 'usage') return { body: { ...base, metric: draft.metric.trim(), intervalUsage: Number(draft.intervalUsage.trim().replace(',', '.')) } };
  const [y, m, d] = draft.firstDue.split('-').map(Number);
  return {
    body: {
      ...base,
      intervalDays: Number(draft.intervalDays),
      leadDays: Number(draft.leadDays),
      nextDueAt: draft.firstDue ? new Date(y, m - 1, d).toISOString() : undefined,
    },
  };
}
