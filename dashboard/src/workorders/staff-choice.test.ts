import { describe, expect, it } from 'vitest';
import { type StaffMember } from '../api/hub-api.ts';
import { staffOptions, unsuitableReason } from './staff-choice.ts';
import { workOrder } from './work-order.fixture.ts';

function person(overrides: Partial<StaffMember>): StaffMember {
  return {
    id: 1,
    name: 'Liu Yang',
    position: 'Technician',
    userId: 10,
    username: 'technician',
    role: 'technician',
    active: true,
    trades: ['plumbing'],
    buildings: [],
    onShift: true,
    openWorkload: 0,
    ...overrides,
  };
}

describe('staff picker', () => {
  it('says why a person cannot take a work order, as dispatch would', () => {
    const wo = workOrder({ trade: 'plumbing', buildingId: 'bldg-a' });
    expect(unsuitableReason(wo, person({}))).toBeNull();
    expect(unsuitableReason(wo, person({ active: false }))).toBe('inactive');
    expect(unsuitableReason(wo, person({ userId: null }))).toBe('noLogin');
    expect(unsuitableReason(wo, person({ role: 'guard' }))).toBe('wrongRole');
    expect(unsuitableReason(wo, person({ trades: ['lift'] }))).toBe('noTrade');
    expect(unsuitableReason(wo, person({ buildings: ['bldg-b'] }))).toBe('otherBuilding');
    expect(unsuitableReason(wo, person({ buildings: ['bldg-a', 'bldg-b'] }))).toBeNull();
  });

  it('needs a guard with the security trade for security work', () => {
    const wo = workOrder({ kind: 'security', trade: 'general' });
    expect(unsuitableReason(wo, person({ role: 'guard', trades: ['security'] }))).toBeNull();
    expect(unsuitableReason(wo, person({ role: 'technician', trades: ['security'] }))).toBe('wrongRole');
  });

  it('offers suitable people first: on shift, then the lighter workload, then by name', () => {
    const staff = [
      person({ id: 1, name: 'Busy', openWorkload: 3 }),
      person({ id: 2, name: 'Off', onShift: false }),
      person({ id: 3, name: 'No login', userId: null }),
      person({ id: 4, name: 'Idle', openWorkload: 0 }),
      person({ id: 5, name: 'Also idle', openWorkload: 0 }),
    ];
    expect(staffOptions(workOrder(), staff).map((o) => o.person.name)).toEqual(['Also idle', 'Idle', 'Busy', 'Off', 'No login']);
  });
});
