import { z } from 'zod';
import { ID_PATTERN, MAX_POINTS_PER_BATCH } from '@warden/protocols';
import { simulatedAdapterSchema } from '@warden/simulators';
import { deviceTypes } from '../devices/device-catalog.js';

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

export const deviceConfigSchema = z
  .strictObject({
    id,
    /** A type of the device catalog (devices/kinds): it declares metrics, capabilities and events. */
    type: z.enum(deviceTypes, { error: `a device type of the catalog: ${deviceTypes.join(', ')}` }),
    name: z.string().min(1).max(128),
    floor: z.string().max(32).optional(),
    zone: z.string().max(128).optional(),
    location: z.string().max(256).optional(),
    model: z.string().max(128).optional(),
    manufacturer: z.string().max(128).optional(),
    serial: z.string().max(128).optional(),
    pollMs: z.number().int().min(10).max(86_400_000).default(5000),
    adapter: adapterConfigSchema,
  })
  .refine((d) => d.adapter.kind !== 'simulated' || d.adapter.model === d.type, {
    message: 'a simulated device must use the model of its type',
    path: ['adapter', 'model'],
  });

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
    if (config.mqtt.reconnectMaxMs < config.mqtt.reconnectMinMs) {
      ctx.addIssue({ code: 'custom', path: ['mqtt', 'reconnectMaxMs'], message: 'must not be below reconnectMinMs' });
    }
  });

export type AgentConfig = z.output<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type DeviceConfig = z.output<typeof deviceConfigSchema>;
export type AdapterConfig = z.output<typeof adapterConfigSchema>;
export type SimulatedAdapterConfig = Extract<AdapterConfig, { kind: 'simulated' }>;
