export { CommandService, requireOk, type AckResult, type AckSource, type CommandIssuer, type CommandLink, type CommandOutcome, type SendCommandInput } from './command.service.js';
export { commandsOfDevice, type CommandRow } from './command.repository.js';
