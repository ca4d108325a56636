import { apiGet, apiPost } from '../api/client.ts';

/**
 * Customer service requests and their satisfaction report, as the hub answers them
 * (hub/src/service/service-request.routes.ts).
 */

export const requestChannels = ['phone', 'portal', 'api', 'alarm'] as const;
export type RequestChannel = (typeof requestChannels)[number];
export const requestCategories = ['plumbing', 'electrical', 'lift', 'hvac', 'cleaning', 'security', 'noise', 'other'] as const;
export type RequestCategory = (typeof requestCategories)[number];
export const requestUrgencies = ['critical', 'high', 'medium', 'low'] as const;
export type RequestUrgency = (typeof requestUrgencies)[number];
export const requestStatuses = ['new', 'classified', 'dispatched', 'in_progress', 'resolved', 'closed', 'rejected'] as const;
export type RequestStatus = (typeof requestStatuses)[number];
/** Staff entries on the timeline besides status changes. */
export const requestNoteActions = ['note', 'exception'] as const;
export type RequestNoteAction = (typeof requestNoteActions)[number];

export interface ServiceRequest {
  id: number;
  number: string;
  channel: RequestChannel;
  ownerId: number | null;
  contactName: string | null;
  unit: { id: number; number: string } | null;
  buildingId: string;
  location: string | null;
  category: RequestCategory;
  urgency: RequestUrgency;
  description: string;
  status: RequestStatus;
  workOrder: { id: number; number: string } | null;
  createdBy: string;
  createdAt: string;
  classifiedAt: string | null;
  dispatchedAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  updatedAt: string;
}

export interface RequestEvent {
  id: number;
  at: string;
  userId: number | null;
  actor: string;
  action: string;
  fromStatus: string | null;
  toStatus: string | null;
  note: string | null;
  photos: string[];
  location: string | null;
}

export interface RequestSurvey {
  score: number;
  comment: string | null;
  at: string;
}

export interface RequestDetail {
  request: ServiceRequest;
  events: RequestEvent[];
  survey: RequestSurvey | null;
}

export interface NewServiceRequest {
  channel?: 'phone' | 'api' | 'alarm';
  unitId?: number;
  buildingId?: string;
  ownerId?: number;
  contactName?: string;
  location?: string;
  category: RequestCategory;
  urgency?: RequestUrgency;
  description: string;
}

export interface SatisfactionGroup {
  key: string;
  name?: string;
  count: number;
  average: number;
}

export interface SatisfactionReport {
  count: number;
  average: number;
  byCategory: SatisfactionGroup[];
  byBuilding: SatisfactionGroup[];
  byStaff: SatisfactionGroup[];
  byMonth: SatisfactionGroup[];
}

export async function listServiceRequests(query: { status?: readonly RequestStatus[]; building?: string; limit?: number }, signal?: AbortSignal): Promise<ServiceRequest[]> {
  const status = query.status?.length ? query.status.join(',') : undefined;
  return (await apiGet<{ requests: ServiceRequest[] }>('/api/service-requests', { query: { status, building: query.building, limit: query.limit }, signal })).requests;
}

export function fetchServiceRequest(id: number, signal?: AbortSignal): Promise<RequestDetail> {
  return apiGet<RequestDetail>(`/api/service-requests/${id}`, { signal });
}

export async function createServiceRequest(input: NewServiceRequest): Promise<ServiceRequest> {
  return (await apiPost<{ request: ServiceRequest }>('/api/service-requests', input)).request;
}

export async function classifyServiceRequest(id: number, input: { category?: RequestCategory; urgency?: RequestUrgency; note?: string }): Promise<ServiceRequest> {
  return (await apiPost<{ request: ServiceRequest }>(`/api/service-requests/${id}/classify`, input)).request;
}

export async function rejectServiceRequest(id: number, reason: string): Promise<ServiceRequest> {
  return (await apiPost<{ request: ServiceRequest }>(`/api/service-requests/${id}/reject`, { reason })).request;
}

export async function addRequestEvent(id: number, input: { action: RequestNoteAction; note: string; photos?: string[]; location?: string }): Promise<RequestEvent[]> {
  return (await apiPost<{ events: RequestEvent[] }>(`/api/service-requests/${id}/events`, input)).events;
}

export async function rateServiceRequest(id: number, input: { score: number; comment?: string }): Promise<RequestSurvey> {
  return (await apiPost<{ survey: RequestSurvey }>(`/api/service-requests/${id}/survey`, input)).survey;
}

export function fetchSatisfaction(query: { from?: string; to?: string; building?: string }, signal?: AbortSignal): Promise<SatisfactionReport> {
  return apiGet<SatisfactionReport>('/api/service/satisfaction', { query, signal });
}

// --- improvement plans (hub/src/service/quality.routes.ts)

export const planStatuses = ['open', 'in_progress', 'done'] as const;
export type PlanStatus = (typeof planStatuses)[number];
export const findingTypes = ['category', 'building', 'staff'] as const;
export type FindingType = (typeof findingTypes)[number];

export interface ImprovementPlan {
  id: number;
  title: string;
  /** The low-scoring finding the plan answers, with its satisfaction when the plan was made. */
  finding: { type: FindingType; key: string; period: string | null; count: number | null; average: number | null };
  buildingId: string | null;
  owner: { userId: number; name: string };
  actions: string[];
  dueDate: string;
  status: PlanStatus;
  overdue: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  doneAt: string | null;
}

export async function listImprovementPlans(query: { status?: readonly PlanStatus[] } = {}, signal?: AbortSignal): Promise<ImprovementPlan[]> {
  const status = query.status?.length ? query.status.join(',') : undefined;
  return (await apiGet<{ plans: ImprovementPlan[] }>('/api/service/improvement-plans', { query: { status }, signal })).plans;
}
