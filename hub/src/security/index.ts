export { DoorCommandService, doorActions, type DoorAction, type DoorCommandInput } from './door-command.service.js';
export { EvidenceService, sniffMedia, type EvidenceOptions } from './evidence.service.js';
export { IncidentService, type IncidentJson } from './incident.service.js';
export { registerSecurityRoutes, type SecurityRouteDeps } from './security.routes.js';
export { defaultArming, ZoneScheduleService, securityAudience, type ZoneScheduleOptions, type ZoneScheduleView } from './zone-schedule.service.js';
