import { ApiError, buildUrl, CLIENT_ERR_NETWORK } from '../api/client.ts';
import { fetchMe, type ImportKind, type ImportReport } from '../api/hub-api.ts';
import { readToken } from '../auth/session-store.ts';

/**
 * Sends a CSV file to the import. The one call whose body is not JSON, so it does its
 * own fetch (the shared client sends JSON only); a 422 (rows rejected, nothing
 * imported) is an answer here, not a failure: its details are the report to show.
 */
export async function importRecords(kind: ImportKind, file: Blob, dryRun: boolean): Promise<ImportReport> {
  const token = readToken();
  const headers: Record<string, string> = { Accept: 'application/json', 'Content-Type': 'text/csv' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(buildUrl(`/api/records/import/${kind}`, { dryRun: dryRun ? 'true' : undefined }), { method: 'POST', headers, body: file, credentials: 'same-origin' });
  } catch (cause) {
    throw new ApiError(0, CLIENT_ERR_NETWORK, cause instanceof Error ? cause.message : String(cause));
  }
  const body = (await response.json().catch(() => undefined)) as { error?: { code: string; message: string; details?: unknown } } | ImportReport | undefined;
  if (response.ok) return body as ImportReport;
  const error = body && 'error' in body ? body.error : undefined;
  if (response.status === 422 && error?.details) return error.details as ImportReport;
  // An ended session: a call through the shared client sends the app back to the login.
  if (response.status === 401) await fetchMe().catch(() => undefined);
  throw new ApiError(response.status, error?.code ?? `WARDEN_ERR_HTTP_${response.status}`, error?.message ?? `HTTP ${response.status}`, error?.details, body);
}
