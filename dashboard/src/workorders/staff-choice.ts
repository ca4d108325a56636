import { type StaffMember, type WorkOrder } from '../api/hub-api.ts';

/**
 * The staff picker's view of dispatch (hub/src/workorders/dispatcher.ts): who may be
 * given a work order at all, and in what order to offer them. The hub re-checks.
 */

export type Unsuitable = 'inactive' | 'noLogin' | 'wrongRole' | 'noTrade' | 'otherBuilding';

export type StaffTarget = Pick<WorkOrder, 'kind' | 'trade' | 'buildingId'>;

export function tradeNeeded(wo: StaffTarget): string {
  return wo.kind === 'security' ? 'security' : wo.trade;
}

export function unsuitableReason(wo: StaffTarget, person: StaffMember): Unsuitable | null {
  if (!person.active) return 'inactive';
  if (person.userId === null) return 'noLogin';
  if (person.role !== (wo.kind === 'security' ? 'guard' : 'technician')) return 'wrongRole';
  if (!person.trades.includes(tradeNeeded(wo))) return 'noTrade';
  if (wo.buildingId !== null && person.buildings.length > 0 && !person.buildings.includes(wo.buildingId)) return 'otherBuilding';
  return null;
}

export interface StaffOption {
  person: StaffMember;
  unsuitable: Unsuitable | null;
}

/** Suitable people first (on shift, then lighter workload, then name); the rest after, so the list explains itself. */
export function staffOptions(wo: StaffTarget, staff: readonly StaffMember[]): StaffOption[] {
  return staff
    .map((person) => ({ person, unsuitable: unsuitableReason(wo, person) }))
    .sort(
      (a, b) =>
        Number(a.unsuitable !== null) - Number(b.unsuitable !== null) ||
        Number(b.person.onShift) - Number(a.person.onShift) ||
        a.person.openWorkload - b.person.openWorkload ||
        a.person.name.localeCompare(b.person.name),
    );
}
