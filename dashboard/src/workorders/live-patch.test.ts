import { describe, expect, it } from 'vitest';
import { type WorkOrder, type WorkOrderLiveData } from '../api/hub-api.ts';
import { activeStatuses } from './lifecycle.ts';
import { applyLiveWorkOrder, removeWorkOrder, upsertWorkOrder, type Belongs } from './live-patch.ts';
import { at, workOrder } from './work-order.fixture.ts';

const now = at('2026-05-01T12:10:00.000Z');
const active: Belongs = (wo) => activeStatuses.includes(wo.status);

function event(wo: WorkOrder, change: Partial<WorkOrderLiveData['workOrder']>, extra: Partial<WorkOrderLiveData> = {}): WorkOrderLiveData {
  return {
    action: 'accept',
    actor: 'technician',
    workOrder: {
      id: wo.id,
      number: wo.number,
      kind: wo.kind,
      source: wo.source,
      status: wo.status,
      priority: wo.priority,
      trade: wo.trade,
      title: wo.title,
      buildingId: wo.buildingId,
      deviceId: wo.deviceId,
      assigneeId: wo.assignee?.id ?? null,
      escalationLevel: wo.escalationLevel,
      acceptDueAt: wo.acceptDueAt,
      resolveDueAt: wo.resolveDueAt,
      ...change,
    },
    ...extra,
  };
}

describe('applying live work-order events to a list', () => {
  it('moves a work order to its new status at once and asks for its time stamps', () => {
    const list = [workOrder({ id: 1 }), workOrder({ id: 2 })];
    const result = applyLiveWorkOrder(list, event(list[0], { status: 'accepted' }), active, now);
    expect(result.list.map((wo) => [wo.id, wo.status])).toEqual([
      [1, 'accepted'],
      [2, 'assigned'],
    ]);
    expect(result.list[0].assignee).toEqual({ id: 1, name: 'Liu Yang' });
    expect(result.list[1]).toBe(list[1]);
    expect(result.refetch).toBe(true);
  });

  it('patches without a refetch when nothing the summary lacks has changed (a comment, a new priority)', () => {
    const list = [workOrder({ id: 1 })];
    const result = applyLiveWorkOrder(list, event(list[0], { priority: 'critical' }, { action: 'comment' }), active, now);
    expect(result.refetch).toBe(false);
    expect(result.list[0].priority).toBe('critical');
  });

  it('refetches a reassigned work order for the new assignee’s name, showing them as pending meanwhile', () => {
    const list = [workOrder({ id: 1 })];
    const result = applyLiveWorkOrder(list, event(list[0], { assigneeId: 4 }, { action: 'assign' }), active, now);
    expect(result.list[0].assignee).toEqual({ id: 4, name: '' });
    expect(result.refetch).toBe(true);
  });

  it('drops a work order that no longer belongs to the list (resolved, for an active-only list)', () => {
    const list = [workOrder({ id: 1, status: 'in_progress' }), workOrder({ id: 2 })];
    const result = applyLiveWorkOrder(list, event(list[0], { status: 'resolved' }, { action: 'resolve' }), active, now);
    expect(result.list.map((wo) => wo.id)).toEqual([2]);
    expect(result.refetch).toBe(false);
  });

  it('asks for the full row of a new work order that belongs, and ignores one that does not', () => {
    const fresh = workOrder({ id: 7, status: 'open', assignee: null });
    const list = [workOrder({ id: 1 })];
    const created = applyLiveWorkOrder(list, event(fresh, {}, { action: 'create' }), active, now);
    expect(created).toEqual({ list, refetch: true });
    const closed = applyLiveWorkOrder(list, event(fresh, { status: 'closed' }, { action: 'close' }), active, now);
    expect(closed).toEqual({ list, refetch: false });
  });

  it('marks the breached SLA on an escalation', () => {
    const list = [workOrder({ id: 1 })];
    const result = applyLiveWorkOrder(list, event(list[0], { escalationLevel: 1 }, { action: 'escalate', sla: 'accept' }), active, now);
    expect(result.list[0]).toMatchObject({ escalationLevel: 1, acceptBreachedAt: new Date(now).toISOString(), resolveBreachedAt: null });
    expect(result.refetch).toBe(false);
  });

  it('puts a fetched work order in place, adds a new one, or drops one that left the filter', () => {
    const list = [workOrder({ id: 1 }), workOrder({ id: 2 })];
    const updated = workOrder({ id: 2, status: 'accepted', acceptedAt: '2026-05-01T12:03:00.000Z' });
    expect(upsertWorkOrder(list, updated, active).map((wo) => wo.status)).toEqual(['assigned', 'accepted']);
    expect(upsertWorkOrder(list, workOrder({ id: 3 }), active).map((wo) => wo.id)).toEqual([1, 2, 3]);
    expect(upsertWorkOrder(list, workOrder({ id: 1, status: 'closed' }), active).map((wo) => wo.id)).toEqual([2]);
    expect(upsertWorkOrder(list, workOrder({ id: 9, status: 'closed' }), active)).toBe(list);
    expect(removeWorkOrder(list, 1).map((wo) => wo.id)).toEqual([2]);
    expect(removeWorkOrder(list, 42)).toBe(list);
  });
});
