import { z } from 'zod';
import type { CommandName, EventKind, MetricDefinition } from '@warden/protocols';

export type MetricValue = number | boolean | string;

/** A metric's value changed between two readings. */
export interface Transition {
  metric: string;
  previous: MetricValue;
  value: MetricValue;
}

/** An event a transition stands for (the agent adds device, ts, seq). */
export interface DetectedEvent {
  kind: EventKind;
  data?: Record<string, unknown>;
}

/** Turns a transition of `metric` into an event, or nothing. */
export interface EventRule {
  metric: string;
  detect(transition: Transition): DetectedEvent | undefined;
}

/** A command a device accepts, with the schema its `params` must pass. */
export interface CommandSpec {
  name: CommandName;
  params: z.ZodType<Record<string, unknown>>;
  description?: string;
  /** How long the device may take, when longer than the agent's default (a clip records for its length). */
  timeoutMs?: (params: Record<string, unknown>) => number;
}

/**
 * A small capability — a metric with its unit, a command, the events a
 * metric's changes mean. Devices are declared as a list of blocks, in the
 * manner of zigbee-herdsman-converters' modernExtend: `pump` is
 * `running() + temperature() + pressure() + current() + counter() + setpoint()`.
 */
export interface CapabilityBlock {
  metrics?: MetricDefinition[];
  commands?: CommandSpec[];
  events?: EventRule[];
  /** Metrics writable by the `setpoint` command, with the range it may write. */
  setpoints?: { metric: string; min: number; max: number }[];
}

/** Everything the agent knows about a kind of device, whatever the transport. */
export interface DeviceDefinition {
  type: string;
  metrics: MetricDefinition[];
  commands: CommandSpec[];
  events: EventRule[];
}

/** Assembles a device definition from blocks; a metric or command declared twice is a bug. */
export function defineDevice(type: string, ...blocks: CapabilityBlock[]): DeviceDefinition {
  const metrics = blocks.flatMap((b) => b.metrics ?? []);
  const commands = blocks.flatMap((b) => b.commands ?? []);
  const setpoints = blocks.flatMap((b) => b.setpoints ?? []);
  if (setpoints.length > 0) commands.unshift(setpointCommand(setpoints));
  const dupe = (names: string[]) => names.find((n, i) => names.indexOf(n) !== i);
  const dupeMetric = dupe(metrics.map((m) => m.name));
  if (dupeMetric) throw new Error(`device type ${type} declares metric ${dupeMetric} twice`);
  const dupeCommand = dupe(commands.map((c) => c.name));
  if (dupeCommand) throw new Error(`device type ${type} declares command ${dupeCommand} twice`);
  for (const rule of blocks.flatMap((b) => b.events ?? [])) {
    if (!metrics.some((m) => m.name === rule.metric)) throw new Error(`device type ${type}: event rule on undeclared metric ${rule.metric}`);
  }
  return { type, metrics, commands, events: blocks.flatMap((b) => b.events ?? []) };
}

/**
 * One `setpoint` command for all of a device's set-point metrics: params
 * `{ metric, value }` (PROTOCOL.md §10), the value within that metric's range.
 */
function setpointCommand(setpoints: { metric: string; min: number; max: number }[]): CommandSpec {
  const names = setpoints.map((s) => s.metric) as [string, ...string[]];
  return {
    name: 'setpoint',
    description: `Writes ${names.join(', ')}`,
    params: z.strictObject({ metric: z.enum(names), value: z.number() }).superRefine((p, ctx) => {
      const range = setpoints.find((s) => s.metric === p.metric)!;
      if (p.value < range.min || p.value > range.max) {
        ctx.addIssue({ code: 'custom', path: ['value'], message: `${p.metric} must be within ${range.min}..${range.max}` });
      }
    }),
  };
}
