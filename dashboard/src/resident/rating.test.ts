import { describe, expect, it } from 'vitest';
import { isScore, orderMyRequests, ratingState } from './rating.ts';

describe("an owner's rating of a request", () => {
  it('is offered once the request is closed, and only until it is given', () => {
    expect(ratingState({ status: 'resolved' }, null)).toBe('notYet');
    expect(ratingState({ status: 'closed' }, null)).toBe('open');
    expect(ratingState({ status: 'closed' }, { score: 4, comment: null, at: '2026-11-01T00:00:00Z' })).toBe('rated');
    expect(ratingState({ status: 'rejected' }, null)).toBe('rejected');
  });

  it('takes a whole score from 1 to 5', () => {
    expect([0, 1, 5, 6, 2.5].map(isScore)).toEqual([false, true, true, false, false]);
  });
});

describe("an owner's list of requests", () => {
  it('puts requests still under way first, newest first', () => {
    const requests = [
      { id: 1, status: 'closed' as const, createdAt: '2026-11-03T00:00:00Z' },
      { id: 2, status: 'in_progress' as const, createdAt: '2026-11-01T00:00:00Z' },
      { id: 3, status: 'new' as const, createdAt: '2026-11-02T00:00:00Z' },
      { id: 4, status: 'rejected' as const, createdAt: '2026-11-04T00:00:00Z' },
    ];
    expect(orderMyRequests(requests).map((r) => r.id)).toEqual([3, 2, 4, 1]);
  });
});
