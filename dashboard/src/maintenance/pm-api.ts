import { apiGet, apiPost } from '../api/client.ts';
import { type Role } from '../api/hub-api.ts';
import { type PlanBody } from './plan-draft.ts';

/** Preventive maintenance plans, as the hub answers them (hub/src/maintenance/pm.routes.ts). */

export const pmKinds = ['calendar', 'usage'] as const;
export type PmKind = (typeof pmKinds)[number];
export const pmStatuses = ['ok', 'due', 'overdue'] as const;
export type PmStatus = (typeof pmStatuses)[number];

export interface PmPlan {
  id: number;
  equipmentId: number;
  equipmentCode: string;
  equipmentName: string;
  buildingId: string | null;
  deviceId: number | null;
  title: string;
  description: string | null;
  trade: string;
  priority: 'critical' | 'high' | 'medium' | 'low';
  kind: PmKind;
  intervalDays: number | null;
  metric: string | null;
  intervalUsage: number | null;
  lastDoneAt: string | null;
  lastDoneUsage: number | null;
  nextDueAt: string | null;
  nextDueUsage: number | null;
  usageNow: number | null;
  leadDays: number;
  active: boolean;
  status: PmStatus;
  daysOverdue: number | null;
  usageOverdue: number | null;
  workOrder: { id: number; number: string; status: string } | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export async function listPmPlans(query: { status?: PmStatus; equipmentId?: number } = {}, signal?: AbortSignal): Promise<PmPlan[]> {
  return (await apiGet<{ plans: PmPlan[] }>('/api/pm/plans', { query, signal })).plans;
}

/** The hub's rule (hub/src/maintenance/pm.routes.ts): who creates and changes plans. */
export const pmWriterRoles: readonly Role[] = ['admin', 'manager'];

export async function createPmPlan(body: PlanBody): Promise<PmPlan> {
  return (await apiPost<{ plan: PmPlan }>('/api/pm/plans', body)).plan;
}
