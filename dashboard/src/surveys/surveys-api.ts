import { apiGet, apiPost } from '../api/client.ts';

/**
 * Periodic satisfaction surveys and staff evaluations, as the hub answers them
 * (hub/src/service/quality.routes.ts).
 */

/** What a campaign may ask about, in the hub's order. */
export const surveyDimensions = ['overall', 'cleanliness', 'security', 'maintenance', 'staff_attitude'] as const;
export type SurveyDimension = (typeof surveyDimensions)[number];
export type CampaignStatus = 'scheduled' | 'open' | 'closed';

export interface Campaign {
  id: number;
  title: string;
  /** 'YYYY-MM' or 'YYYY-Qn'. */
  period: string;
  /** null: the whole estate. */
  buildingId: string | null;
  dimensions: SurveyDimension[];
  opensAt: string;
  closesAt: string;
  status: CampaignStatus;
  invited: number;
  answered: number;
  createdBy: string;
  createdAt: string;
}

export interface MyCampaign extends Campaign {
  answeredAt: string | null;
}

export interface DimensionScore {
  dimension: SurveyDimension;
  count: number;
  average: number | null;
}

export interface CampaignResults {
  campaign: Campaign;
  invited: number;
  answered: number;
  responseRate: number | null;
  byDimension: DimensionScore[];
  byBuilding: { buildingId: string; invited: number; answered: number; responseRate: number | null; byDimension: DimensionScore[] }[];
  comments: { buildingId: string; comment: string; answeredAt: string }[];
}

export interface NewCampaign {
  title: string;
  period: string;
  buildingId?: string;
  dimensions?: SurveyDimension[];
  /** ISO date-time with offset; the hub defaults to 14 days from now. */
  closesAt?: string;
}

export interface StaffReview {
  id: number;
  staffId: number;
  period: string;
  rating: number | null;
  comment: string;
  reviewer: string;
  at: string;
}

export interface StaffEvaluation {
  staffId: number;
  name: string;
  position: string | null;
  trades: string[];
  surveys: { count: number; average: number | null };
  workOrders: { resolved: number; slaKept: number; slaKeptRatio: number | null };
  resolutions: { count: number; reopened: number; reopenRate: number | null };
  /** 0–100 over the measured parts (quality.service.ts). */
  score: number | null;
  reviews: StaffReview[];
}

export async function listCampaigns(signal?: AbortSignal): Promise<Campaign[]> {
  return (await apiGet<{ campaigns: Campaign[] }>('/api/service/campaigns', { signal })).campaigns;
}

export async function createCampaign(input: NewCampaign): Promise<Campaign> {
  return (await apiPost<{ campaign: Campaign }>('/api/service/campaigns', input)).campaign;
}

export function fetchCampaignResults(id: number, signal?: AbortSignal): Promise<CampaignResults> {
  return apiGet<CampaignResults>(`/api/service/campaigns/${id}/results`, { signal });
}

export async function listMyCampaigns(signal?: AbortSignal): Promise<MyCampaign[]> {
  return (await apiGet<{ campaigns: MyCampaign[] }>('/api/service/my-campaigns', { signal })).campaigns;
}

export async function answerCampaign(id: number, input: { scores: Partial<Record<SurveyDimension, number>>; comment?: string }): Promise<string> {
  return (await apiPost<{ answeredAt: string }>(`/api/service/campaigns/${id}/answer`, input)).answeredAt;
}

export async function fetchStaffEvaluations(period: string, signal?: AbortSignal): Promise<StaffEvaluation[]> {
  return (await apiGet<{ staff: StaffEvaluation[] }>('/api/service/staff-evaluations', { query: { period }, signal })).staff;
}

export async function addStaffReview(staffId: number, input: { period: string; rating?: number; comment: string }): Promise<StaffReview> {
  return (await apiPost<{ review: StaffReview }>(`/api/service/staff-evaluations/${staffId}/reviews`, input)).review;
}
