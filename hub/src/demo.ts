/**
 * `npm start`: the whole system on embedded defaults in one process — PGlite,
 * the embedded broker, the hub with the dashboard, and the demo estate's
 * simulated devices bridged by real edge agents over MQTT (one per building).
 *
 * The hub code does not know it is a demo: demo-system.ts only chooses defaults
 * (an estate file, demo users, a free MQTT port if 1883 is taken) and starts
 * the agents beside it; this file adds the terminal around it (what it prints,
 * Ctrl-C). Every variable of the configuration table still applies.
 */
import path from 'node:path';
import { ConfigError, type Config } from './config.js';
import { printCredentials } from './credentials-banner.js';
import { demoConfig, startDemo, type DemoSystem } from './demo-system.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = demoConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  console.log('Starting Warden on embedded defaults (PGlite, embedded MQTT broker, simulated estate)...');
  const starting = startDemo(config, logger);

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
    // Stopped during start-up: let the start finish (or fail, which cleans up after itself), then stop.
    const system = await starting.catch(() => undefined);
    await system?.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const system: DemoSystem = await starting;
  if (stoppingSince) return;
  const { hub, agents, devices } = system;
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

main().catch((err: Error) => {
  console.error(`Warden failed to start: ${err.message}`);
  process.exit(1);
});
