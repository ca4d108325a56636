export { WorkOrderService, type WorkOrderServiceOptions, type TransitionInput, type ManualWorkOrderInput } from './work-order.service.js';
export { registerWorkOrderRoutes } from './work-order.routes.js';
export { seedDemoStaff } from './demo-staff.seed.js';
export { chooseAssignee, rankCandidates, type DispatchCandidate, type DispatchRequest } from './dispatcher.js';
export * from './work-order.types.js';
