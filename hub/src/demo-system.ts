/**
 * The whole demo system in one process — PGlite, the embedded broker, the hub with
 * the dashboard, demo staff, and the demo estate's simulated devices bridged by real
 * edge agents over MQTT (one per building). The estate's cameras and doors are ONVIF
 * simulators (a CameraSimulator per camera, a one-door Profile C controller per door)
 * on loopback ports with generated credentials; the agents reach them over ONVIF and
 * RTSP as they would reach real devices. `npm start` (demo.ts) runs it with its
 * terminal around it; the browser tests and `npm run screenshots` run the very same
 * thing on free ports in a temporary data folder.
 */
import os from 'node:os';
import path from 'node:path';
import { EdgeAgent, parseAgentConfig } from '@warden/edge-agent';
import { agentIdOf, demoEstatePath, estateToAgentConfigs, loadEstate, startOnvifSimulators, stderrLogger, type EstateOnvifSimulators } from '@warden/simulators';
import type { Logger } from 'pino';
import { startHub, type Hub } from './app.js';
import { provisionAgent } from './broker/index.js';
import { loadConfig, type Config } from './config.js';
import { seedDemoOffice } from './demo-office.js';
import { createLogger } from './logger.js';
import { seedDemoStaff } from './workorders/index.js';

/** What `npm start` chooses over the hub's own defaults; every variable of the configuration table still applies on top. */
export const demoDefaults: Readonly<Record<string, string>> = {
  HTTP_HOST: '127.0.0.1',
  MQTT_PORT_FALLBACK: 'true',
  DEMO_USERS: 'true',
  ESTATE_FILE: demoEstatePath,
  LOG_LEVEL: 'warn',
};

export interface DemoSystem {
  hub: Hub;
  /** One edge agent per building of the estate. */
  agents: EdgeAgent[];
  /** Devices across all agents. */
  devices: number;
  /**
   * The cameras' and doors' simulators by device id, for scenes and tests:
   * `onvif.doors.get('a-door-lobby')!.controller.inject({ scenario: 'force', door: token })`,
   * `onvif.cameras.get('a-cam-lobby')!.injectFault('motion')`.
   */
  onvif: EstateOnvifSimulators;
  /** Stops the agents (they drain their queues), the camera and door simulators, and then the hub. */
  stop(): Promise<void>;
}

/** The configuration of a demo system: the demo defaults, then `env` (e.g. process.env, or a test's free ports and data folder). */
export function demoConfig(env: Record<string, string | undefined>): Config {
  return loadConfig({ ...demoDefaults, ...env });
}

/** Starts the hub, seeds the demo staff and the office's records, and starts the estate's edge agents. */
export async function startDemo(config: Config, logger: Logger = createLogger(config.LOG_LEVEL)): Promise<DemoSystem> {
  const hub = await startHub(config, logger);
  let result: { agents: EdgeAgent[]; devices: number; onvif: EstateOnvifSimulators };
  try {
    // Technicians and guards with trades and shifts, so alarms' work orders are dispatched to someone.
    await seedDemoStaff(hub.db);
    result = await startEstateAgents(hub);
  } catch (err) {
    await hub.stop();
    throw err;
  }
  const { agents, devices, onvif } = result;
  let stopping: Promise<void> | undefined;
  return {
    hub,
    agents,
    devices,
    onvif,
    stop: () =>
      (stopping ??= (async () => {
        // Agents first: they relock doors they unlocked for a while and unsubscribe from the simulators.
        await Promise.allSettled(agents.map((a) => a.stop()));
        await onvif.stop();
        await hub.stop();
      })()),
  };
}

/** One edge agent per building of the estate, provisioned with a fresh secret at each start, and the simulators of its cameras and doors. */
async function startEstateAgents(hub: Hub): Promise<{ agents: EdgeAgent[]; devices: number; onvif: EstateOnvifSimulators }> {
  const estate = loadEstate(hub.config.ESTATE_FILE!);
  const dataDir = hub.config.DATA_DIR.startsWith('memory://') ? path.join(os.tmpdir(), `warden-demo-${process.pid}`) : hub.config.DATA_DIR;
  const secrets = new Map<string, string>();
  for (const building of estate.buildings) {
    const id = agentIdOf(building.id);
    const { secret } = await provisionAgent(hub.db, { id, siteId: estate.site.id, buildingId: building.id }, 'demo');
    secrets.set(id, secret);
  }
  // Flats, owners, fees and the meters' flats, before the agents' births (the meters are registered ahead of them).
  await seedDemoOffice(hub, estate);
  // Small pictures, short loops and modest card traffic: the demo shares the machine with everything else.
  const onvif = await startOnvifSimulators(estate, {
    doorTraffic: { meanSwipeIntervalSec: 90, deniedRatio: 0.05 },
    ...(hub.config.LOG_LEVEL === 'debug' || hub.config.LOG_LEVEL === 'trace' ? { logger: (device: string) => stderrLogger(device, 'info') } : {}),
  });
  try {
    const configs = estateToAgentConfigs(estate, {
      mqttUrl: hub.mqttUrl,
      queueDir: path.resolve(dataDir, 'agents'),
      credentials: (agentId) => ({ username: agentId, password: secrets.get(agentId)! }),
      onvifEndpoints: onvif.endpoints,
    });
    const agents = configs.map((c) => new EdgeAgent(parseAgentConfig(c, `estate ${hub.config.ESTATE_FILE}`), { logger: hub.logger.child({ agent: c.agent }) }));
    const started = await Promise.allSettled(agents.map((a) => a.start()));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.allSettled(agents.map((a) => a.stop()));
      throw failed.reason;
    }
    return { agents, devices: configs.reduce((n, c) => n + c.devices.length, 0), onvif };
  } catch (err) {
    await onvif.stop();
    throw err;
  }
}
