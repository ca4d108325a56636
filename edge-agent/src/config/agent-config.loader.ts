import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fieldIssues, ValidationError } from '@warden/protocols';
import { agentConfigSchema, type AgentConfig } from './agent-config.schema.js';

/** A config that cannot be used; the message names the file and every bad field. */
export class AgentConfigError extends ValidationError {
  override name = 'AgentConfigError';
}

/** Validates a config given as a value (e.g. from estateToAgentConfigs); `source` names it in errors. */
export function parseAgentConfig(value: unknown, source = 'agent config'): AgentConfig {
  const result = agentConfigSchema.safeParse(value);
  if (!result.success) throw new AgentConfigError(source, fieldIssues(result.error));
  return result.data;
}

/**
 * Reads and validates an agent config file. A relative `queue.dir` is taken
 * relative to the file, so a config folder can be moved as a whole.
 */
export function loadAgentConfig(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AgentConfigError(path, [{ path: '', message: `cannot read the file: ${(err as Error).message}` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AgentConfigError(path, [{ path: '', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const config = parseAgentConfig(json, path);
  if (!isAbsolute(config.queue.dir)) config.queue.dir = resolve(dirname(path), config.queue.dir);
  return config;
}
