import { apiGet, apiPost, apiRequest } from '../api/client.ts';
import { type Role } from '../api/hub-api.ts';

/** A user as the hub shows administrators (hub/src/auth/users.routes.ts): never a password. */
export interface AdminUser {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  /** Buildings the user is limited to; empty means the whole estate. */
  buildings: string[];
  disabled: boolean;
  mustChangePassword: boolean;
  lastLoginAt: string | null;
  passwordChangedAt: string | null;
  createdAt: string;
}

export interface UserQuery {
  role?: Role;
  building?: string;
  active?: boolean;
  q?: string;
}

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  buildings: string[];
  /** Left out: the hub generates one and answers it once as `temporaryPassword`. */
  password?: string;
  mustChangePassword: boolean;
}

/** An answer that may carry a generated password: shown once, never fetchable again. */
export interface WithTemporaryPassword {
  user: AdminUser;
  temporaryPassword?: string;
}

export async function listUsers(query: UserQuery, signal?: AbortSignal): Promise<AdminUser[]> {
  return (await apiGet<{ users: AdminUser[] }>('/api/users', { query: { ...query }, signal })).users;
}

export async function fetchUser(id: number, signal?: AbortSignal): Promise<AdminUser> {
  return (await apiGet<{ user: AdminUser }>(`/api/users/${id}`, { signal })).user;
}

export function createUser(user: NewUser): Promise<WithTemporaryPassword & { id: number }> {
  return apiPost('/api/users', user);
}

export async function updateUser(id: number, change: { displayName?: string; role?: Role; buildings?: string[] }): Promise<AdminUser> {
  return (await apiRequest<{ user: AdminUser }>(`/api/users/${id}`, { method: 'PATCH', body: change })).user;
}

export async function setUserActive(id: number, active: boolean): Promise<AdminUser> {
  return (await apiPost<{ user: AdminUser }>(`/api/users/${id}/${active ? 'reactivate' : 'deactivate'}`)).user;
}

export function resetPassword(id: number, password?: string): Promise<WithTemporaryPassword> {
  return apiPost(`/api/users/${id}/password`, password === undefined ? {} : { password });
}

/** The signed-in user's own password; their other sessions end. */
export async function changeOwnPassword(currentPassword: string, newPassword: string): Promise<void> {
  await apiPost('/api/auth/password', { currentPassword, newPassword });
}

/** The hub's minimum (hub/src/auth/users.routes.ts), checked here to say so before sending. */
export const MIN_PASSWORD_LENGTH = 12;
export const USERNAME_PATTERN = /^[A-Za-z0-9_.@-]{3,64}$/;
