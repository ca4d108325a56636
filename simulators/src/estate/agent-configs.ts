import { join } from 'node:path';
import { ID_PATTERN } from '@warden/protocols';
import type { SimulatedAdapterInput } from '../simulation/simulated-device.schema.js';
import { deriveSeed } from '../signals/seeded-noise.js';
import { defaultPollMs, type Estate, type EstateDevice } from './estate.schema.js';

export interface AgentConfigOptions {
  /** Broker URL every agent connects to, e.g. mqtt://127.0.0.1:1883. */
  mqttUrl: string;
  /** Broker credentials per agent id (the hub provisions them); omit for an anonymous broker. */
  credentials?: (agentId: string) => { username: string; password: string } | undefined;
  /** Parent folder; each agent gets `<queueDir>/<agentId>` for its store-and-forward queue. */
  queueDir: string;
  queueMaxBytes?: number;
  batching?: { maxPoints?: number; maxDelayMs?: number };
  /** Multiplies every poll interval (0.1 for a lively demo); the result is at least 50 ms. */
  pollScale?: number;
}

/** The adapter section of an edge-agent device config for a simulated device. */
export type SimulatedAdapterConfig = SimulatedAdapterInput;

/** A simulated device as an edge-agent config lists it. */
export interface SimulatedAgentDeviceConfig {
  id: string;
  type: EstateDevice['type'];
  name: string;
  floor?: string;
  location?: string;
  model?: string;
  manufacturer?: string;
  pollMs: number;
  adapter: SimulatedAdapterConfig;
}

/**
 * An edge-agent config (the input shape `@warden/edge-agent` validates with
 * its own schema; its tests check the two agree).
 */
export interface SimulatedAgentConfig {
  site: string;
  agent: string;
  building: string;
  mqtt: { url: string; username?: string; password?: string };
  queue: { dir: string; maxBytes?: number };
  batching?: { maxPoints?: number; maxDelayMs?: number };
  devices: SimulatedAgentDeviceConfig[];
}

/** The agent id of a building: one agent per building. */
export function agentIdOf(buildingId: string): string {
  const id = `agent-${buildingId}`;
  if (!ID_PATTERN.test(id)) throw new Error(`building id "${buildingId}" makes an invalid agent id "${id}"`);
  return id;
}

/** One edge-agent config per building of the estate, each with its building's simulated devices and scenario steps. */
export function estateToAgentConfigs(estate: Estate, options: AgentConfigOptions): SimulatedAgentConfig[] {
  return estate.buildings.map((building) => {
    const agent = agentIdOf(building.id);
    const credentials = options.credentials?.(agent);
    return {
      site: estate.site.id,
      agent,
      // Human-readable, as the protocol's `building` fields are; the hub knows the building by the agent.
      building: building.name,
      mqtt: {
        url: options.mqttUrl,
        // The client id defaults to the agent id, which the hub's broker requires.
        ...(credentials ? { username: credentials.username, password: credentials.password } : {}),
      },
      queue: { dir: join(options.queueDir, agent), ...(options.queueMaxBytes ? { maxBytes: options.queueMaxBytes } : {}) },
      ...(options.batching ? { batching: options.batching } : {}),
      devices: building.devices.map((d): SimulatedAgentDeviceConfig => {
        const scenario = estate.scenario.filter((s) => s.device === d.id).map(({ device: _device, ...step }) => step);
        const params = d.type === 'lift' ? { ...d.params, highestFloor: d.params.highestFloor ?? building.floors } : d.params;
        const poll = d.pollMs ?? defaultPollMs[d.type];
        return {
          id: d.id,
          type: d.type,
          name: d.name,
          ...(d.floor !== undefined ? { floor: d.floor } : {}),
          ...(d.location !== undefined ? { location: d.location } : {}),
          ...(d.model !== undefined ? { model: d.model } : {}),
          ...(d.manufacturer !== undefined ? { manufacturer: d.manufacturer } : {}),
          pollMs: Math.max(50, Math.round(poll * (options.pollScale ?? 1))),
          adapter: {
            kind: 'simulated',
            model: d.type,
            seed: deriveSeed(estate.seed, estate.site.id, d.id),
            utcOffsetMin: estate.utcOffsetMin,
            params,
            scenario,
          } as SimulatedAdapterConfig,
        };
      }),
    };
  });
}
