import { staffRoles, type Role, type SessionUser } from '../auth/roles.js';

/**
 * Who may do what with the property records. The property office keeps them; the
 * control room and maintenance read units and owners (who lives where, whom to call
 * about a leak) but only ever see personal data masked.
 */

/** Read units and owners. Owners (role owner) read too, limited to themselves and their units. */
export const recordsReaderRoles: readonly Role[] = [...staffRoles, 'owner'];

/** Create and change units, owners, associations; import CSV files. */
export const recordsWriterRoles: readonly Role[] = ['admin', 'manager', 'clerk'];

/**
 * May have a national ID number revealed in clear, one owner at a time, with a reason,
 * each reveal audited (POST /api/owners/:id/reveal-id). Nobody sees ID numbers in clear
 * in lists or details: every answer masks them, for every role, so that each sight of a
 * clear ID number leaves a trace.
 */
export const idRevealRoles: readonly Role[] = ['admin', 'manager', 'clerk'];

/** See owners' phone numbers and e-mail addresses in clear (they call and write to owners); guards and technicians get them masked. */
export const contactRoles: readonly Role[] = ['admin', 'manager', 'clerk'];

/** Staff records (contacts, trades, buildings) are the office's and the managers'. */
export const staffRecordRoles: readonly Role[] = ['admin', 'manager', 'clerk'];

/** Work records for performance review: managers for everyone; every member of staff for themselves. */
export const workRecordReviewerRoles: readonly Role[] = ['admin', 'manager'];

export function canReadContacts(user: SessionUser): boolean {
  return contactRoles.includes(user.role);
}
