import { readFileSync } from 'node:fs';
import { fieldIssues, ValidationError } from '@warden/protocols';
import { faultApplies } from '../faults/fault-catalog.js';
import type { ScenarioStep } from '../simulation/simulated-device.schema.js';
import { estateSchema, scenarioFileSchema, scriptedOnvifMessage, type Estate } from './estate.schema.js';

/** A file that does not describe a valid estate or scenario; the message names the file and each bad field. */
export class EstateError extends ValidationError {
  override name = 'EstateError';
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EstateError(path, [{ path: '', message: `cannot read the file: ${(err as Error).message}` }]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EstateError(path, [{ path: '', message: `not valid JSON: ${(err as Error).message}` }]);
  }
}

/** Validates an estate given as a value; `source` names it in errors. */
export function parseEstate(value: unknown, source = 'estate'): Estate {
  const result = estateSchema.safeParse(value);
  if (!result.success) throw new EstateError(source, fieldIssues(result.error));
  return result.data;
}

/** Reads and validates an estate file. Throws EstateError naming the file and the offending fields. */
export function loadEstate(path: string): Estate {
  return parseEstate(readJson(path), path);
}

/**
 * Reads a scenario kept in its own file and checks it against an estate
 * (devices exist, faults apply to them).
 */
export function loadScenario(path: string, estate: Estate): ScenarioStep[] {
  const result = scenarioFileSchema.safeParse(readJson(path));
  if (!result.success) throw new EstateError(path, fieldIssues(result.error));
  const types = new Map(estate.buildings.flatMap((b) => b.devices.map((d) => [d.id, d.type] as const)));
  const issues: { path: string; message: string }[] = [];
  result.data.forEach((step, i) => {
    const type = types.get(step.device);
    if (!type) issues.push({ path: `${i}.device`, message: `unknown device "${step.device}" in estate ${estate.site.id}` });
    else if (type === 'camera' || type === 'door') issues.push({ path: `${i}.device`, message: scriptedOnvifMessage(step.device, type) });
    else if (!faultApplies(type, step.fault)) issues.push({ path: `${i}.fault`, message: `fault "${step.fault}" does not apply to ${step.device} (a ${type})` });
  });
  if (issues.length) throw new EstateError(path, issues);
  return result.data;
}
