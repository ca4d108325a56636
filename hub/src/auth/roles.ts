export const roles = ['admin', 'manager', 'guard', 'technician', 'clerk', 'owner'] as const;
export type Role = (typeof roles)[number];

/** Staff roles: everyone who works for the property company. */
export const staffRoles: readonly Role[] = ['admin', 'manager', 'guard', 'technician', 'clerk'];
export const allRoles: readonly Role[] = roles;

/** The authenticated user attached to a request or WebSocket. */
export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  /** Buildings the user is limited to; empty means the whole estate. */
  buildings: string[];
  /** An administrator set the password (a new account or a reset): the user must choose their own before working. */
  mustChangePassword?: boolean;
}

export function hasRole(user: SessionUser, allowed: readonly Role[]): boolean {
  return allowed.includes(user.role);
}

/** Whether a user limited to some buildings may see something in this building. */
export function canSeeBuilding(user: SessionUser, buildingId: string | null | undefined): boolean {
  return user.buildings.length === 0 || (buildingId != null && user.buildings.includes(buildingId));
}
