export { registerPmRoutes } from './pm.routes.js';
export { PmService, type PmServiceOptions } from './pm.service.js';
