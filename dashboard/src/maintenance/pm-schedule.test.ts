import { describe, expect, it } from 'vitest';
import { type PmPlan } from './pm-api.ts';
import { dueText, sortPlans, statusCounts } from './pm-schedule.ts';

const plan = (id: number, over: Partial<PmPlan>): PmPlan => ({
  id,
  equipmentId: 1,
  equipmentCode: 'PUMP-1',
  equipmentName: 'Booster pump',
  buildingId: 'bldg-a',
  deviceId: null,
  title: `plan ${id}`,
  description: null,
  trade: 'plumbing',
  priority: 'medium',
  kind: 'calendar',
  intervalDays: 30,
  metric: null,
  intervalUsage: null,
  lastDoneAt: null,
  lastDoneUsage: null,
  nextDueAt: '2026-12-01T00:00:00Z',
  nextDueUsage: null,
  usageNow: null,
  leadDays: 0,
  active: true,
  status: 'ok',
  daysOverdue: null,
  usageOverdue: null,
  workOrder: null,
  createdBy: 'manager',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

describe('the preventive maintenance board', () => {
  it('puts the most overdue (in intervals) on top, then due, then the rest by date, inactive plans last', () => {
    const plans = [
      plan(1, { nextDueAt: '2026-12-20T00:00:00Z' }),
      plan(2, { status: 'overdue', daysOverdue: 2 }),
      plan(3, { status: 'due' }),
      plan(4, { status: 'overdue', kind: 'usage', intervalDays: null, metric: 'runHours', intervalUsage: 500, usageOverdue: 250 }),
      plan(5, { status: 'overdue', daysOverdue: 30, active: false }),
      plan(6, { nextDueAt: '2026-12-05T00:00:00Z' }),
    ];
    expect(sortPlans(plans).map((p) => p.id)).toEqual([4, 2, 3, 6, 1, 5]);
    expect(statusCounts(plans)).toEqual({ overdue: 2, due: 1, ok: 2 });
  });

  it('says how late a plan is, or when it is due', () => {
    expect(dueText(plan(1, { status: 'overdue', daysOverdue: 3.6 }))).toEqual({ kind: 'overdueDays', days: 3 });
    expect(dueText(plan(1, { status: 'overdue', daysOverdue: 0.2 }))).toEqual({ kind: 'overdueDays', days: 1 });
    expect(dueText(plan(1, { kind: 'usage', metric: 'runHours', status: 'overdue', usageOverdue: 42 }))).toEqual({ kind: 'overdueUsage', amount: 42, metric: 'runHours' });
    expect(dueText(plan(1, {}))).toEqual({ kind: 'dueOn', at: '2026-12-01T00:00:00Z' });
    expect(dueText(plan(1, { kind: 'usage', metric: 'runHours', nextDueUsage: 1500, usageNow: 1320, nextDueAt: null }))).toEqual({ kind: 'dueAtUsage', amount: 1500, metric: 'runHours', now: 1320 });
  });
});
