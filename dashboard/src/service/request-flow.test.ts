import { describe, expect, it } from 'vitest';
import { emptyIntake, intakeProblems, requestProgress, statusesFor } from './request-flow.ts';

const base = { createdAt: '2026-11-01T08:00:00Z', dispatchedAt: null, resolvedAt: null, closedAt: null };

describe('a request as its requester follows it', () => {
  it('ticks off the steps reached and marks the one under way', () => {
    expect(requestProgress({ ...base, status: 'new' }).map((m) => m.state)).toEqual(['current', 'todo', 'todo', 'todo', 'todo']);
    const working = requestProgress({ ...base, status: 'in_progress', dispatchedAt: '2026-11-01T08:05:00Z' });
    expect(working.map((m) => m.state)).toEqual(['done', 'done', 'current', 'todo', 'todo']);
    expect(working[1]).toEqual({ step: 'dispatched', state: 'done', at: '2026-11-01T08:05:00Z' });
    const resolved = requestProgress({ ...base, status: 'resolved', dispatchedAt: '2026-11-01T08:05:00Z', resolvedAt: '2026-11-01T10:00:00Z' });
    expect(resolved.map((m) => m.state)).toEqual(['done', 'done', 'done', 'current', 'todo']);
    expect(resolved[3].at).toBe('2026-11-01T10:00:00Z');
  });

  it('shows a closed request as all done and a rejected one as only received', () => {
    expect(requestProgress({ ...base, status: 'closed', closedAt: '2026-11-02T00:00:00Z' }).every((m) => m.state === 'done')).toBe(true);
    const rejected = requestProgress({ ...base, status: 'rejected', closedAt: '2026-11-02T00:00:00Z' });
    expect(rejected.map((m) => m.state)).toEqual(['current', 'todo', 'todo', 'todo', 'todo']);
    expect(rejected[4].at).toBeNull();
  });

  it('lists the statuses still being worked on, and none for everything', () => {
    expect(statusesFor('open')).toEqual(['new', 'classified', 'dispatched', 'in_progress']);
    expect(statusesFor('all')).toEqual([]);
  });
});

describe('the phone intake form', () => {
  it('asks for a unit or a building, a category and a description', () => {
    expect(intakeProblems(emptyIntake)).toEqual(['where', 'category', 'description']);
    expect(intakeProblems({ ...emptyIntake, buildingId: 'bldg-a', category: 'lift', description: '  ' })).toEqual(['description']);
    expect(intakeProblems({ ...emptyIntake, unitId: '12', category: 'plumbing', description: 'Leak under the sink' })).toEqual([]);
  });
});
