import { type Role } from '../api/hub-api.ts';
import { type MessageKey } from '../i18n/en.ts';

/**
 * Every section of the app and who may open it. The hub enforces the same rules on its
 * routes; this list only decides what the navigation offers.
 */
export const sectionIds = [
  'overview',
  'alarms',
  'estate',
  'my-work-orders',
  'equipment',
  'ledger',
  'parts',
  'maintenance',
  'work-orders',
  'records',
  'billing',
  'requests',
  'surveys',
  'my-units',
  'my-bills',
  'my-requests',
  'my-surveys',
  'users',
] as const;
export type SectionId = (typeof sectionIds)[number];

export interface SectionInfo {
  id: SectionId;
  title: MessageKey;
  about: MessageKey;
}

export const sections: Record<SectionId, SectionInfo> = {
  overview: { id: 'overview', title: 'section.overview', about: 'sectionAbout.overview' },
  alarms: { id: 'alarms', title: 'section.alarms', about: 'sectionAbout.alarms' },
  estate: { id: 'estate', title: 'section.estate', about: 'sectionAbout.estate' },
  'my-work-orders': { id: 'my-work-orders', title: 'section.myWorkOrders', about: 'sectionAbout.myWorkOrders' },
  equipment: { id: 'equipment', title: 'section.equipment', about: 'sectionAbout.equipment' },
  ledger: { id: 'ledger', title: 'section.ledger', about: 'sectionAbout.ledger' },
  parts: { id: 'parts', title: 'section.parts', about: 'sectionAbout.parts' },
  maintenance: { id: 'maintenance', title: 'section.maintenance', about: 'sectionAbout.maintenance' },
  'work-orders': { id: 'work-orders', title: 'section.workOrders', about: 'sectionAbout.workOrders' },
  records: { id: 'records', title: 'section.records', about: 'sectionAbout.records' },
  billing: { id: 'billing', title: 'section.billing', about: 'sectionAbout.billing' },
  requests: { id: 'requests', title: 'section.requests', about: 'sectionAbout.requests' },
  'my-units': { id: 'my-units', title: 'section.myUnits', about: 'sectionAbout.myUnits' },
  'my-bills': { id: 'my-bills', title: 'section.myBills', about: 'sectionAbout.myBills' },
  'my-requests': { id: 'my-requests', title: 'section.myRequests', about: 'sectionAbout.myRequests' },
  surveys: { id: 'surveys', title: 'section.surveys', about: 'sectionAbout.surveys' },
  'my-surveys': { id: 'my-surveys', title: 'section.mySurveys', about: 'sectionAbout.mySurveys' },
  users: { id: 'users', title: 'section.users', about: 'sectionAbout.users' },
};

/**
 * Navigation per role, in menu order; the first entry is where the role lands.
 * The admin sees every staff section plus Users. The "my …" sections are scoped to the
 * signed-in person (a technician's tickets, an owner's units), so they mean nothing for
 * an admin account and are left out of its menu.
 */
export const sectionsByRole: Record<Role, readonly SectionId[]> = {
  guard: ['alarms', 'estate'],
  technician: ['my-work-orders', 'equipment', 'ledger', 'parts', 'maintenance'],
  manager: ['overview', 'alarms', 'work-orders', 'equipment', 'ledger', 'parts', 'maintenance', 'requests', 'surveys', 'records', 'billing'],
  clerk: ['records', 'billing', 'requests', 'parts'],
  owner: ['my-units', 'my-bills', 'my-requests', 'my-surveys'],
  admin: ['overview', 'alarms', 'estate', 'work-orders', 'equipment', 'ledger', 'parts', 'maintenance', 'records', 'billing', 'requests', 'surveys', 'users'],
};

export function isSectionId(value: string | undefined): value is SectionId {
  return value !== undefined && (sectionIds as readonly string[]).includes(value);
}

export function sectionsFor(role: Role): readonly SectionId[] {
  // An unknown role (a newer hub) gets nothing rather than everything.
  return sectionsByRole[role] ?? [];
}
