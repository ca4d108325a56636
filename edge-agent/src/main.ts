/**
 * Runs one edge agent: `tsx edge-agent/src/main.ts --config building-a.json`.
 * SIGINT/SIGTERM stop it gracefully (queue flushed, offline state published,
 * disconnect) and the process exits 0. A second signal exits at once.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { AgentConfigError, loadAgentConfig } from './config/agent-config.loader.js';
import { EdgeAgent } from './agent/edge-agent.js';

const usage = 'usage: edge-agent --config <agent-config.json>';

function parseCli(): string {
  try {
    const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    if (!values.config) throw new Error('--config is required');
    return values.config;
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
}

const logger = pino({ name: 'edge-agent', level: process.env.LOG_LEVEL ?? 'info' });
const configPath = parseCli();
let agent: EdgeAgent;
try {
  agent = new EdgeAgent(loadAgentConfig(configPath), { logger });
} catch (err) {
  console.error(err instanceof AgentConfigError ? `invalid agent config: ${err.message}` : err);
  process.exit(1);
}

let stopping = false;
function shutdown(signal: NodeJS.Signals): void {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting without waiting');
    process.exit(1);
  }
  stopping = true;
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

try {
  await agent.start();
} catch (err) {
  logger.error({ err }, 'agent could not start');
  process.exit(1);
}
