import { searchUnits, type Unit } from '../api/hub-api.ts';
import { createServiceRequest, fetchServiceRequest, listServiceRequests, rateServiceRequest, type RequestCategory, type RequestDetail, type RequestSurvey, type RequestUrgency, type ServiceRequest } from '../service/service-api.ts';

/**
 * What an owner's portal asks the hub. The hub scopes every answer to the signed-in
 * owner (their current units, the requests they made), so nothing here filters.
 */

/** Enough for any one household; the hub pages above it. */
const MY_LIMIT = 200;

export async function listMyUnits(signal?: AbortSignal): Promise<Unit[]> {
  return (await searchUnits({ limit: MY_LIMIT }, signal)).units;
}

export function listMyRequests(signal?: AbortSignal): Promise<ServiceRequest[]> {
  return listServiceRequests({ limit: MY_LIMIT }, signal);
}

export function fetchMyRequest(id: number, signal?: AbortSignal): Promise<RequestDetail> {
  return fetchServiceRequest(id, signal);
}

/** A request through the portal: the hub sets the channel and the requester. */
export function askForService(input: { unitId: number; category: RequestCategory; urgency?: RequestUrgency; location?: string; description: string }): Promise<ServiceRequest> {
  return createServiceRequest(input);
}

export function rateMyRequest(id: number, input: { score: number; comment?: string }): Promise<RequestSurvey> {
  return rateServiceRequest(id, input);
}
