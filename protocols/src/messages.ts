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
    /** A camera: ids of devices of the same agent its view covers (e.g. the doors it watches), for evidence. */
    covers: z.array(id).max(32).optional(),
  }),
  metrics: z
    .array(metricDefinitionSchema)
    .max(256)
    // Checked on the array, not the birth object, so deviceBirthSchema keeps .pick/.omit/.extend.
    .superRefine((metrics, ctx) => {
      const seen = new Set<string>();
      metrics.forEach((m, i) => {
        // Points are keyed by (device, metric, ts): two definitions of one name would be ambiguous.
        if (seen.has(m.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate metric name ${JSON.stringify(m.name)}` });
        seen.add(m.name);
        if (m.min !== undefined && m.max !== undefined && m.min > m.max) {
          ctx.addIssue({ code: 'custom', path: [i, 'max'], message: `max (${m.max}) is below min (${m.min})` });
        }
      });
    }),
  /** Commands the device accepts, e.g. "setpoint", "door.unlock", "camera.snapshot". */
  capabilities: z.array(z.string().min(1).max(64)).max(64).default([]),
  /** The device reports at least this often; silence beyond 3× means offline. */
  heartbeatSec: z.number().int().min(1).max(86_400).optional(),
});
export type DeviceBirth = z.infer<typeof deviceBirthSchema>;
export type DeviceBirthInput = z.input<typeof deviceBirthSchema>;

// ---------------------------------------------------------------- telemetry
/** A reading: a finite number, a boolean or a short string (JSON has no NaN/Infinity; `1e999` parses to Infinity). */
const pointValue = z.union([z.number().refine(Number.isFinite, 'a finite number'), z.boolean(), z.string().max(1024)]);

export const pointSchema = z.strictObject({
  device: id,
  metric: id,
  ts: epochMs,
  value: pointValue,
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
  'camera.clip',
  'simulate.fault',
] as const;
export type CommandName = (typeof commandNames)[number];

const reason = z.string().min(1).max(256);
const durationSec = z.number().int().min(1).max(86_400);
/**
 * The params each command takes (absent params read as `{}`). Kept apart from
 * commandSchema so that schema stays a plain object (zod 4 forbids .pick/.omit on
 * refined objects); commandWithParamsSchema joins the two and the codec uses it.
 */
export const commandParamsSchemas = {
  /** The agent re-publishes its state birth and every device birth (or only `device`'s). */
  rebirth: z.strictObject({}),
  /** Writes a set-point metric declared in the device birth. */
  setpoint: z.strictObject({ metric: id, value: pointValue }),
  /** Unlocks for durationSec then relocks; without durationSec it stays unlocked until door.lock. */
  'door.unlock': z.strictObject({ durationSec: durationSec.optional(), reason }),
  'door.lock': z.strictObject({ reason }),
  /** Momentary release for the door's own strike time, like a granted card. */
  'door.access': z.strictObject({ reason }),
  'camera.snapshot': z.strictObject({}),
  /** A short clip from now, where the camera allows it. */
  'camera.clip': z.strictObject({ seconds: z.number().int().min(1).max(30) }),
  /** Absolute move in ONVIF's generic (normalised) spaces: pan/tilt -1..1, zoom 0..1. */
  'camera.ptz': z.strictObject({ pan: z.number().min(-1).max(1), tilt: z.number().min(-1).max(1), zoom: z.number().min(0).max(1) }),
  /** Simulators only: inject a named fault, for durationSec or until fault "clear". */
  'simulate.fault': z.strictObject({ fault: id, durationSec: durationSec.optional() }),
} as const satisfies Record<CommandName, z.ZodType>;
export type CommandParams<N extends CommandName> = z.infer<(typeof commandParamsSchemas)[N]>;

/** Commands addressed to the agent as a whole; every other command needs `device`. */
export const agentCommandNames = ['rebirth'] as const satisfies readonly CommandName[];

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

/** commandSchema plus the per-command rules: `params` as commandParamsSchemas says, `device` where required. */
export const commandWithParamsSchema = commandSchema.superRefine((command, ctx) => {
  if (command.device === undefined && !(agentCommandNames as readonly string[]).includes(command.name)) {
    ctx.addIssue({ code: 'custom', path: ['device'], message: `required for a ${JSON.stringify(command.name)} command` });
  }
  const params = commandParamsSchemas[command.name].safeParse(command.params ?? {});
  if (!params.success) {
    for (const issue of params.error.issues) ctx.addIssue({ code: 'custom', path: ['params', ...issue.path], message: issue.message });
  }
});

/** An agent must not execute a command received after its expiresAt (it acks "expired" instead). */
export function isCommandExpired(command: Pick<Command, 'expiresAt'>, now: number = Date.now()): boolean {
  return command.expiresAt !== undefined && now > command.expiresAt;
}

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
