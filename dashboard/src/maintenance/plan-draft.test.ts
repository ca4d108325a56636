import { describe, expect, it } from 'vitest';
import { emptyPlanDraft, planBody } from './plan-draft.ts';

describe('a new maintenance plan', () => {
  it('sends a calendar plan with its interval, lead time and first due day at local midnight', () => {
    expect(planBody({ ...emptyPlanDraft, equipmentId: 7, title: ' Annual motor service ', intervalDays: '365', leadDays: '14', firstDue: '2027-01-15' })).toEqual({
      body: { equipmentId: 7, title: 'Annual motor service', kind: 'calendar', intervalDays: 365, leadDays: 14, nextDueAt: new Date(2027, 0, 15).toISOString() },
    });
    expect(planBody({ ...emptyPlanDraft, equipmentId: 7, title: 'Check' })).toEqual({ body: { equipmentId: 7, title: 'Check', kind: 'calendar', intervalDays: 90, leadDays: 0, nextDueAt: undefined } });
  });

  it('sends a usage plan with only its metric and interval, a decimal comma read as a point', () => {
    expect(planBody({ ...emptyPlanDraft, equipmentId: 7, title: 'Bearing grease', kind: 'usage', metric: 'runHours', intervalUsage: '500,5', firstDue: '2027-01-15' })).toEqual({
      body: { equipmentId: 7, title: 'Bearing grease', kind: 'usage', metric: 'runHours', intervalUsage: 500.5 },
    });
  });

  it('names the fields to fix instead of sending', () => {
    expect(planBody(emptyPlanDraft)).toEqual({ invalid: ['equipmentId', 'title'] });
    expect(planBody({ ...emptyPlanDraft, equipmentId: 1, title: 'x', intervalDays: '0', leadDays: '-1' })).toEqual({ invalid: ['intervalDays', 'leadDays'] });
    expect(planBody({ ...emptyPlanDraft, equipmentId: 1, title: 'x', kind: 'usage', intervalUsage: '0' })).toEqual({ invalid: ['metric', 'intervalUsage'] });
  });
});
