import { type Role } from '../api/hub-api.ts';

/** The hub's rules (hub/src/records/records-access.ts), to offer only what it will accept. */
export const recordsWriterRoles: readonly Role[] = ['admin', 'manager', 'clerk'];
export const idRevealRoles: readonly Role[] = ['admin', 'manager', 'clerk'];

export const canWriteRecords = (role: Role) => recordsWriterRoles.includes(role);
export const canRevealIds = (role: Role) => idRevealRoles.includes(role);
