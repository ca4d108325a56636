export { TelemetryModule, type TelemetryModuleOptions } from './telemetry.module.js';
export { registerTelemetryRoutes } from './history.routes.js';
export { HistoryService, JSON_MAX_POINTS, CSV_MAX_ROWS, type History, type HistoryPoint, type HistoryRequest } from './history.service.js';
export { RollupMaintainer, ROLLUP_LOCK_KEY, defaultRollupOptions, hourGroups, type RollupRun } from './rollup.service.js';
export { rollUpMinutes, rollUpHours } from './rollup.repository.js';
export { TelemetryRetention, type RetentionRun } from './retention.service.js';
export { autoBucket, sourceFor, bucketNames, type BucketName, type HistorySource } from './history-buckets.js';
