export { IngestService, type IngestStats, type MessageLink } from './ingest.service.js';
export { registerIngestRoutes } from './ingest.routes.js';
