export { ServiceRequestService, serviceDeskRoles } from './service-request.service.js';
export { registerServiceRequestRoutes } from './service-request.routes.js';
export * from './service-request.types.js';
export { AlarmRequestService } from './alarm-requests.js';
export { SurveyService } from './surveys.service.js';
export { QualityService, qualityScore } from './quality.service.js';
export { ImprovementPlanService } from './improvement-plans.service.js';
export { SatisfactionReportService } from './satisfaction-report.js';
export { registerQualityRoutes } from './quality.routes.js';
