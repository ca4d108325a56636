import mqtt from 'mqtt';
import pino from 'pino';
import { startHub, type Hub } from '../../src/app.js';
import { provisionAgent } from '../../src/broker/index.js';
import { loadConfig } from '../../src/config.js';
import { upsertBuilding, upsertSite } from '../../src/records/index.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

export interface TestHub extends Hub {
  database: TestDatabase;
  /** Logs with level warn and above, for assertions on what the hub logged. */
  logs: { level: number; msg: string; [key: string]: unknown }[];
  /** Logs in and returns the bearer token. */
  login(username: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export const ADMIN_PASSWORD = 'admin-test-password-1';

/** A hub on ephemeral ports (HTTP and embedded MQTT) against a fresh database of the given kind. */
export async function startTestHub(kind: 'pglite' | 'postgres', env: Record<string, string> = {}): Promise<TestHub> {
  const database = await createTestDatabase(kind);
  const config = loadConfig({
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    ADMIN_INITIAL_PASSWORD: ADMIN_PASSWORD,
    DEMO_USERS: 'true',
    DASHBOARD_DIR: '/nonexistent',
    ...database.env,
    ...env,
  });
  const logs: TestHub['logs'] = [];
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        const entry = JSON.parse(line) as TestHub['logs'][number];
        if (entry.level >= 40) logs.push(entry);
      },
    },
  );
  let hub: Hub;
  try {
    hub = await startHub(config, logger);
  } catch (err) {
    await database.drop();
    throw err;
  }
  return Object.assign(hub, {
    database,
    logs,
    async login(username: string, password: string) {
      const res = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
      if (res.statusCode !== 200) throw new Error(`login as ${username} failed: ${res.statusCode} ${res.body}`);
      return (res.json() as { token: string }).token;
    },
    async close() {
      await hub.stop();
      await database.drop();
    },
  });
}

export function demoPassword(hub: Hub, role: string): string {
  const cred = hub.auth.initialCredentials.find((c) => c.role === role);
  if (!cred) throw new Error(`no demo user for ${role}`);
  return cred.password;
}

/**
 * The estate of a test and one agent in it: site and building upserted, the agent
 * provisioned, and an MQTT client logged in as the agent (3.1.1: the embedded broker's).
 */
export async function connectTestAgent(
  hub: Hub,
  estate: { site: string; siteName?: string; building: string; agent: string; timezone?: string },
): Promise<mqtt.MqttClient> {
  await upsertSite(hub.db, { id: estate.site, name: estate.siteName ?? estate.site, timezone: estate.timezone });
  await upsertBuilding(hub.db, { id: estate.building, siteId: estate.site, name: estate.building });
  const { secret } = await provisionAgent(hub.db, { id: estate.agent, siteId: estate.site, buildingId: estate.building });
  return mqtt.connectAsync(hub.mqttUrl, { username: estate.agent, password: secret, protocolVersion: 4, clientId: `${estate.agent}-test` });
}
