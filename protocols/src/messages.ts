import { z } from 'zod';
import { ID_PATTERN, PROTOCOL_VERSION, type TopicKind } from './topics.js';

/**
 * One zod schema per message. TypeScript types are inferred from them, so the
 * schema is the single source of truth for publisher and receiver alike.
 */

const id = z.string().regex(ID_PATTERN, 'an id of letters, digits, "_", "." or "-" (max 64), starting with a letter or digit');
/** Milliseconds since the Unix epoch (UTC). */
const epochMs = z.number().int().min(0).max(8_640_000_000_000_000);
const version = z.literal(PROTOCOL_VERSION);
/** A message id unique per agent, used by the hub to drop MQTT redeliveries. */
const msgId = z.string().min(1).max(64);
/** Per-agent sequence number: +1 for every queued message, persisted across restarts. */
const seq = z.number().int().min(0);

// ---------------------------------------------------------------- agent state
export const agentStateSchema = z.strictObject({
  v: version,
  state: z.enum(['online', 'offline']),
  ts: epochMs,
  /** Identifies one MQTT connection of the agent; the Last Will carries the same value,
   *  so a late "offline" from an old connection cannot mark a newer one offline. */
  session: z.string().min(1).max(64),
  agentVersion: z.string().max(64).optional(),
  building: z.string().max(128).optional(),
  /** Sequence number the next data message will carry (birth only). */
  nextSeq: seq.optional(),
});
export type AgentState = z.infer<typeof agentStateSchema>;

// ---------------------------------------------------------------- device birth
export const metricTypes = ['number', 'boolean', 'string'] as const;

export const metricDefinitionSchema = z.strictObject({
  name: id,
  type: z.enum(metricTypes),
  /** UCUM-style unit: "Cel", "kPa", "kWh", "m3", "%", "A", "Hz", "h"... */
  unit: z.string().max(32).optional(),
  description: z.string().max(256).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  /** A counter that only grows (meters, run hours): consumption is a difference. */
  cumulative: z.boolean().optional(),
});
export type MetricDefinition = z.infer<typeof metricDefinitionSchema>;

export const deviceBirthSchema = z.strictObject({
  v: version,
  msgId,
  seq,
  ts: epochMs,
  device: z.strictObject({
    id,
    /** Dotted kind, e.g. "pump", "meter.water", "sensor.temperature", "camera", "door". */
    type: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, 'a dotted lower-case type such as "meter.water"').max(64),
    name: z.string().min(1).max(128),
    model: z.string().max(128).optional(),
    manufacturer: z.string().max(128).optional(),
    serial: z.string().max(128).optional(),
    building: z.string().max(128).optional(),
    floor: z.string().max(32).optional(),
    zone: z.string().max(128).optional(),
    location: z.string().max(256).optional(),
  }),
  metrics: z.array(metricDefinitionSchema).max(256),
  /** Commands the device accepts, e.g. "setpoint", "door.unlock", "camera.snapshot". */
  capabilities: z.array(z.string().min(1).max(64)).max(64).default([]),
  /** The device reports at least this often; silence beyond 3× means offline. */
  heartbeatSec: z.number().int().min(1).max(86_400).optional(),
});
export type DeviceBirth = z.infer<typeof deviceBirthSchema>;
export type DeviceBirthInput = z.input<typeof deviceBirthSchema>;

// ---------------------------------------------------------------- telemetry
export const pointSchema = z.strictObject({
  device: id,
  metric: id,
  ts: epochMs,
  value: z.union([z.number().refine(Number.isFinite, 'a finite number'), z.boolean(), z.string().max(1024)]),
  /** Absent means good. */
  quality: z.enum(['good', 'estimated', 'bad']).optional(),
});
export type Point = z.infer<typeof pointSchema>;

export const MAX_POINTS_PER_BATCH = 10_000;

export const telemetryBatchSchema = z.strictObject({
  v: version,
  msgId,
  seq,
  ts: epochMs,
  /** True when replayed from the store-and-forward queue after an outage:
   *  stored in history, but must not overwrite live/latest state. */
  historical: z.boolean().default(false),
  points: z.array(pointSchema).min(1).max(MAX_POINTS_PER_BATCH),
});
export type TelemetryBatch = z.infer<typeof telemetryBatchSchema>;
export type TelemetryBatchInput = z.input<typeof telemetryBatchSchema>;

// ---------------------------------------------------------------- events
export const eventKinds = [
  'door.granted',
  'door.denied',
  'door.opened',
  'door.closed',
  'door.forced',
  'door.heldOpen',
  'door.locked',
  'door.unlocked',
  'door.tamper',
  'camera.motionStart',
  'camera.motionStop',
  'camera.tamper',
  'camera.frozen',
  'camera.offline',
  'camera.online',
  'equipment.fault',
  'equipment.faultCleared',
  'equipment.started',
  'equipment.stopped',
  'sensor.alarm',
  'sensor.alarmCleared',
] as const;
export type EventKind = (typeof eventKinds)[number];

export const eventSchema = z.strictObject({
  v: version,
  msgId,
  seq,
  ts: epochMs,
  historical: z.boolean().default(false),
  device: id,
  kind: z.enum(eventKinds),
  /** Free detail: card number (masked), door id, motion zone, fault code... */
  data: z.record(z.string(), z.unknown()).optional(),
});
export type DeviceEvent = z.infer<typeof eventSchema>;
export type DeviceEventInput = z.input<typeof eventSchema>;

// ---------------------------------------------------------------- commands
export const commandNames = [
  'rebirth',
  'setpoint',
  'door.unlock',
  'door.lock',
  'door.access',
  'camera.snapshot',
  'camera.ptz',
  'simulate.fault',
] as const;
export type CommandName = (typeof commandNames)[number];

export const commandSchema = z.strictObject({
  v: version,
  /** Correlation id: the acknowledgement carries it back. */
  id: z.uuid(),
  ts: epochMs,
  name: z.enum(commandNames),
  /** Absent: the command is for the agent itself (e.g. rebirth of all devices). */
  device: id.optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  /** An agent must not execute a command it receives after this time. */
  expiresAt: epochMs.optional(),
  /** User id or "system"; for the device's own audit trail. */
  issuedBy: z.string().max(128).optional(),
});
export type Command = z.infer<typeof commandSchema>;

export const commandResults = ['ok', 'error', 'rejected', 'unsupported', 'expired'] as const;

export const commandAckSchema = z.strictObject({
  v: version,
  id: z.uuid(),
  ts: epochMs,
  result: z.enum(commandResults),
  message: z.string().max(1024).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type CommandAck = z.infer<typeof commandAckSchema>;

// ---------------------------------------------------------------- registry
export const schemas = {
  state: agentStateSchema,
  deviceBirth: deviceBirthSchema,
  telemetry: telemetryBatchSchema,
  event: eventSchema,
  command: commandSchema,
  commandAck: commandAckSchema,
} as const satisfies Record<TopicKind, z.ZodType>;

export type MessageOf<K extends TopicKind> = z.infer<(typeof schemas)[K]>;
export type MessageInputOf<K extends TopicKind> = z.input<(typeof schemas)[K]>;
