import { describe, expect, it } from 'vitest';
import { boardColumns, distinctValues, groupForBoard, matchesBoardFilter, noFilter } from './board.ts';
import { at, workOrder } from './work-order.fixture.ts';

const now = at('2026-05-01T12:10:00.000Z');

describe('work-order board', () => {
  it('puts each work order in its status column, in flow order, leaving finished ones out', () => {
    const list = [
      workOrder({ id: 1, status: 'in_progress' }),
      workOrder({ id: 2, status: 'open', assignee: null }),
      workOrder({ id: 3, status: 'closed' }),
      workOrder({ id: 4, status: 'resolved', resolvedAt: '2026-05-01T12:08:00.000Z' }),
      workOrder({ id: 5, status: 'on_hold' }),
    ];
    const groups = groupForBoard(list, boardColumns, now);
    expect(groups.map((g) => g.status)).toEqual(['open', 'assigned', 'accepted', 'in_progress', 'on_hold', 'resolved']);
    expect(groups.map((g) => g.items.map((wo) => wo.id))).toEqual([[2], [], [], [1], [5], [4]]);
  });

  it('sorts a column breached first, then by priority, then by the nearest deadline', () => {
    const list = [
      workOrder({ id: 1, priority: 'low', acceptDueAt: '2026-05-01T12:20:00.000Z' }),
      workOrder({ id: 2, priority: 'critical', acceptDueAt: '2026-05-01T12:30:00.000Z' }),
      workOrder({ id: 3, priority: 'low', acceptDueAt: '2026-05-01T12:09:00.000Z' }), // breached
      workOrder({ id: 4, priority: 'critical', acceptDueAt: '2026-05-01T12:15:00.000Z' }),
      workOrder({ id: 5, priority: 'high', acceptDueAt: '2026-05-01T12:00:00.000Z' }), // breached, higher priority
    ];
    const [, assigned] = groupForBoard(list, boardColumns, now);
    expect(assigned.items.map((wo) => wo.id)).toEqual([5, 3, 4, 2, 1]);
  });

  it('keeps equal work orders in id order so the board does not shuffle', () => {
    const list = [workOrder({ id: 9 }), workOrder({ id: 3 }), workOrder({ id: 6 })];
    const [, assigned] = groupForBoard(list, boardColumns, now);
    expect(assigned.items.map((wo) => wo.id)).toEqual([3, 6, 9]);
  });

  it('sorts finished work after running work, most recently changed first', () => {
    const list = [
      workOrder({ id: 1, status: 'resolved', updatedAt: '2026-05-01T12:01:00.000Z' }),
      workOrder({ id: 2, status: 'resolved', updatedAt: '2026-05-01T12:07:00.000Z' }),
    ];
    const groups = groupForBoard(list, ['resolved'], now);
    expect(groups[0].items.map((wo) => wo.id)).toEqual([2, 1]);
  });

  it('filters by building, trade and kind together', () => {
    const wo = workOrder({ buildingId: 'bldg-b', trade: 'lift', kind: 'maintenance' });
    expect(matchesBoardFilter(wo, noFilter)).toBe(true);
    expect(matchesBoardFilter(wo, { building: 'bldg-b', trade: 'lift', kind: 'maintenance' })).toBe(true);
    expect(matchesBoardFilter(wo, { ...noFilter, building: 'bldg-a' })).toBe(false);
    expect(matchesBoardFilter(wo, { ...noFilter, trade: 'plumbing' })).toBe(false);
    expect(matchesBoardFilter(wo, { ...noFilter, kind: 'security' })).toBe(false);
  });

  it('offers each filter value once, sorted', () => {
    expect(distinctValues(['bldg-b', null, 'bldg-a', 'bldg-b', undefined])).toEqual(['bldg-a', 'bldg-b']);
  });
});
