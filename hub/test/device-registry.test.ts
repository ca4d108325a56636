import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { decode, encode, topics } from '@warden/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionAgent } from '../src/broker/index.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

const site = 'site-r';
const address = { site, agent: 'agent-r1' };

/** Online/offline from agent births and deaths, heartbeats and sequence gaps, on the embedded broker. */
describe('device registry', () => {
  let hub: TestHub;
  let secret: string;
  const clients: mqtt.MqttClient[] = [];
  const agentState = async () => (await hub.db.query<{ online: boolean; session: string | null }>('SELECT online, session FROM agents WHERE id = $1', [address.agent])).rows[0];
  const deviceOnline = async (code: string) => (await hub.db.query<{ online: boolean }>('SELECT online FROM devices WHERE code = $1', [code])).rows[0]?.online;

  /** Connects like an agent: retained online state with a Last Will carrying the same session. */
  const connectAgent = async (session: string, clientId = address.agent) => {
    const will = encode('state', address, { v: 1, state: 'offline', ts: Date.now(), session });
    const client = await mqtt.connectAsync(hub.mqttUrl, {
      username: address.agent,
      password: secret,
      clientId,
      protocolVersion: 4,
      reconnectPeriod: 0,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true },
    });
    clients.push(client);
    const online = encode('state', address, { v: 1, state: 'online', ts: Date.now(), session, nextSeq: 0 });
    await client.publishAsync(online.topic, online.payload, online.options);
    return client;
  };
  const birth = (client: mqtt.MqttClient, device: string, seq: number, heartbeatSec?: number) => {
    const msg = encode('deviceBirth', address, { v: 1, msgId: randomUUID(), seq, ts: Date.now(), device: { id: device, type: 'sensor.temperature', name: device }, metrics: [{ name: 'temperature', type: 'number', unit: 'Cel' }], heartbeatSec });
    return client.publishAsync(msg.topic, msg.payload, msg.options);
  };

  beforeAll(async () => {
    hub = await startTestHub('pglite');
    await upsertSite(hub.db, { id: site, name: 'R' });
    await upsertBuilding(hub.db, { id: 'bldg-r', siteId: site, name: 'R' });
    secret = (await provisionAgent(hub.db, { id: address.agent, siteId: site, buildingId: 'bldg-r' })).secret;
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await hub?.close();
  });

  it('marks the agent online from its birth, and it and its devices offline from its Last Will', async () => {
    const client = await connectAgent('s1');
    await birth(client, 'temp-1', 0);
    await waitFor(async () => (await agentState())?.online && (await deviceOnline('temp-1')), 'agent and device online');
    expect((await agentState()).session).toBe('s1');
    // An abrupt loss of the connection: the broker publishes the Last Will.
    client.stream.destroy();
    await waitFor(async () => (await agentState()).online === false, 'agent offline from its Last Will');
    expect(await deviceOnline('temp-1')).toBe(false);
  });

  it('ignores a late offline state from an older session of the agent', async () => {
    const client = await connectAgent('s2');
    await waitFor(async () => (await agentState()).session === 's2' && (await agentState()).online, 'new session online');
    const stale = encode('state', address, { v: 1, state: 'offline', ts: Date.now(), session: 's1' });
    await client.publishAsync(stale.topic, stale.payload, stale.options);
    // A later message of the current session proves the stale one was handled before it.
    await birth(client, 'temp-2', 0);
    await waitFor(() => deviceOnline('temp-2'), 'the later birth');
    expect(await agentState()).toEqual({ online: true, session: 's2' });
  });

  it('asks the agent to rebirth when a sequence number is skipped', async () => {
    const client = await connectAgent('s3', `${address.agent}:s3`);
    const commands: string[] = [];
    client.on('message', (topic, payload) => {
      const r = decode(topic, payload);
      if (r.ok && r.kind === 'command') commands.push(r.message.name);
    });
    await client.subscribeAsync(topics.command(address), { qos: 1 });
    await birth(client, 'temp-3', 0);
    const telemetry = encode('telemetry', address, { v: 1, msgId: randomUUID(), seq: 5, ts: Date.now(), points: [{ device: 'temp-3', metric: 'temperature', ts: Date.now(), value: 21 }] });
    await client.publishAsync(telemetry.topic, telemetry.payload, telemetry.options);
    await waitFor(() => commands.includes('rebirth'), 'a rebirth command');
    expect(hub.ingest.stats().sequenceGaps).toBeGreaterThanOrEqual(1);
  });

  it('does not take messages that overtook each other inside the hub for a gap', async () => {
    const client = await connectAgent('s5', `${address.agent}:s5`);
    await birth(client, 'temp-5', 0);
    await waitFor(() => deviceOnline('temp-5'), 'device online');
    const gaps = hub.ingest.stats().sequenceGaps;
    // seq 2 arrives before seq 1, as an event can overtake telemetry waiting for room in the writer.
    const event = encode('event', address, { v: 1, msgId: randomUUID(), seq: 2, ts: Date.now(), device: 'temp-5', kind: 'sensor.alarm' });
    await client.publishAsync(event.topic, event.payload, event.options);
    await waitFor(() => hub.ingest.stats().seqsAwaited === 1, 'seq 1 awaited');
    const telemetry = encode('telemetry', address, { v: 1, msgId: randomUUID(), seq: 1, ts: Date.now(), points: [{ device: 'temp-5', metric: 'temperature', ts: Date.now(), value: 20 }] });
    await client.publishAsync(telemetry.topic, telemetry.payload, telemetry.options);
    await waitFor(() => hub.ingest.stats().seqsAwaited === 0, 'seq 1 arrived');
    expect(hub.ingest.stats().sequenceGaps).toBe(gaps);
  });

  it('marks a device offline after three missed heartbeats', async () => {
    const client = await connectAgent('s4', `${address.agent}:s4`);
    await birth(client, 'temp-4', 0, 1);
    await waitFor(() => deviceOnline('temp-4'), 'device online');
    await hub.db.query(`UPDATE devices SET last_seen_at = now() - interval '20 seconds' WHERE code = 'temp-4'`);
    const offline: number[] = [];
    const off = hub.bus.on('device.online', (e) => !e.online && offline.push(e.deviceId));
    await hub.registry.checkHeartbeats();
    off();
    expect(await deviceOnline('temp-4')).toBe(false);
    expect(offline).toHaveLength(1);
  });
});
