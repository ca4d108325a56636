export { ServiceRequestService, serviceDeskRoles } from './service-request.service.js';
export { registerServiceRequestRoutes } from './service-request.routes.js';
export * from './service-request.types.js';
