export { ShiftLogService, shiftLogRoles, type ShiftLogInput, type ShiftLogQuery } from './shift-log.service.js';
export { registerShiftLogRoutes } from './shift-log.routes.js';
export { shiftLogKinds, type ShiftLogEntry, type ShiftLogKind } from './shift-log.repository.js';
export { HandoverService, handoverSupervisors, type HandoverOptions } from './handover.service.js';
export { registerHandoverRoutes } from './handover.routes.js';
export type { Handover, HandoverSnapshot } from './handover.repository.js';
