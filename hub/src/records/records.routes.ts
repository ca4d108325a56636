import type { FastifyInstance } from 'fastify';
import { registerOwnerRoutes } from './owners.routes.js';
import { registerImportRoutes } from './records-import.routes.js';
import type { RecordsModule } from './records.module.js';
import { registerStaffRecordRoutes } from './staff-records.routes.js';
import { registerUnitRoutes } from './units.routes.js';

/** Every route of the records module. */
export function registerRecordsRoutes(app: FastifyInstance, records: RecordsModule): void {
  registerUnitRoutes(app, records);
  registerOwnerRoutes(app, records);
  registerStaffRecordRoutes(app, records);
  registerImportRoutes(app, records);
}
