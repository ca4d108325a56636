import { type RequestSurvey, type ServiceRequest } from '../service/service-api.ts';

/**
 * Where a request stands for its rating. The hub takes one rating per request, once the
 * request is closed (resolved work is first checked and closed by the office).
 */
export type RatingState = 'rated' | 'open' | 'notYet' | 'rejected';

export function ratingState(request: Pick<ServiceRequest, 'status'>, survey: RequestSurvey | null): RatingState {
  if (survey) return 'rated';
  if (request.status === 'closed') return 'open';
  return request.status === 'rejected' ? 'rejected' : 'notYet';
}

export const scores = [1, 2, 3, 4, 5] as const;
export type Score = (typeof scores)[number];

export function isScore(value: number): value is Score {
  return (scores as readonly number[]).includes(value);
}

/** Requests still being worked on lead the list, newest first within each group. */
export function orderMyRequests<T extends Pick<ServiceRequest, 'status' | 'createdAt' | 'id'>>(requests: readonly T[]): T[] {
  const finished = (r: T) => r.status === 'closed' || r.status === 'rejected';
  return [...requests].sort((a, b) => Number(finished(a)) - Number(finished(b)) || b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
}
