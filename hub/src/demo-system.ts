/**
 * The whole demo system in one process — PGlite, the embedded broker, the hub with
 * the dashboard, demo staff, and the demo estate's simulated devices bridged by real
 * edge agents over MQTT (one per building). `npm start` (demo.ts) runs it with its
 * terminal around it; the browser tests and `npm run screenshots` run the very same
 * thing on free ports in a temporary data folder.
 */
import os from 'node:os';
import path from 'node:path';
import { EdgeAgent, parseAgentConfig } from '@warden/edge-agent';
import { agentIdOf, demoEstatePath, estateToAgentConfigs, loadEstate } from '@warden/simulators';
import type { Logger } from 'pino';
import { startHub, type Hub } from './app.js';
import { provisionAgent } from './broker/index.js';
import { loadConfig, type Config } from './config.js';
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
  /** Stops the agents (they drain their queues) and then the hub. */
  stop(): Promise<void>;
}

/** The configuration of a demo system: the demo defaults, then `env` (e.g. process.env, or a test's free ports and data folder). */
export function demoConfig(env: Record<string, string | undefined>): Config {
  return loadConfig({ ...demoDefaults, ...env });
}

/** Starts the hub, seeds the demo staff and starts the estate's edge agents. */
export async function startDemo(config: Config, logger: Logger = createLogger(config.LOG_LEVEL)): Promise<DemoSystem> {
  const hub = await startHub(config, logger);
  let result: { agents: EdgeAgent[]; devices: number };
  try {
    // Technicians and guards with trades and shifts, so alarms' work orders are dispatched to someone.
    await seedDemoStaff(hub.db);
    result = await startEstateAgents(hub);
  } catch (err) {
    await hub.stop();
    throw err;
  }
  const { agents, devices } = result;
  let stopping: Promise<void> | undefined;
  return {
    hub,
    agents,
    devices,
    stop: () =>
      (stopping ??= (async () => {
        await Promise.allSettled(agents.map((a) => a.stop()));
        await hub.stop();
      })()),
  };
}

/** One edge agent per building of the estate, provisioned with a fresh secret at each start. */
async function startEstateAgents(hub: Hub): Promise<{ agents: EdgeAgent[]; devices: number }> {
  const estate = loadEstate(hub.config.ESTATE_FILE!);
  const dataDir = hub.config.DATA_DIR.startsWith('memory://') ? path.join(os.tmpdir(), `warden-demo-${process.pid}`) : hub.config.DATA_DIR;
  const secrets = new Map<string, string>();
  for (const building of estate.buildings) {
    const id = agentIdOf(building.id);
    const { secret } = await provisionAgent(hub.db, { id, siteId: estate.site.id, buildingId: building.id }, 'demo');
    secrets.set(id, secret);
  }
  const configs = estateToAgentConfigs(estate, {
    mqttUrl: hub.mqttUrl,
    queueDir: path.resolve(dataDir, 'agents'),
    credentials: (agentId) => ({ username: agentId, password: secrets.get(agentId)! }),
  });
  const agents = configs.map((c) => new EdgeAgent(parseAgentConfig(c, `estate ${hub.config.ESTATE_FILE}`), { logger: hub.logger.child({ agent: c.agent }) }));
  const started = await Promise.allSettled(agents.map((a) => a.start()));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(agents.map((a) => a.stop()));
    throw failed.reason;
  }
  return { agents, devices: configs.reduce((n, c) => n + c.devices.length, 0) };
}
