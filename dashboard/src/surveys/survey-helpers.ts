import { type ApiError } from '../api/client.ts';
import { type DimensionScore, type MyCampaign, type SurveyDimension } from './surveys-api.ts';

/**
 * Pure helpers of the survey pages: the periods offered, the per-field errors the hub
 * answers, the owner's list order and chart rows.
 */

/** The current month and quarter as the hub labels them ('2026-11', '2026-Q4'), by the UTC clock the hub measures in. */
export function currentPeriods(now: Date): { month: string; quarter: string } {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  return { month: `${year}-${String(month + 1).padStart(2, '0')}`, quarter: `${year}-Q${Math.floor(month / 3) + 1}` };
}

/** The same check the hub makes, so a typo is caught before the request. */
export const isPeriod = (label: string): boolean => /^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/.test(label);

/** The end of a local calendar day ('YYYY-MM-DD') as the ISO instant the hub takes; a survey closes after its last day. */
export function endOfDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y, m - 1, d, 23, 59, 59).toISOString();
}

/**
 * The hub's validation issues (`details.issues[].field` like 'body.scores.security')
 * keyed by the field below the body ('scores.security'), first message per field.
 */
export function fieldErrors(error: ApiError | null): Record<string, string> {
  const issues = (error?.details as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return {};
  const out: Record<string, string> = {};
  for (const issue of issues as { field?: unknown; message?: unknown }[]) {
    if (typeof issue.field !== 'string') continue;
    const key = issue.field.replace(/^body\./, '');
    out[key] ??= typeof issue.message === 'string' ? issue.message : 'invalid';
  }
  return out;
}

/** Dimensions of a survey still without a score: the form names them rather than send a partial answer. */
export function unanswered(dimensions: readonly SurveyDimension[], scores: Partial<Record<SurveyDimension, number>>): SurveyDimension[] {
  return dimensions.filter((d) => scores[d] === undefined);
}

/** Surveys still to answer first (closing soonest on top), then the answered ones, latest answer first. */
export function orderMyCampaigns<T extends Pick<MyCampaign, 'answeredAt' | 'closesAt' | 'id'>>(campaigns: readonly T[]): T[] {
  return [...campaigns].sort((a, b) => {
    if ((a.answeredAt === null) !== (b.answeredAt === null)) return a.answeredAt === null ? -1 : 1;
    if (a.answeredAt !== null && b.answeredAt !== null) return b.answeredAt.localeCompare(a.answeredAt) || b.id - a.id;
    return a.closesAt.localeCompare(b.closesAt) || a.id - b.id;
  });
}

/** Chart rows for the dimensions that have answers, averages to one decimal as the 1–5 scale reads; the campaign's order is kept. */
export function dimensionRows(scores: readonly DimensionScore[], labelOf: (dimension: SurveyDimension) => string): { key: SurveyDimension; label: string; average: number; count: number }[] {
  return scores.flatMap((s) => (s.average === null || s.count === 0 ? [] : [{ key: s.dimension, label: labelOf(s.dimension), average: Math.round(s.average * 10) / 10, count: s.count }]));
}
