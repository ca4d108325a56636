import { join } from 'node:path';
import { ID_PATTERN } from '@warden/protocols';
import type { SimulatedAdapterInput } from '../simulation/simulated-device.schema.js';
import { deriveSeed } from '../signals/seeded-noise.js';
import { defaultPollMs, isSimulatedEstateDevice, type Estate, type OnvifEstateDevice, type SimulatedEstateDevice } from './estate.schema.js';

export interface AgentConfigOptions {
  /** Broker URL every agent connects to, e.g. mqtt://127.0.0.1:1883. */
  mqttUrl: string;
  /** Broker credentials per agent id (the hub provisions them); omit for an anonymous broker. */
  credentials?: (agentId: string) => { username: string; password: string } | undefined;
  /** Parent folder; each agent gets `<queueDir>/<agentId>` for its store-and-forward queue. */
  queueDir: string;
  queueMaxBytes?: number;
  batching?: { maxPoints?: number; maxDelayMs?: number };
  /** Multiplies every poll interval (0.1 for a lively demo); the result is at least 50 ms (100 ms for cameras and doors). */
  pollScale?: number;
  /**
   * Where each camera and door of the estate answers, by device id: the address
   * of a simulator the caller started (the demo does) or of the real device. A
   * camera or door without an entry is left out of its agent's config (the agent
   * could not reach it), and so is any `covers` reference to it.
   */
  onvifEndpoints?: ReadonlyMap<string, OnvifEndpoint> | Readonly<Record<string, OnvifEndpoint>>;
}

/** How an agent reaches an ONVIF device. */
export interface OnvifEndpoint {
  /** The device service URL, e.g. http://127.0.0.1:8080/onvif/device_service. */
  xaddr: string;
  user: string;
  password: string;
  /** Doors: the controller's token of this door (GetDoorInfoList), e.g. "Door_1". */
  doorToken?: string;
}

/** The adapter section of an edge-agent device config for a simulated device. */
export type SimulatedAdapterConfig = SimulatedAdapterInput;

/** A simulated device as an edge-agent config lists it. */
export interface SimulatedAgentDeviceConfig {
  id: string;
  type: SimulatedEstateDevice['type'];
  name: string;
  floor?: string;
  location?: string;
  model?: string;
  manufacturer?: string;
  pollMs: number;
  adapter: SimulatedAdapterConfig;
}

interface OnvifAgentDeviceCommon {
  id: string;
  name: string;
  floor?: string;
  zone?: string;
  location?: string;
  model?: string;
  manufacturer?: string;
  xaddr: string;
  user: string;
  password: string;
}

/** A camera as an edge-agent config lists it. */
export interface CameraAgentDeviceConfig extends OnvifAgentDeviceCommon {
  type: 'camera';
  covers?: string[];
  healthIntervalMs: number;
}

/** A door as an edge-agent config lists it. */
export interface DoorAgentDeviceConfig extends OnvifAgentDeviceCommon {
  type: 'door';
  doorToken: string;
  stateIntervalMs: number;
}

export type AgentDeviceConfig = SimulatedAgentDeviceConfig | CameraAgentDeviceConfig | DoorAgentDeviceConfig;

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
  devices: AgentDeviceConfig[];
}

/** The agent id of a building: one agent per building. */
export function agentIdOf(buildingId: string): string {
  const id = `agent-${buildingId}`;
  if (!ID_PATTERN.test(id)) throw new Error(`building id "${buildingId}" makes an invalid agent id "${id}"`);
  return id;
}

function endpointOf(options: AgentConfigOptions, deviceId: string): OnvifEndpoint | undefined {
  const endpoints = options.onvifEndpoints;
  if (!endpoints) return undefined;
  return endpoints instanceof Map ? endpoints.get(deviceId) : (endpoints as Readonly<Record<string, OnvifEndpoint>>)[deviceId];
}

/**
 * One edge-agent config per building of the estate, each with its building's
 * simulated devices and scenario steps, and its cameras and doors at the
 * addresses `onvifEndpoints` gives.
 */
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
      devices: building.devices.flatMap((d): AgentDeviceConfig[] => {
        if (!isSimulatedEstateDevice(d)) {
          const config = onvifDeviceConfig(d, options, (id) => building.devices.some((o) => o.id === id) && endpointOf(options, id) !== undefined);
          return config ? [config] : [];
        }
        const scenario = estate.scenario.filter((s) => s.device === d.id).map(({ device: _device, ...step }) => step);
        const params = d.type === 'lift' ? { ...d.params, highestFloor: d.params.highestFloor ?? building.floors } : d.params;
        const poll = d.pollMs ?? defaultPollMs[d.type];
        return [{
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
        }];
      }),
    };
  });
}

/** A camera's or door's agent config, or undefined when no endpoint says where it answers. */
function onvifDeviceConfig(d: OnvifEstateDevice, options: AgentConfigOptions, reachable: (id: string) => boolean): CameraAgentDeviceConfig | DoorAgentDeviceConfig | undefined {
  const endpoint = endpointOf(options, d.id);
  if (!endpoint) return undefined;
  const intervalMs = Math.max(100, Math.round((d.pollMs ?? defaultPollMs[d.type]) * (options.pollScale ?? 1)));
  const common: OnvifAgentDeviceCommon = {
    id: d.id,
    name: d.name,
    ...(d.floor !== undefined ? { floor: d.floor } : {}),
    ...(d.params.zone !== undefined ? { zone: d.params.zone } : {}),
    ...(d.location !== undefined ? { location: d.location } : {}),
    ...(d.model !== undefined ? { model: d.model } : {}),
    ...(d.manufacturer !== undefined ? { manufacturer: d.manufacturer } : {}),
    xaddr: endpoint.xaddr,
    user: endpoint.user,
    password: endpoint.password,
  };
  if (d.type === 'camera') {
    const covers = d.params.covers?.filter(reachable);
    return { ...common, type: 'camera', ...(covers?.length ? { covers } : {}), healthIntervalMs: intervalMs };
  }
  if (!endpoint.doorToken) throw new Error(`door ${d.id}: its endpoint gives no doorToken (the controller's token of the door)`);
  return { ...common, type: 'door', doorToken: endpoint.doorToken, stateIntervalMs: intervalMs };
}
