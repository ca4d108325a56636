export { AlarmEngine, type AlarmEngineOptions } from './alarm-engine.js';
export { AlarmService, alarmAudience, SYSTEM, type Actor, type WorkOrderOpener } from './alarm.service.js';
export { registerAlarmRoutes } from './alarm.routes.js';
export { ruleInputSchema, ruleDefinitionSchema, type AlarmRule, type RuleInput } from './rule-schema.js';
export { defaultRules, seedDefaultRules } from './default-rules.js';
