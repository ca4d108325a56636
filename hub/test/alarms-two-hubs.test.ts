import { randomBytes, randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import pg from 'pg';
import pino from 'pino';
import { encode } from '@warden/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionAgent } from '../src/broker/index.js';
import { Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrator.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { HubProcess } from './support/hub-process.js';
import { freePort, startMosquitto, type Mosquitto } from './support/mosquitto.js';
import { waitFor } from './support/wait.js';

const SITE = 'site-2h';
const BUILDING = 'bldg-2h';
const ADMIN_PASSWORD = 'two-hubs-admin-password';
const EPISODES = 6;

/**
 * Two hub processes on one PostgreSQL database and one Mosquitto. Without shared
 * subscriptions both hubs receive every reading and evaluate every activation at
 * the same moment; with them, the readings of one fault are split between the
 * hubs. Either way each alarm episode, and its work order, must exist exactly once.
 */
describe.each([
  ['every reading to both hubs', 'false'],
  ['readings split between the hubs', 'true'],
])('alarm episodes and work orders with two hubs (%s)', (_name, shared) => {
  let database: TestDatabase;
  let db: Database;
  let mosquitto: Mosquitto;
  let agent: mqtt.MqttClient;
  const hubs: HubProcess[] = [];
  const agentId = `agent-2h-${shared}`;
  const address = { site: SITE, agent: agentId };
  let seq = 0;

  const point = async (value: number) => {
    const msg = encode('telemetry', address, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), points: [{ device: 'pump-x', metric: 'motorTemp', ts: Date.now(), value }] });
    await agent.publishAsync(msg.topic, msg.payload, msg.options);
  };
  const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0].n);

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    db = new Database(new pg.Pool({ connectionString: database.url!, max: 2 }), 'postgres');
    const silent = pino({ level: 'silent' });
    await migrate(db, silent);
    await upsertSite(db, { id: SITE, name: 'Two hubs' });
    await upsertBuilding(db, { id: BUILDING, siteId: SITE, name: 'Two hubs' });
    const { secret } = await provisionAgent(db, { id: agentId, siteId: SITE, buildingId: BUILDING });
    const hubSecret = randomBytes(12).toString('hex');
    mosquitto = await startMosquitto({ hub: hubSecret, [agentId]: secret });
    for (const name of ['a', 'b']) {
      const hub = new HubProcess(
        { DATABASE_URL: database.url!, HTTP_PORT: String(await freePort()), HUB_ID: `two-hubs-${name}`, MQTT_URL: mosquitto.url, MQTT_USERNAME: 'hub', MQTT_PASSWORD: hubSecret, MQTT_SHARED_SUBSCRIPTIONS: shared, ALARM_DEFAULT_RULES: 'false', LOG_LEVEL: 'warn' },
        ADMIN_PASSWORD,
      );
      hubs.push(hub);
    }
    // The first start migrates and creates the admin; the second joins the same database.
    await hubs[0].start();
    await hubs[1].start();
    agent = await mqtt.connectAsync(mosquitto.url, { username: agentId, password: secret, clientId: agentId, protocolVersion: 5 });
    const online = encode('state', address, { v: 1, state: 'online', ts: Date.now(), session: 's', nextSeq: 0 });
    await agent.publishAsync(online.topic, online.payload, online.options);
    const birth = encode('deviceBirth', address, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), device: { id: 'pump-x', type: 'pump', name: 'Pump X' }, metrics: [{ name: 'motorTemp', type: 'number', unit: 'Cel' }] });
    await agent.publishAsync(birth.topic, birth.payload, birth.options);
    await waitFor(async () => (await db.query(`SELECT 1 FROM device_metrics m JOIN devices d ON d.id = m.device_id WHERE d.code = 'pump-x'`)).rowCount, 'the pump registered');
  }, 120_000);

  afterAll(async () => {
    await agent?.endAsync(true).catch(() => {});
    for (const hub of hubs) await hub.stop();
    await mosquitto?.close();
    await db?.close();
    await database?.drop();
  });

  it(`opens ${EPISODES} episodes and ${EPISODES} work orders for ${EPISODES} faults, never two`, async () => {
    await hubs[0].api('/api/alarm-rules', 'POST', {
      name: 'Motor hot',
      scope: { type: 'deviceType', id: 'pump' },
      priority: 'high',
      category: 'maintenance',
      definition: { condition: { kind: 'threshold', metric: 'motorTemp', op: '>', value: 80, deadband: 5 }, workOrder: { create: true, reopenWithinMinutes: 0 } },
    });
    // The other hub picks up the new rule on its next sweep (every 5 s) and binds it to the pump.
    for (const hub of hubs) {
      await waitFor(async () => (await hub.api<{ rules: number; bindings: number }>('/api/alarm-engine')).bindings === 1, 'both engines watch the pump', 15_000, 200);
    }
    for (let i = 0; i < EPISODES; i++) {
      for (const v of [90, 92, 94, 96]) await point(v);
      await waitFor(async () => (await count(`SELECT count(*) AS n FROM alarm_episodes`)) === i + 1, `episode ${i + 1}`);
      for (const v of [60, 61, 62, 63]) await point(v);
      const alarmId = await waitFor(async () => (await db.query<{ id: string }>(`SELECT id FROM alarms WHERE state = 'rtn_unack'`)).rows[0]?.id, `episode ${i + 1} returned`);
      await hubs[i % 2].api(`/api/alarms/${alarmId}/ack`, 'POST', { note: `ack ${i + 1}`, disposition: 'test' });
      await waitFor(async () => (await db.query(`SELECT 1 FROM alarms WHERE state = 'normal' AND NOT active`)).rowCount, `episode ${i + 1} over`);
    }
    expect(await count(`SELECT count(*) AS n FROM alarm_episodes`)).toBe(EPISODES);
    expect(await count(`SELECT count(*) AS n FROM alarm_transitions WHERE action = 'activate'`)).toBe(EPISODES);
    expect(await count(`SELECT count(*) AS n FROM work_orders WHERE source = 'alarm'`)).toBe(EPISODES);
    expect(await count(`SELECT count(*) AS n FROM alarm_episodes e JOIN work_orders w ON w.alarm_episode_id = e.id AND e.work_order_id = w.id`)).toBe(EPISODES);
    const engines = await Promise.all(hubs.map((hub) => hub.api<{ raised: number; failed: number }>('/api/alarm-engine')));
    if (shared === 'false') {
      // Both hubs decided every activation themselves: the database settled who opened the episode.
      for (const e of engines) expect(e.raised).toBeGreaterThanOrEqual(EPISODES);
    } else {
      expect(engines[0].raised + engines[1].raised).toBeGreaterThanOrEqual(EPISODES);
    }
    for (const e of engines) expect(e.failed).toBe(0);
    for (const hub of hubs) expect(hub.crashed).toBeUndefined();
  }, 120_000);
});
