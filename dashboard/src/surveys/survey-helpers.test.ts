import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client.ts';
import { currentPeriods, dimensionRows, endOfDay, fieldErrors, isPeriod, orderMyCampaigns, unanswered } from './survey-helpers.ts';

describe('survey helpers', () => {
  it('labels the current month and quarter by the UTC clock', () => {
    expect(currentPeriods(new Date('2026-11-27T10:00:00Z'))).toEqual({ month: '2026-11', quarter: '2026-Q4' });
    expect(currentPeriods(new Date('2027-01-01T00:00:00Z'))).toEqual({ month: '2027-01', quarter: '2027-Q1' });
    expect(currentPeriods(new Date('2026-06-30T23:59:59Z'))).toEqual({ month: '2026-06', quarter: '2026-Q2' });
  });

  it('accepts the periods the hub accepts and nothing else', () => {
    for (const ok of ['2026-01', '2026-12', '2026-Q1', '2026-Q4']) expect(isPeriod(ok)).toBe(true);
    for (const bad of ['2026-13', '2026-00', '2026-Q5', '2026-1', '26-Q1', '']) expect(isPeriod(bad)).toBe(false);
  });

  it('closes a survey at the end of its last local day', () => {
    const end = new Date(endOfDay('2026-12-05'));
    expect([end.getFullYear(), end.getMonth(), end.getDate(), end.getHours(), end.getMinutes()]).toEqual([2026, 11, 5, 23, 59]);
  });

  it('keys the hub validation issues by field below the body, first message kept', () => {
    const error = new ApiError(400, 'WARDEN_ERR_VALIDATION', 'invalid', {
      issues: [
        { field: 'body.scores.security', message: 'a score 1–5 is needed' },
        { field: 'body.scores.security', message: 'second' },
        { field: 'body.comment', message: 'too long' },
        { nothing: true },
      ],
    });
    expect(fieldErrors(error)).toEqual({ 'scores.security': 'a score 1–5 is needed', comment: 'too long' });
    expect(fieldErrors(new ApiError(409, 'WARDEN_ERR_CONFLICT', 'answered'))).toEqual({});
    expect(fieldErrors(null)).toEqual({});
  });

  it('names the dimensions without a score', () => {
    expect(unanswered(['overall', 'security', 'cleanliness'], { overall: 4, cleanliness: 1 })).toEqual(['security']);
    expect(unanswered(['overall'], { overall: 5 })).toEqual([]);
  });

  it('puts surveys to answer first, closing soonest, then the answered ones, latest first', () => {
    const rows = [
      { id: 1, closesAt: '2026-12-10T00:00:00Z', answeredAt: '2026-11-02T00:00:00Z' },
      { id: 2, closesAt: '2026-12-20T00:00:00Z', answeredAt: null },
      { id: 3, closesAt: '2026-12-05T00:00:00Z', answeredAt: null },
      { id: 4, closesAt: '2026-12-01T00:00:00Z', answeredAt: '2026-11-20T00:00:00Z' },
    ];
    expect(orderMyCampaigns(rows).map((r) => r.id)).toEqual([3, 2, 4, 1]);
  });

  it('charts only dimensions with answers, to one decimal, in the campaign order', () => {
    const rows = dimensionRows(
      [
        { dimension: 'overall', count: 3, average: 3.6667 },
        { dimension: 'security', count: 0, average: null },
        { dimension: 'cleanliness', count: 2, average: 4.25 },
      ],
      (d) => d.toUpperCase(),
    );
    expect(rows).toEqual([
      { key: 'overall', label: 'OVERALL', average: 3.7, count: 3 },
      { key: 'cleanliness', label: 'CLEANLINESS', average: 4.3, count: 2 },
    ]);
  });
});
