import { describe, expect, it } from 'vitest';
import { chooseAssignee, claimRefusal, rankCandidates, unsuitableReason, type DispatchCandidate, type DispatchRequest } from './dispatcher.js';
import { tradeForDevice } from './work-order.types.js';

const person = (staffId: number, over: Partial<DispatchCandidate> = {}): DispatchCandidate => ({
  staffId,
  name: `staff ${staffId}`,
  active: true,
  trades: ['plumbing'],
  buildings: [],
  user: { role: 'technician', disabled: false },
  onShift: true,
  workload: 0,
  ...over,
});

const leak: DispatchRequest = { kind: 'maintenance', trade: 'plumbing', buildingId: 'b1', priority: 'medium' };

describe('dispatcher', () => {
  it('lets someone claim a work order only if dispatch could give it to them and they are on shift now', () => {
    expect(claimRefusal(leak, person(1))).toBeUndefined();
    expect(claimRefusal(leak, person(2, { onShift: false }))).toBe('is not on shift now');
    expect(claimRefusal(leak, person(3, { buildings: ['b2'] }))).toBe('does not cover building b1');
    expect(claimRefusal(leak, person(4, { trades: ['electrical'], onShift: false }))).toBe('does not have the trade plumbing');
    expect(claimRefusal({ ...leak, kind: 'security' }, person(5, { trades: ['security'] }))).toBe('role technician does not take security work orders');
  });

  it('only considers active people with a login of the right role, the trade and the building', () => {
    const candidates = [
      person(1, { active: false }),
      person(2, { user: null }),
      person(3, { user: { role: 'technician', disabled: true } }),
      person(4, { user: { role: 'guard', disabled: false } }),
      person(5, { trades: ['electrical'] }),
      person(6, { buildings: ['b2'] }),
      person(7, { buildings: ['b1', 'b2'] }),
      person(8),
    ];
    expect(rankCandidates(leak, candidates).map((s) => s.candidate.staffId)).toEqual([7, 8]);
    expect(unsuitableReason(leak, candidates[5])).toBe('does not cover building b1');
    expect(unsuitableReason(leak, candidates[3])).toBe('role guard does not take maintenance work orders');
  });

  it('sends security work to guards with the security trade, whatever trade the work order names', () => {
    const request: DispatchRequest = { kind: 'security', trade: 'general', buildingId: 'b1', priority: 'high' };
    const guard = person(1, { trades: ['security'], user: { role: 'guard', disabled: false } });
    const tech = person(2, { trades: ['security', 'general'] });
    expect(chooseAssignee(request, [tech, guard])?.candidate.staffId).toBe(1);
  });

  it('prefers people on shift, then the lighter workload, then the lower id', () => {
    expect(chooseAssignee(leak, [person(1, { onShift: false }), person(2, { workload: 2 })])?.candidate.staffId).toBe(2);
    expect(chooseAssignee(leak, [person(1, { workload: 3 }), person(2, { workload: 1 })])?.candidate.staffId).toBe(2);
    expect(chooseAssignee(leak, [person(2), person(1)])?.candidate.staffId).toBe(1);
  });

  it('lets an idle colleague off shift take routine work from a busy one on shift, but not urgent work', () => {
    const busyOnShift = person(1, { workload: 5 });
    const idleOffShift = person(2, { onShift: false });
    expect(chooseAssignee({ ...leak, priority: 'low' }, [busyOnShift, idleOffShift])?.candidate.staffId).toBe(2);
    expect(chooseAssignee({ ...leak, priority: 'critical' }, [busyOnShift, idleOffShift])?.candidate.staffId).toBe(1);
  });

  it('prefers someone who covers the building over someone roaming the estate', () => {
    const choice = chooseAssignee(leak, [person(1), person(2, { buildings: ['b1'] })]);
    expect(choice?.candidate.staffId).toBe(2);
    expect(choice?.reasons).toEqual(['on shift', '0 open work orders', 'covers b1']);
  });

  it('finds nobody when nobody fits', () => {
    expect(chooseAssignee(leak, [])).toBeUndefined();
    expect(chooseAssignee(leak, [person(1, { trades: ['lift'] })])).toBeUndefined();
  });

  it('derives the trade from the device type', () => {
    expect(tradeForDevice('maintenance', 'pump')).toBe('plumbing');
    expect(tradeForDevice('maintenance', 'pump.booster')).toBe('plumbing');
    expect(tradeForDevice('maintenance', 'sensor.leak')).toBe('plumbing');
    expect(tradeForDevice('maintenance', 'sensor.level')).toBe('plumbing');
    expect(tradeForDevice('maintenance', 'meter.water')).toBe('plumbing');
    expect(tradeForDevice('maintenance', 'lift')).toBe('lift');
    expect(tradeForDevice('maintenance', 'meter.electricity')).toBe('electrical');
    expect(tradeForDevice('maintenance', 'sensor.smoke')).toBe('fire');
    expect(tradeForDevice('maintenance', 'sensor.temperature')).toBe('hvac');
    expect(tradeForDevice('maintenance', 'camera')).toBe('general');
    expect(tradeForDevice('maintenance', 'pumpkin')).toBe('general');
    expect(tradeForDevice('security', 'door')).toBe('security');
  });
});
