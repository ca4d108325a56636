import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { encode, topics } from '@warden/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importEstate } from '../src/records/index.js';
import { startMosquitto, type Mosquitto } from './support/mosquitto.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

/**
 * The hub against Mosquitto configured as in docker-compose (password file, the
 * compose ACL): the production path, run here with the real broker binary.
 */
describe('hub with Mosquitto as the external broker', () => {
  let broker: Mosquitto;
  let hub: TestHub;
  const site = 'site-x';
  const agentA = { site, agent: 'agent-bldg-a' };
  const agentB = { site, agent: 'agent-bldg-b' };
  const secrets = { hub: 'hub-secret-1', 'agent-bldg-a': 'secret-a', 'agent-bldg-b': 'secret-b' };
  const clients: mqtt.MqttClient[] = [];
  const connect = async (username: keyof typeof secrets, clientId: string) => {
    const c = await mqtt.connectAsync(broker.url, { username, password: secrets[username], clientId, protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    broker = await startMosquitto(secrets);
    hub = await startTestHub('postgres', { MQTT_URL: broker.url, MQTT_USERNAME: 'hub', MQTT_PASSWORD: secrets.hub, HUB_ID: `t-${randomUUID().slice(0, 8)}` });
    await importEstate(hub.db, {
      site: { id: site, name: 'X' },
      seed: 1,
      utcOffsetMin: 480,
      scenario: [],
      buildings: [
        { id: 'bldg-a', name: 'A', floors: 2, basements: 0, devices: [] },
        { id: 'bldg-b', name: 'B', floors: 2, basements: 0, devices: [] },
      ],
    } as never);
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await hub?.close();
    await broker?.close();
  });

  it('is ready, with the broker reported as external, and subscribes through a shared subscription', async () => {
    const ready = await hub.http.inject({ url: '/api/ready' });
    expect(ready.json()).toMatchObject({ status: 'ready', broker: { ok: true, kind: 'external' } });
    expect(hub.link.sharedSubscriptions).toBe(true);
  });

  it('ingests what an agent publishes under its own prefix', async () => {
    const agent = await connect('agent-bldg-a', 'agent-bldg-a');
    const msg = encode('telemetry', agentA, { v: 1, msgId: randomUUID(), seq: 1, ts: Date.now(), points: [{ device: 'm-1', metric: 'energy', ts: Date.now(), value: 12.5 }] });
    await agent.publishAsync(msg.topic, msg.payload, { qos: 1 });
    await waitFor(async () => (await hub.db.query('SELECT 1 FROM telemetry WHERE value = 12.5')).rows.length === 1, 'the point stored');
  });

  it('drops, by the compose ACL, what an agent publishes under another agent\'s prefix', async () => {
    const spy = await connect('hub', 'acl-spy');
    await spy.subscribeAsync('warden/#', { qos: 1 });
    const intruder = await connect('agent-bldg-a', 'agent-bldg-a:intruder');
    const forged = encode('telemetry', agentB, { v: 1, msgId: randomUUID(), seq: 1, ts: Date.now(), points: [{ device: 'm-2', metric: 'energy', ts: Date.now(), value: 666 }] });
    // MQTT 5: Mosquitto answers the PUBACK with reason "Not authorized" and drops the message.
    await expect(intruder.publishAsync(forged.topic, forged.payload, { qos: 1 })).rejects.toThrow(/Not authorized/);
    const own = encode('event', agentA, { v: 1, msgId: randomUUID(), seq: 2, ts: Date.now(), device: 'door-1', kind: 'door.opened' });
    const seen: string[] = [];
    spy.on('message', (topic) => seen.push(topic));
    await intruder.publishAsync(own.topic, own.payload, { qos: 1 });
    // Mosquitto delivers in order: once the later, allowed message arrived, the forged one never will.
    await waitFor(() => seen.includes(own.topic), 'the allowed event');
    expect(seen).not.toContain(forged.topic);
    expect((await hub.db.query('SELECT 1 FROM telemetry WHERE value = 666')).rows).toEqual([]);
  });

  it('refuses a wrong password at the broker', async () => {
    await expect(mqtt.connectAsync(broker.url, { username: 'agent-bldg-a', password: 'nope', reconnectPeriod: 0, protocolVersion: 5 })).rejects.toThrow(/Bad User Name or Password|Not authorized/i);
  });

  it('keeps an agent from reading another agent\'s commands', async () => {
    const agent = await connect('agent-bldg-b', 'agent-bldg-b');
    // Mosquitto grants the subscription but applies the read ACL to every delivery.
    await agent.subscribeAsync([topics.command(agentB), topics.command(agentA)], { qos: 1 });
    const seen: string[] = [];
    agent.on('message', (topic) => seen.push(topic));
    await hub.link.publish(topics.command(agentA), 'for a', { qos: 1, retain: false });
    await hub.link.publish(topics.command(agentB), 'for b', { qos: 1, retain: false });
    await waitFor(() => seen.includes(topics.command(agentB)), 'its own command');
    expect(seen).toEqual([topics.command(agentB)]);
  });
});
