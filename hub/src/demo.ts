/**
 * `npm start`: the whole system on embedded defaults in one process — PGlite,
 * the embedded broker, the hub with the dashboard, and the demo estate's
 * simulated devices bridged by real edge agents over MQTT (one per building).
 *
 * The hub code does not know it is a demo: this file only chooses defaults
 * (an estate file, demo users, a free MQTT port if 1883 is taken) and starts
 * the agents beside it. Every variable of the configuration table still applies.
 */
import os from 'node:os';
import path from 'node:path';
import { EdgeAgent, parseAgentConfig } from '@warden/edge-agent';
import { agentIdOf, demoEstatePath, estateToAgentConfigs, loadEstate } from '@warden/simulators';
import { startHub, type Hub } from './app.js';
import { provisionAgent } from './broker/index.js';
import { ConfigError, loadConfig } from './config.js';
import { printCredentials } from './credentials-banner.js';
import { createLogger } from './logger.js';

const demoDefaults: Record<string, string> = {
  HTTP_HOST: '127.0.0.1',
  MQTT_PORT_FALLBACK: 'true',
  DEMO_USERS: 'true',
  ESTATE_FILE: demoEstatePath,
  LOG_LEVEL: 'warn',
};

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ ...demoDefaults, ...process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  console.log('Starting Warden on embedded defaults (PGlite, embedded MQTT broker, simulated estate)...');
  const hub = await startHub(config, logger);
  const agents: EdgeAgent[] = [];

  let stoppingSince = 0;
  const shutdown = async (signal: string) => {
    // npm forwards the Ctrl-C the whole process group already got: the same press, not a second one.
    if (stoppingSince && Date.now() - stoppingSince < 1_000) return;
    if (stoppingSince) {
      console.log('Second signal: exiting now.');
      process.exit(1);
    }
    stoppingSince = Date.now();
    console.log(`\n${signal}: stopping the edge agents and the hub...`);
    await Promise.allSettled(agents.map((a) => a.stop()));
    await hub.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  let devices = 0;
  try {
    const started = await startEstateAgents(hub);
    agents.push(...started.agents);
    devices = started.devices;
  } catch (err) {
    await hub.stop();
    throw err;
  }

  console.log(
    [
      '',
      `  Warden is running.`,
      `  Dashboard and API:  ${hub.url}/        (API docs: ${hub.url}/api/docs)`,
      `  MQTT broker:        ${hub.mqttUrl}`,
      `  Database:           ${config.DATABASE_URL ? 'PostgreSQL server' : `embedded PGlite in ${path.resolve(config.DATA_DIR)}`}`,
      `  Simulated estate:   ${agents.length} buildings, ${devices} devices, one edge agent each`,
    ].join('\n'),
  );
  if (hub.auth.initialCredentials.length) printCredentials(hub.auth.initialCredentials);
  else console.log('  Log in with the accounts printed on the first start (rm -rf data to start afresh).');
  console.log('  Press Ctrl-C to stop.\n');
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
  await Promise.all(agents.map((a) => a.start()));
  return { agents, devices: configs.reduce((n, c) => n + c.devices.length, 0) };
}

main().catch((err: Error) => {
  console.error(`Warden failed to start: ${err.message}`);
  process.exit(1);
});
