import { z } from 'zod';
import { ID_PATTERN, MAX_POINTS_PER_BATCH } from '@warden/protocols';
import { simulatedAdapterSchema } from '@warden/simulators';
import { deviceTypes, equipmentTypes } from '../devices/device-catalog.js';

/**
 * One edge agent = one building. The config is a JSON file validated by this
 * schema at start-up; every field is documented in edge-agent/README.md.
 */

const id = z.string().regex(ID_PATTERN, 'an id of letters, digits, "_", "." or "-" (max 64), starting with a letter or digit');

export const mqttConfigSchema = z.strictObject({
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker. */
  url: z.url({ protocol: /^(mqtts?|wss?|tcp|tls)$/, error: 'a broker URL such as mqtt://127.0.0.1:1883' }),
  /** The hub's broker expects the agent id (the default when a password is set). */
  username: z.string().min(1).max(256).optional(),
  password: z.string().max(1024).optional(),
  /**
   * Default: the agent id, as the hub's broker requires for an agent's
   * long-lived connection (PROTOCOL.md §3); a reconnect then takes over a
   * half-open old connection at once.
   */
  clientId: z.string().min(1).max(128).optional(),
  /**
   * MQTT 5 by default. Brokers that only speak 3.1.1 (aedes, the hub's embedded
   * broker) refuse it; the agent then falls back to 4 by itself.
   */
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
  /** 30 s: the broker notices a dead agent within 45 s (PROTOCOL.md §3). */
  keepaliveSec: z.number().int().min(5).max(3600).default(30),
  connectTimeoutMs: z.number().int().min(500).max(120_000).default(10_000),
  reconnectMinMs: z.number().int().min(10).max(600_000).default(1000),
  reconnectMaxMs: z.number().int().min(10).max(600_000).default(30_000),
});

export const queueConfigSchema = z.strictObject({
  /** Folder of the store-and-forward queue; relative paths are resolved against the config file's folder. */
  dir: z.string().min(1),
  maxBytes: z.number().int().min(64 * 1024).default(256 * 1024 * 1024),
  segmentBytes: z.number().int().min(4096).optional(),
  fsyncIntervalMs: z.number().int().min(0).max(60_000).default(200),
  /** Unacknowledged publishes allowed at once (further capped by the broker's Receive Maximum). */
  maxInFlight: z.number().int().min(1).max(65_535).default(100),
  /**
   * A message queued before the current connection (its link died unnoticed,
   * e.g. half-open TCP) and older than this when sent goes out historical;
   * one queued while disconnected always does.
   */
  historicalAfterMs: z.number().int().min(0).default(30_000),
});

export const batchingConfigSchema = z.strictObject({
  maxPoints: z.number().int().min(1).max(MAX_POINTS_PER_BATCH).default(500),
  maxDelayMs: z.number().int().min(0).max(60_000).default(200),
});

/** Adapters by transport. Only `simulated` exists today; Modbus/BACnet adapters add members here. */
export const adapterConfigSchema = z.discriminatedUnion('kind', [simulatedAdapterSchema]);

/** Name and place of a device, copied into its birth. */
const nameplate = {
  id,
  name: z.string().min(1).max(128),
  floor: z.string().max(32).optional(),
  zone: z.string().max(128).optional(),
  location: z.string().max(256).optional(),
  model: z.string().max(128).optional(),
  manufacturer: z.string().max(128).optional(),
  serial: z.string().max(128).optional(),
};

/** Equipment read by polling an adapter (pumps, meters, sensors, lifts). */
export const equipmentDeviceConfigSchema = z
  .strictObject({
    ...nameplate,
    /** A type of the device catalog (devices/kinds): it declares metrics, capabilities and events. */
    type: z.enum(equipmentTypes, { error: `a device type of the catalog: ${deviceTypes.join(', ')}` }),
    pollMs: z.number().int().min(10).max(86_400_000).default(5000),
    adapter: adapterConfigSchema,
  })
  .refine((d) => d.adapter.kind !== 'simulated' || d.adapter.model === d.type, {
    message: 'a simulated device must use the model of its type',
    path: ['adapter', 'model'],
  });

/** How the agent reaches an ONVIF device. The password is never logged. */
const onvifConnection = {
  /** The device service URL (ONVIF Core §5.1.1), e.g. http://192.0.2.10/onvif/device_service. */
  xaddr: z.url({ protocol: /^https?$/, error: 'the ONVIF device service URL, e.g. http://192.0.2.10/onvif/device_service' }),
  user: z.string().min(1).max(128),
  password: z.string().max(256),
};

/** An ONVIF IP camera: health watched every healthIntervalMs, events by PullPoint, evidence on command. */
export const cameraDeviceConfigSchema = z.strictObject({
  ...nameplate,
  type: z.literal('camera'),
  ...onvifConnection,
  /** Devices of this agent the camera's view covers (the doors it watches): the hub takes their alarms' evidence here. */
  covers: z.array(id).max(32).optional(),
  /** ONVIF, RTSP and snapshot checks; also the telemetry heartbeat. */
  healthIntervalMs: z.number().int().min(100).max(3_600_000).default(10_000),
  /**
   * The picture is frozen when this many consecutive snapshots are identical.
   * (N − 1) × healthIntervalMs must exceed how long a live camera may show
   * one identical JPEG (a static scene still differs by sensor noise; a
   * simulator's pre-encoded loop changes once a second).
   */
  frozenAfterChecks: z.number().int().min(2).max(100).default(3),
  /** The system ffmpeg, for clips and for snapshots when the camera has no snapshot URI. */
  ffmpegPath: z.string().min(1).default('ffmpeg'),
});

/** One door of an ONVIF Profile C access controller (several doors of one panel share its connection). */
export const doorDeviceConfigSchema = z.strictObject({
  ...nameplate,
  type: z.literal('door'),
  ...onvifConnection,
  /** The controller's token of this door (GetDoorInfoList), e.g. "Door_1". */
  doorToken: z.string().min(1).max(64),
  /** GetDoorState interval (events arrive at once by PullPoint; this is the heartbeat and the safety net). */
  stateIntervalMs: z.number().int().min(100).max(3_600_000).default(30_000),
});

export const deviceConfigSchema = z.discriminatedUnion('type', [cameraDeviceConfigSchema, doorDeviceConfigSchema, equipmentDeviceConfigSchema]);

/** How often the agent reads a device, which is also its heartbeat (PROTOCOL.md §7). */
export function readIntervalMs(device: DeviceConfig): number {
  switch (device.type) {
    case 'camera':
      return device.healthIntervalMs;
    case 'door':
      return device.stateIntervalMs;
    default:
      return device.pollMs;
  }
}

export const agentConfigSchema = z
  .strictObject({
    site: id,
    agent: id,
    /** Human-readable building name for the agent state and every device birth; the hub knows the building by the agent. */
    building: z.string().min(1).max(128),
    mqtt: mqttConfigSchema,
    queue: queueConfigSchema,
    batching: batchingConfigSchema.prefault({}),
    /** How long stop() waits for the queue to drain while connected. */
    stopFlushMs: z.number().int().min(0).max(120_000).default(5000),
    devices: z.array(deviceConfigSchema).min(1),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.devices.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `duplicate device id "${d.id}"` });
      seen.add(d.id);
    });
    config.devices.forEach((d, i) => {
      if (d.type !== 'camera') return;
      d.covers?.forEach((covered, j) => {
        if (!seen.has(covered)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'covers', j], message: `"${covered}" is not a device of this agent` });
      });
    });
    if (config.mqtt.reconnectMaxMs < config.mqtt.reconnectMinMs) {
      ctx.addIssue({ code: 'custom', path: ['mqtt', 'reconnectMaxMs'], message: 'must not be below reconnectMinMs' });
    }
  });

export type AgentConfig = z.output<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type DeviceConfig = z.output<typeof deviceConfigSchema>;
export type EquipmentDeviceConfig = z.output<typeof equipmentDeviceConfigSchema>;
export type CameraDeviceConfig = z.output<typeof cameraDeviceConfigSchema>;
export type DoorDeviceConfig = z.output<typeof doorDeviceConfigSchema>;
export type AdapterConfig = z.output<typeof adapterConfigSchema>;
export type SimulatedAdapterConfig = Extract<AdapterConfig, { kind: 'simulated' }>;
