import { eventKinds } from '@warden/protocols';
import { z } from 'zod';

/**
 * Alarm rules are data. A rule watches devices in a scope and raises its alarm
 * (one per rule and device) while its condition holds, after ISA-18.2's on-delay;
 * it returns to normal after the off-delay once the condition no longer holds.
 * Conditions are leaves (threshold, rate, state, stale, offline, event, heldOpen,
 * count, armedEvent) or combinations (all / any) of up to 8 of them.
 */

const metric = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a metric name as the device birth declares it');
const eventKind = z.enum(eventKinds);
const seconds = (max: number) => z.number().int().min(1).max(max);

/** value op limit raises; it returns only once past limit by the deadband (no chattering around the limit). */
const threshold = z.strictObject({
  kind: z.literal('threshold'),
  metric,
  op: z.enum(['>', '>=', '<', '<=']),
  value: z.number().refine(Number.isFinite, 'a finite number'),
  deadband: z.number().min(0).default(0),
});

/** Rate of change over a sliding window, in metric units per minute. */
const rate = z
  .strictObject({
    kind: z.literal('rate'),
    metric,
    windowSec: seconds(3600).default(60),
    risePerMin: z.number().positive().optional(),
    fallPerMin: z.number().positive().optional(),
  })
  .refine((c) => c.risePerMin !== undefined || c.fallPerMin !== undefined, { message: 'give risePerMin, fallPerMin or both', path: ['risePerMin'] });

/** A discrete value: a lift status "fault", a running flag false. */
const state = z.strictObject({
  kind: z.literal('state'),
  metric,
  equals: z.union([z.string(), z.boolean(), z.number()]).optional(),
  notEquals: z.union([z.string(), z.boolean(), z.number()]).optional(),
});

/** No reading (of `metric`, or of any metric) for maxAgeSec. */
const stale = z.strictObject({ kind: z.literal('stale'), metric: metric.optional(), maxAgeSec: seconds(7 * 86_400) });

/** The device, or its agent, is offline. */
const offline = z.strictObject({ kind: z.literal('offline') });

/** Raised by an event (door forced, tamper, equipment fault), cleared by another or after autoClearSec. */
const event = z.strictObject({
  kind: z.literal('event'),
  raise: z.array(eventKind).min(1),
  clear: z.array(eventKind).default([]),
  /** Only events whose data has these values (e.g. { "type": "smoke" }). */
  match: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  autoClearSec: seconds(86_400).optional(),
});

/** A door open longer than `seconds` (from door.opened to door.closed; a controller's door.heldOpen raises at once). */
const heldOpen = z.strictObject({ kind: z.literal('heldOpen'), seconds: seconds(3600) });

/** At least `count` events of a kind at one device within `withinSec` (e.g. 5 denied swipes in 2 min). */
const count = z.strictObject({ kind: z.literal('count'), event: eventKind, count: z.number().int().min(2).max(1000), withinSec: seconds(86_400) });

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time HH:MM');
/** When a zone is armed: weekly windows in the site's local time (from > to crosses midnight). */
export const armingScheduleSchema = z.strictObject({
  utcOffsetMin: z.number().int().min(-720).max(840).default(480),
  windows: z.array(z.strictObject({ days: z.array(z.number().int().min(0).max(6)).min(1).default([0, 1, 2, 3, 4, 5, 6]), from: hhmm, to: hhmm })).min(1),
});
export type ArmingSchedule = z.infer<typeof armingScheduleSchema>;

/**
 * An event (motion) that only counts while the zone is armed: by the rule's own
 * `schedule`, or, with `zoneSchedule: true`, by the schedule stored for the device's
 * zone (PUT /api/zones/:building/:zone/schedule), so one rule serves every zone and
 * the control room changes arming times without editing rules. A zone with no stored
 * schedule follows the estate's default (ZONE_DEFAULT_ARMING), if any, else is never armed.
 */
const armedEvent = z
  .strictObject({
    kind: z.literal('armedEvent'),
    raise: z.array(eventKind).min(1),
    clear: z.array(eventKind).default([]),
    schedule: armingScheduleSchema.optional(),
    zoneSchedule: z.literal(true).optional(),
    autoClearSec: seconds(86_400).default(60),
  })
  .refine((c) => (c.schedule === undefined) === (c.zoneSchedule === true), { message: 'give either a schedule or zoneSchedule: true', path: ['schedule'] });

export const leafConditionSchema = z.discriminatedUnion('kind', [threshold, rate, state, stale, offline, event, heldOpen, count, armedEvent]);
export type LeafCondition = z.infer<typeof leafConditionSchema>;

const combination = z.strictObject({ kind: z.enum(['all', 'any']), conditions: z.array(leafConditionSchema).min(2).max(8) });
export const conditionSchema = z.union([leafConditionSchema, combination]);
export type Condition = z.infer<typeof conditionSchema>;

export const ruleDefinitionSchema = z.strictObject({
  condition: conditionSchema,
  /** The condition must hold this long before the alarm raises (ISA-18.2 on-delay). */
  onDelaySec: z.number().int().min(0).max(86_400).default(0),
  /** ...and must have stopped holding this long before it returns (off-delay). */
  offDelaySec: z.number().int().min(0).max(86_400).default(0),
  /** Re-annunciate a standing unacknowledged alarm after this long. */
  realarmSec: z.number().int().min(10).max(86_400).optional(),
  /** Escalate to a supervisor if not acknowledged in this long (critical alarms default to 300 s). */
  escalateAfterSec: z.number().int().min(10).max(86_400).optional(),
  /** Text for people; {device}, {metric}, {value}, {unit}, {rule} are filled in. */
  message: z.string().min(1).max(300).optional(),
  workOrder: z
    .strictObject({
      create: z.boolean().default(true),
      trade: z.string().min(1).max(40).optional(),
      /** A recurrence within this window reopens the previous work order instead of opening a new one. */
      reopenWithinMinutes: z.number().int().min(0).max(43_200).default(1440),
    })
    .default({ create: true, reopenWithinMinutes: 1440 }),
});
export type RuleDefinition = z.infer<typeof ruleDefinitionSchema>;

export const priorities = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof priorities)[number];
export const categories = ['maintenance', 'security'] as const;
export type Category = (typeof categories)[number];

export const ruleScopeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('device'), id: z.coerce.string().min(1) }),
  z.strictObject({ type: z.literal('deviceType'), id: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal('building'), id: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal('estate') }),
]);
export type RuleScope = z.infer<typeof ruleScopeSchema>;

export const ruleInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(120),
  scope: ruleScopeSchema,
  priority: z.enum(priorities),
  category: z.enum(categories),
  enabled: z.boolean().default(true),
  definition: ruleDefinitionSchema,
});
export type RuleInput = z.infer<typeof ruleInputSchema>;

/** A rule as the engine holds it. */
export interface AlarmRule extends RuleInput {
  id: number;
  version: number;
}

/** The leaves of a condition, in order: a leaf's index is its slot in the evaluation state. */
export function leavesOf(condition: Condition): LeafCondition[] {
  return 'conditions' in condition ? condition.conditions : [condition];
}
