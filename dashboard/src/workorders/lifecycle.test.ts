import { describe, expect, it } from 'vitest';
import { canClaim, workerActionsFor } from './lifecycle.ts';
import { workOrder } from './work-order.fixture.ts';

describe('what the person doing the work may do', () => {
  it('offers to take an open, unassigned work order, and nothing else', () => {
    expect(canClaim(workOrder({ status: 'open', assignee: null }))).toBe(true);
    expect(canClaim(workOrder({ status: 'open', assignee: { id: 7, name: 'Liu Yang' } }))).toBe(false);
    for (const status of ['assigned', 'accepted', 'in_progress', 'on_hold', 'resolved', 'closed', 'cancelled'] as const) {
      expect(canClaim(workOrder({ status, assignee: null }))).toBe(false);
    }
  });

  it('goes on from a claimed (accepted) work order with starting the work', () => {
    expect(workerActionsFor('accepted')).toEqual(['start']);
  });
});
