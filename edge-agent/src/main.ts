/**
 * Runs one edge agent, from its config file or from an estate file:
 *
 *   tsx edge-agent/src/main.ts --config building-a.json
 *   MQTT_URL=mqtt://broker:1883 AGENT_SECRET=… tsx edge-agent/src/main.ts \
 *     --estate simulators/estates/demo.json --building bldg-a --queue-dir data/queue
 *
 * The estate form runs the building's simulated devices (docker-compose uses it);
 * the broker URL and the agent's secret come from the environment, never from the
 * command line (where `ps` would show them). `--health-file` is touched every 10 s
 * while the agent is connected, for container health checks.
 * SIGINT/SIGTERM stop it gracefully (queue flushed, offline state published,
 * disconnect) and the process exits 0. A second signal exits at once.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ValidationError } from '@warden/protocols';
import { agentIdOf, estateToAgentConfigs, loadEstate, onvifDevicesOf } from '@warden/simulators';
import { pino } from 'pino';
import { loadAgentConfig, parseAgentConfig } from './config/agent-config.loader.js';
import type { AgentConfig } from './config/agent-config.schema.js';
import { EdgeAgent } from './agent/edge-agent.js';

const usage = [
  'usage: edge-agent --config <agent-config.json> [--health-file <path>]',
  '       edge-agent --estate <estate.json> --building <id> [--queue-dir <dir>] [--health-file <path>]',
  '                  (env MQTT_URL, AGENT_SECRET)',
].join('\n');

interface Cli {
  config: () => AgentConfig;
  healthFile?: string;
}

function parseCli(): Cli {
  try {
    const { values } = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        estate: { type: 'string' },
        building: { type: 'string' },
        'queue-dir': { type: 'string' },
        'health-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    const healthFile = values['health-file'];
    if (values.config) return { config: () => loadAgentConfig(values.config!), healthFile };
    if (!values.estate || !values.building) throw new Error('give --config, or --estate and --building');
    const { estate: estateFile, building } = values;
    const queueDir = resolve(values['queue-dir'] ?? 'data/queue');
    return {
      healthFile,
      config: () => {
        const mqttUrl = process.env.MQTT_URL;
        if (!mqttUrl) throw new Error('MQTT_URL: required with --estate (the broker to connect to)');
        const estate = loadEstate(estateFile);
        const agentId = agentIdOf(building);
        const secret = process.env.AGENT_SECRET;
        const config = estateToAgentConfigs(estate, { mqttUrl, queueDir, credentials: () => (secret ? { username: agentId, password: secret } : undefined) }).find(
          (c) => c.agent === agentId,
        );
        if (!config) throw new Error(`--building ${building}: not a building of ${estateFile} (${estate.buildings.map((b) => b.id).join(', ')})`);
        // The estate gives no address for cameras and doors: they need a --config file naming their xaddr.
        const skipped = onvifDevicesOf(estate, building).map(({ device }) => device.id);
        if (skipped.length > 0) logger.warn({ devices: skipped }, 'cameras and doors left out: the estate gives no ONVIF address (list them in a --config file)');
        return parseAgentConfig(config, `${estateFile} building ${building}`);
      },
    };
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
}

const logger = pino({ name: 'edge-agent', level: process.env.LOG_LEVEL ?? 'info' });
const cli = parseCli();
let agent: EdgeAgent;
try {
  agent = new EdgeAgent(cli.config(), { logger });
} catch (err) {
  console.error(err instanceof ValidationError ? `invalid configuration: ${err.message}` : `cannot start: ${(err as Error).message}`);
  process.exit(1);
}

const healthFile = cli.healthFile;
function writeHealth(): void {
  if (!healthFile) return;
  if (agent.status().connected) writeFileSync(healthFile, new Date().toISOString());
  else rmSync(healthFile, { force: true });
}
const healthTimer = healthFile ? setInterval(writeHealth, 10_000) : undefined;
healthTimer?.unref();

let stopping = false;
let stoppingSince = 0;
function shutdown(signal: NodeJS.Signals): void {
  // A wrapper (npx, npm) forwards the terminal's Ctrl-C that the whole process group got too: one press.
  if (stopping && Date.now() - stoppingSince < 1_000) return;
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting without waiting');
    process.exit(1);
  }
  stopping = true;
  stoppingSince = Date.now();
  clearInterval(healthTimer);
  if (healthFile) rmSync(healthFile, { force: true });
  logger.info({ signal }, 'stopping');
  agent.stop().then(
    () => {
      // One line a supervisor (or a test) can read: how many readings this run collected and what
      // stayed queued. pino writes stdout synchronously, so the line is out before the exit.
      logger.info({ status: agent.status() }, 'final status');
      // stop() releases every handle, so the process would end by itself; exit explicitly in case a
      // library keeps one alive.
      process.exit(0);
    },
    (err: unknown) => {
      logger.error({ err }, 'stop failed');
      process.exit(1);
    },
  );
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
// Device libraries (node-onvif) chain promises internally; a device answering something they do not
// expect can leave one rejected with nobody listening. That is one device's problem: log it and go on
// rather than take the whole building offline.
process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection in a device library; the agent goes on'));

try {
  await agent.start();
  writeHealth();
} catch (err) {
  logger.error({ err }, 'agent could not start');
  process.exit(1);
}
