import { type AssociationRole, type ImportKind, type Owner, type UnitSort, type UnitStatus } from '../api/hub-api.ts';
import { type Translate } from '../i18n/i18n-context.tsx';

/** Words for the records vocabulary. */

export function unitStatusLabel(t: Translate, status: UnitStatus): string {
  return t(`records.status.${status}`);
}

export function associationRoleLabel(t: Translate, role: AssociationRole): string {
  return t(`records.role.${role}`);
}

export function sortLabel(t: Translate, sort: UnitSort): string {
  return t(`records.sort.${sort}`);
}

export function importKindLabel(t: Translate, kind: ImportKind): string {
  return t(`records.import.kind.${kind}`);
}

export function idTypeLabel(t: Translate, type: Owner['idType']): string {
  return t(`records.idType.${type}`);
}

/** Pill colours: occupied/rented are in use (ok), vacant is neutral, works in progress stand out. */
export function unitStatusTone(status: UnitStatus): 'ok' | 'low' | 'medium' | 'unknown' {
  switch (status) {
    case 'occupied':
    case 'rented':
      return 'ok';
    case 'vacant':
      return 'unknown';
    case 'under_repair':
      return 'medium';
    case 'renovation':
      return 'low';
  }
}
