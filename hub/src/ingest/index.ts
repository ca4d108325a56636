export { IngestService, type IngestStats, type MessageLink } from './ingest.service.js';
export { registerIngestRoutes } from './ingest.routes.js';
export type { PersistedTelemetry, PersistedHook } from './telemetry-writer.js';
