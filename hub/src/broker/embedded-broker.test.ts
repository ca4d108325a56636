import net from 'node:net';
import type mqtt from 'mqtt';
import { topics } from '@warden/protocols';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { provisionAgent } from './agent-credentials.js';
import { EmbeddedBroker } from './embedded-broker.js';
import {
  captureLogger,
  connectClient,
  nextEvent,
  openTestDatabase,
  recording,
  refusedConnect,
  subscribeCodes,
  type CapturedLogger,
  type RecordingClient,
} from './test-support.js';

const site = 'site-a';
const alpha = { site, agent: 'agent-alpha' };
const beta = { site, agent: 'agent-beta' };

describe('embedded broker', () => {
  let db: Database;
  let log: CapturedLogger;
  let broker: EmbeddedBroker;
  let secrets: Record<string, string>;
  /** The hub's own client, subscribed to everything under warden/. */
  let hub: RecordingClient;
  const opened: mqtt.MqttClient[] = [];

  const connect = async (options: mqtt.IClientOptions): Promise<mqtt.MqttClient> => {
    const client = await connectClient(broker.url, options);
    opened.push(client);
    return client;
  };
  const connectAgent = (agent: string, options: mqtt.IClientOptions = {}) =>
    connect({ username: agent, password: secrets[agent], clientId: agent, ...options });
  /**
   * Delivery is in order through aedes: once a later message from a well-behaved
   * agent reached the hub, an earlier one that had not arrived never will.
   */
  const barrier = async (label: string): Promise<void> => {
    const client = await connectAgent(beta.agent, { clientId: `${beta.agent}:barrier-${label}` });
    await client.publishAsync(topics.event(beta), `barrier ${label}`, { qos: 1 });
    await hub.waitFor(topics.event(beta), `barrier ${label}`);
  };

  beforeAll(async () => {
    log = captureLogger();
    db = await openTestDatabase(log.logger, site);
    secrets = {};
    for (const agent of [alpha.agent, beta.agent, 'agent-off']) secrets[agent] = (await provisionAgent(db, { id: agent, siteId: site })).secret;
    await db.query(`UPDATE agents SET enabled = false WHERE id = 'agent-off'`);
    broker = new EmbeddedBroker(db, log.logger, { host: '127.0.0.1', port: 0, portFallback: false, hubId: 'test', inProcessHandlers: false });
    await broker.start();
    hub = recording(await connect({ ...broker.hubCredentials, clientId: 'warden-hub-test' }));
    expect(await subscribeCodes(hub.client, ['warden/#'])).toEqual([1]);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(1).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.endAsync(true)));
    await broker?.stop();
    await db?.close();
  });

  it('refuses a wrong secret with CONNACK 4, logs and counts it, never logging the secret', async () => {
    const before = broker.stats().authFailures;
    const wrong = 'not-the-secret-0123456789';
    const err = await refusedConnect(broker.url, { username: alpha.agent, password: wrong, clientId: alpha.agent });
    expect(err.code).toBe(4);
    expect(err.message).toMatch(/bad username or password/i);
    expect(broker.stats().authFailures).toBe(before + 1);
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'MQTT login refused', username: alpha.agent, clientId: alpha.agent }));
    expect(log.raw()).not.toContain(wrong);
    expect(log.raw()).not.toContain(secrets[alpha.agent]);
  });

  it('refuses a client without credentials', async () => {
    const err = await refusedConnect(broker.url, { clientId: 'anonymous' });
    expect(err.code).toBe(4);
    const noPassword = await refusedConnect(broker.url, { username: alpha.agent, clientId: alpha.agent });
    expect(noPassword.code).toBe(4);
  });

  it('refuses a disabled agent with its right secret', async () => {
    const err = await refusedConnect(broker.url, { username: 'agent-off', password: secrets['agent-off'], clientId: 'agent-off' });
    expect(err.code).toBe(4);
  });

  it("refuses an agent using another agent's or the hub's client id", async () => {
    const err = await refusedConnect(broker.url, { username: alpha.agent, password: secrets[alpha.agent], clientId: beta.agent });
    expect(err.code).toBe(2);
    const hubId = await refusedConnect(broker.url, { username: alpha.agent, password: secrets[alpha.agent], clientId: 'warden-hub-test' });
    expect(hubId.code).toBe(2);
    expect(hub.client.connected).toBe(true);
  });

  it('refuses MQTT 5 clients: aedes 1.2 speaks MQTT 3.1.1 only', async () => {
    const err = await refusedConnect(broker.url, { protocolVersion: 5, username: alpha.agent, password: secrets[alpha.agent], clientId: alpha.agent });
    expect(err.message).toMatch(/unacceptable protocol version/i);
  });

  it('delivers what an agent publishes under its own prefix', async () => {
    const agent = await connectAgent(alpha.agent);
    await agent.publishAsync(topics.telemetry(alpha), 'own-1', { qos: 1 });
    await hub.waitFor(topics.telemetry(alpha), 'own-1');
  });

  it("closes the connection of an agent publishing under another agent's prefix, and delivers nothing", async () => {
    const before = broker.stats().publishDenied;
    const agent = await connectAgent(alpha.agent);
    const closed = nextEvent(agent, 'close', 'the broker closing the offending connection');
    let acked = false;
    agent.publish(topics.telemetry(beta), 'forged-1', { qos: 1 }, (err) => (acked = !err));
    await closed;
    // MQTT 3.1.1 has no negative PUBACK: aedes sends none and drops the connection (MQTT-3.3.5-2).
    expect(acked).toBe(false);
    expect(broker.stats().publishDenied).toBe(before + 1);
    await barrier('forged');
    expect(hub.received.map((m) => m.payload)).not.toContain('forged-1');
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'MQTT publish refused', topic: topics.telemetry(beta) }));
  });

  it('refuses an agent publishing to its own command topic', async () => {
    const agent = await connectAgent(alpha.agent);
    const closed = nextEvent(agent, 'close', 'the broker closing the offending connection');
    agent.publish(topics.command(alpha), 'self-command', { qos: 0 });
    await closed;
    await barrier('self-command');
    expect(hub.received.map((m) => m.payload)).not.toContain('self-command');
  });

  it('refuses $SYS publishes, even from the hub', async () => {
    const client = await connect({ ...broker.hubCredentials, clientId: 'warden-hub-test-sys' });
    const closed = nextEvent(client, 'close', 'the broker closing the offending connection');
    client.publish('$SYS/forged', 'x', { qos: 0 });
    await closed;
  });

  it("answers 0x80 to an agent subscribing to another agent's commands (or anything else), and grants its own", async () => {
    const before = broker.stats().subscribeDenied;
    const agent = recording(await connectAgent(alpha.agent));
    expect(await subscribeCodes(agent.client, [topics.command(beta), 'warden/#', topics.command(alpha)])).toEqual([0x80, 0x80, 1]);
    expect(broker.stats().subscribeDenied).toBe(before + 2);
    // The refusal keeps the connection: the granted subscription works.
    await hub.client.publishAsync(topics.command(beta), 'for-beta', { qos: 1 });
    await hub.client.publishAsync(topics.command(alpha), 'for-alpha', { qos: 1 });
    await agent.waitFor(topics.command(alpha), 'for-alpha');
    expect(agent.received).toEqual([{ topic: topics.command(alpha), payload: 'for-alpha' }]);
  });

  it('lets the hub publish commands to agents and subscribe to anything', async () => {
    const client = recording(await connect({ ...broker.hubCredentials, clientId: 'warden-hub-test-2' }));
    expect(await subscribeCodes(client.client, [topics.command(alpha), 'warden/v1/+/+/telemetry'])).toEqual([1, 1]);
    await client.client.publishAsync(topics.command(alpha), 'cmd-by-hub', { qos: 1 });
    await client.waitFor(topics.command(alpha), 'cmd-by-hub');
    const agent = await connectAgent(beta.agent);
    await agent.publishAsync(topics.telemetry(beta), 'tele-beta', { qos: 1 });
    await client.waitFor(topics.telemetry(beta), 'tele-beta');
  });

  it("refuses at CONNECT a Last Will under another agent's prefix, so it is never delivered", async () => {
    const err = await refusedConnect(broker.url, {
      username: alpha.agent,
      password: secrets[alpha.agent],
      clientId: alpha.agent,
      will: { topic: topics.state(beta), payload: Buffer.from('forged-will'), qos: 1, retain: true },
    });
    expect(err.code).toBe(5);
    await barrier('will');
    expect(hub.received.map((m) => m.payload)).not.toContain('forged-will');
  });

  it('delivers a Last Will under the agent’s own prefix when the connection drops', async () => {
    const agent = await connectAgent(alpha.agent, { will: { topic: topics.state(alpha), payload: Buffer.from('alpha-died'), qos: 1, retain: false } });
    agent.stream.destroy();
    await hub.waitFor(topics.state(alpha), 'alpha-died');
  });

  it('treats $share/{group}/{filter} as a literal filter: it receives nothing agents publish', async () => {
    const sharer = recording(await connect({ ...broker.hubCredentials, clientId: 'warden-hub-test-share' }));
    expect(await subscribeCodes(sharer.client, [`$share/g/${topics.telemetry(alpha)}`, 'probe/done'])).toEqual([1, 1]);
    const agent = await connectAgent(alpha.agent);
    await agent.publishAsync(topics.telemetry(alpha), 'shared-probe', { qos: 1 });
    await hub.waitFor(topics.telemetry(alpha), 'shared-probe');
    await sharer.client.publishAsync('probe/done', 'done', { qos: 1 });
    await sharer.waitFor('probe/done', 'done');
    expect(sharer.received.map((m) => m.payload)).toEqual(['done']);
  });

  it('counts connected clients', () => {
    expect(broker.stats().connectedClients).toBeGreaterThanOrEqual(1);
  });
});

describe('embedded broker port', () => {
  let db: Database;
  let log: CapturedLogger;
  let occupier: net.Server;
  let taken: number;

  beforeAll(async () => {
    log = captureLogger();
    db = await openTestDatabase(log.logger);
    occupier = net.createServer();
    await new Promise<void>((resolve) => occupier.listen(0, '127.0.0.1', resolve));
    taken = (occupier.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => occupier.close(resolve));
    await db.close();
  });

  it('falls back to a free port when MQTT_PORT is taken and MQTT_PORT_FALLBACK is on, warning with both ports', async () => {
    const broker = new EmbeddedBroker(db, log.logger, { host: '127.0.0.1', port: taken, portFallback: true, hubId: 'fallback' });
    await broker.start();
    try {
      expect(broker.port).not.toBe(taken);
      expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
      const warning = log.lines.find((l) => l.level === 40 && l.requestedPort === taken);
      expect(warning?.msg).toContain(`MQTT_PORT ${taken} is in use`);
      expect(warning?.msg).toContain(`port ${broker.port} instead`);
      const client = await connectClient(broker.url, { ...broker.hubCredentials, clientId: 'warden-hub-fallback' });
      await client.endAsync();
    } finally {
      await broker.stop();
    }
  });

  it('fails with an error naming MQTT_PORT when the port is taken and fallback is off', async () => {
    const broker = new EmbeddedBroker(db, log.logger, { host: '127.0.0.1', port: taken, portFallback: false, hubId: 'nofallback' });
    await expect(broker.start()).rejects.toThrow(new RegExp(`MQTT_PORT ${taken} on 127.0.0.1 is already in use.*MQTT_PORT_FALLBACK=true`));
    expect(() => broker.port).toThrow(/not started/);
    await broker.stop();
  });

  it('releases its port and connections on stop', async () => {
    const broker = new EmbeddedBroker(db, log.logger, { host: '127.0.0.1', port: 0, portFallback: false, hubId: 'stopper' });
    await broker.start();
    const port = broker.port;
    const client = await connectClient(broker.url, { ...broker.hubCredentials, clientId: 'warden-hub-stopper' });
    const closed = nextEvent(client, 'close', 'the client losing its connection');
    // A socket that never sends CONNECT must not hold stop() up either.
    const silent = net.connect(port, '127.0.0.1');
    await nextEvent(silent, 'connect', 'a raw TCP connection');
    await broker.stop();
    await closed;
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => again.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => again.close(resolve));
    silent.destroy();
  });
});
