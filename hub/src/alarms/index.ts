export { AlarmEngine, type AlarmEngineOptions, type ZoneScheduleSource } from './alarm-engine.js';
export { EvaluationOwnership, ownerAmong, alarmInputTopic, type AlarmInput, type EvaluationOwnershipOptions, type OwnershipStats } from './evaluation-ownership.js';
export { AlarmService, alarmAudience, SYSTEM, type Actor, type WorkOrderOpener, type IncidentLinker, type IncidentEpisode, type EpisodeWorkOrder } from './alarm.service.js';
export { registerAlarmRoutes } from './alarm.routes.js';
export { armingScheduleSchema, ruleInputSchema, ruleDefinitionSchema, type AlarmRule, type ArmingSchedule, type Priority, type RuleInput } from './rule-schema.js';
export { isArmed } from './evaluation.js';
export { defaultRules, seedDefaultRules } from './default-rules.js';
export { dispositionCodes, type DispositionCode } from './lifecycle.js';
