import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { topics } from '@warden/protocols';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { provisionAgent } from './agent-credentials.js';
import { BrokerLink, topicMatches, type BrokerLinkOptions, type MessageHandler } from './broker-link.js';
import { EmbeddedBroker } from './embedded-broker.js';
import { captureLogger, connectClient, nextEvent, openTestDatabase, recording, until, type CapturedLogger } from './test-support.js';

const MOSQUITTO_URL = process.env.WARDEN_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

/** Polls the captured log until a line matches; rejects after the bound. */
async function waitForLog(log: CapturedLogger, match: (line: CapturedLogger['lines'][number]) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!log.lines.some(match)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Records handler calls and lets a test wait for them. */
class HandlerProbe extends EventEmitter {
  readonly calls: { topic: string; payload: string }[] = [];
  handler(behaviour: (payload: string, call: number) => void | Promise<void> = () => {}): MessageHandler {
    return async (topic, payload) => {
      const text = payload.toString();
      this.calls.push({ topic, payload: text });
      this.emit('call');
      await behaviour(text, this.calls.length);
    };
  }
  payloads(): string[] {
    return this.calls.map((c) => c.payload);
  }
  waitFor(payload: string, timeoutMs = 10_000): Promise<void> {
    return until(this, 'call', () => this.payloads().includes(payload), `the handler to receive ${payload}`, timeoutMs);
  }
}

describe('broker link to an external broker (Mosquitto, MQTT 5)', () => {
  const log = captureLogger();
  const links: BrokerLink[] = [];
  const hubIds: string[] = [];
  let publisher: mqtt.MqttClient;
  let base: string;

  const newLink = (hubId: string, options: Partial<BrokerLinkOptions> = {}): BrokerLink => {
    if (!hubIds.includes(hubId)) hubIds.push(hubId);
    const link = new BrokerLink(log.logger, {
      url: MOSQUITTO_URL,
      external: true,
      hubId,
      sharedSubscriptions: 'auto',
      sharedGroup: `g${randomUUID().slice(0, 8)}`,
      sessionExpirySeconds: 120,
      ...options,
    });
    links.push(link);
    return link;
  };

  beforeAll(async () => {
    publisher = await mqtt.connectAsync(MOSQUITTO_URL, { protocolVersion: 5, reconnectPeriod: 0 });
  });
  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.stop()));
    // Drop the persistent sessions the links left at the broker.
    for (const hubId of hubIds.splice(0)) {
      const cleaner = await mqtt.connectAsync(MOSQUITTO_URL, { protocolVersion: 5, clientId: `warden-hub-${hubId}`, clean: true, reconnectPeriod: 0, properties: { sessionExpiryInterval: 0 } });
      await cleaner.endAsync();
    }
  });
  afterAll(async () => {
    await publisher?.endAsync();
  });
  beforeAll(() => {
    base = `warden-test/${randomUUID()}`;
  });

  it('delivers messages to the handler one at a time, in order, with shared subscriptions under auto', async () => {
    const probe = new HandlerProbe();
    let running = 0;
    let maxRunning = 0;
    const link = newLink(`t-order-${randomUUID().slice(0, 8)}`);
    await link.subscribe([`${base}/order/+/telemetry`], probe.handler(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      // Yield to the event loop a few times, as a database write would.
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      running--;
    }));
    await link.start();
    expect(link.connected).toBe(true);
    expect(link.sharedSubscriptions).toBe(true);
    expect(await link.ping()).toBe(true);

    const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const payload of sent) await publisher.publishAsync(`${base}/order/a1/telemetry`, payload, { qos: 1 });
    await probe.waitFor('m19');
    expect(probe.payloads()).toEqual(sent);
    expect(probe.calls[0].topic).toBe(`${base}/order/a1/telemetry`);
    expect(maxRunning).toBe(1);
    expect(link.stats()).toMatchObject({ connected: true, received: 20, handlerFailures: 0, unrouted: 0 });
  });

  it('splits a shared subscription between two hubs: every message handled exactly once', async () => {
    const group = `g${randomUUID().slice(0, 8)}`;
    const probes = [new HandlerProbe(), new HandlerProbe()];
    for (const [i, probe] of probes.entries()) {
      const link = newLink(`t-share-${i}-${randomUUID().slice(0, 8)}`, { sharedGroup: group });
      await link.subscribe([`${base}/share/+/telemetry`], probe.handler());
      await link.start();
    }
    const sent = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const payload of sent) await publisher.publishAsync(`${base}/share/a1/telemetry`, payload, { qos: 1 });
    const all = (): string[] => [...probes[0].payloads(), ...probes[1].payloads()];
    await Promise.race([until(probes[0], 'call', () => all().length >= 10, 'ten handled messages'), until(probes[1], 'call', () => all().length >= 10, 'ten handled messages')]);
    expect(all().sort()).toEqual([...sent].sort());
    // Mosquitto hands a group's messages out in turn.
    expect(probes[0].calls.length).toBeGreaterThan(0);
    expect(probes[1].calls.length).toBeGreaterThan(0);
  });

  it('keeps every hub subscribed to filters marked not shared', async () => {
    const probes = [new HandlerProbe(), new HandlerProbe()];
    const group = `g${randomUUID().slice(0, 8)}`;
    for (const [i, probe] of probes.entries()) {
      const link = newLink(`t-noshare-${i}-${randomUUID().slice(0, 8)}`, { sharedGroup: group });
      await link.subscribe([`${base}/noshare/+/state`], probe.handler(), { shared: false });
      await link.start();
    }
    await publisher.publishAsync(`${base}/noshare/a1/state`, 'online', { qos: 1 });
    await probes[0].waitFor('online');
    await probes[1].waitFor('online');
  });

  it('retries a failing handler until it succeeds, then acknowledges the message once', async () => {
    const hubId = `t-retry-${randomUUID().slice(0, 8)}`;
    const probe = new HandlerProbe();
    const link = newLink(hubId, { sharedSubscriptions: 'false' });
    await link.subscribe([`${base}/retry/+/event`], probe.handler((_payload, call) => {
      if (call === 1) throw new Error('database unavailable');
    }));
    await link.start();
    await publisher.publishAsync(`${base}/retry/a1/event`, 'r1', { qos: 1 });
    await until(probe, 'call', () => probe.calls.length >= 2, 'the retry');
    expect(probe.payloads()).toEqual(['r1', 'r1']);
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('message handler failed; retrying'), topic: `${base}/retry/a1/event` }));
    await link.stop();

    // Acknowledged: the resumed session redelivers nothing; the next message arrives first.
    const again = new HandlerProbe();
    const next = newLink(hubId, { sharedSubscriptions: 'false' });
    await next.subscribe([`${base}/retry/+/event`], again.handler());
    await next.start();
    await publisher.publishAsync(`${base}/retry/a1/event`, 'r2', { qos: 1 });
    await again.waitFor('r2');
    expect(again.payloads()).toEqual(['r2']);
    expect(link.stats().handlerFailures).toBe(1);
  });

  it('keeps messages published while the hub was away, in its session', async () => {
    const hubId = `t-away-${randomUUID().slice(0, 8)}`;
    const first = newLink(hubId, { sharedSubscriptions: 'false' });
    await first.subscribe([`${base}/away/+/event`], new HandlerProbe().handler());
    await first.start();
    await first.stop();
    await publisher.publishAsync(`${base}/away/a1/event`, 'while-away', { qos: 1 });
    const probe = new HandlerProbe();
    const second = newLink(hubId, { sharedSubscriptions: 'false' });
    await second.subscribe([`${base}/away/+/event`], probe.handler());
    await second.start();
    await probe.waitFor('while-away');
  });

  it('keeps what the session queued while the hub was away when the routes come after start(), as in the hub', async () => {
    const hubId = `t-late-${randomUUID().slice(0, 8)}`;
    const first = newLink(hubId, { sharedSubscriptions: 'false' });
    await first.subscribe([`${base}/late/+/event`, `${base}/late/+/state`], new HandlerProbe().handler());
    await first.start();
    await first.stop();
    await publisher.publishAsync(`${base}/late/a1/event`, 'queued-1', { qos: 1 });
    await publisher.publishAsync(`${base}/late/a1/state`, 'queued-2', { qos: 1 });
    // The hub starts its link before ingest registers routes: the resumed session delivers right after CONNACK.
    const second = newLink(hubId, { sharedSubscriptions: 'false' });
    await second.start();
    await waitForLog(log, (l) => l.msg.startsWith('message before any route') && l.topic === `${base}/late/a1/event`, 'the queued message held');
    const events = new HandlerProbe();
    const states = new HandlerProbe();
    await Promise.all([second.subscribe([`${base}/late/+/event`], events.handler()), second.subscribe([`${base}/late/+/state`], states.handler())]);
    await events.waitFor('queued-1');
    await states.waitFor('queued-2');
    expect(second.stats().unrouted).toBe(0);
  });

  it('redelivers a message whose handler had not finished when the link stopped', async () => {
    const hubId = `t-stop-${randomUUID().slice(0, 8)}`;
    const stuck = new HandlerProbe();
    const first = newLink(hubId, { sharedSubscriptions: 'false', drainTimeoutMs: 200 });
    await first.subscribe([`${base}/stop/+/telemetry`], stuck.handler(() => new Promise<void>(() => {})));
    await first.start();
    await publisher.publishAsync(`${base}/stop/a1/telemetry`, 'unfinished', { qos: 1 });
    await stuck.waitFor('unfinished');
    await first.stop();

    const probe = new HandlerProbe();
    const second = newLink(hubId, { sharedSubscriptions: 'false' });
    await second.subscribe([`${base}/stop/+/telemetry`], probe.handler());
    await second.start();
    await probe.waitFor('unfinished');
  });

  it('redelivers a message whose handler was mid-write when the hub process was killed', async () => {
    const hubId = `t-kill-${randomUUID().slice(0, 8)}`;
    hubIds.push(hubId);
    const filter = `${base}/kill/+/telemetry`;
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./broker-link.crash-fixture.ts', import.meta.url))], {
      env: { ...process.env, LINK_URL: MOSQUITTO_URL, LINK_HUB_ID: hubId, LINK_FILTER: filter },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = nextEvent(child, 'exit', 'the killed hub to exit', 30_000);
    try {
      await until(child.stdout, 'data', () => output.includes('ready\n'), 'the child hub to subscribe', 30_000);
      await publisher.publishAsync(`${base}/kill/a1/telemetry`, 'mid-write', { qos: 1 });
      await until(child.stdout, 'data', () => output.includes('handling mid-write\n'), 'the child hub to start handling', 10_000);
    } finally {
      child.kill('SIGKILL');
    }
    await exited;

    const probe = new HandlerProbe();
    const successor = newLink(hubId, { sharedSubscriptions: 'false' });
    await successor.subscribe([filter], probe.handler());
    await successor.start();
    await probe.waitFor('mid-write');
    expect(probe.payloads()).toEqual(['mid-write']);
  });

  it('publishes with the QoS and retain flag asked for', async () => {
    const link = newLink(`t-pub-${randomUUID().slice(0, 8)}`);
    await link.start();
    const watcher = recording(await mqtt.connectAsync(MOSQUITTO_URL, { protocolVersion: 5, reconnectPeriod: 0 }));
    try {
      const topic = `${base}/pub/a1/cmd`;
      await link.publish(topic, 'retained-cmd', { qos: 1, retain: true });
      const retained = nextEvent<[string, Buffer, mqtt.IPublishPacket]>(watcher.client, 'message', 'the retained message', 5_000);
      await watcher.client.subscribeAsync(topic, { qos: 1 });
      const [, payload, packet] = await retained;
      expect(payload.toString()).toBe('retained-cmd');
      expect(packet.retain).toBe(true);
      expect(packet.qos).toBe(1);
      await link.publish(topic, '', { qos: 1, retain: true });
    } finally {
      await watcher.client.endAsync();
    }
  });
});

describe('broker link to the embedded broker (MQTT 3.1.1)', () => {
  let log: CapturedLogger;
  let db: Database;
  let broker: EmbeddedBroker;
  let secret: string;
  const address = { site: 'site-a', agent: 'agent-link' };

  const embeddedLink = (options: Partial<BrokerLinkOptions> = {}): BrokerLink =>
    new BrokerLink(log.logger, {
      url: broker.url,
      ...broker.hubCredentials,
      external: false,
      hubId: 'embedded-test',
      sharedSubscriptions: 'auto',
      sharedGroup: 'warden',
      ...options,
    });

  beforeAll(async () => {
    log = captureLogger();
    db = await openTestDatabase(log.logger);
    secret = (await provisionAgent(db, { id: address.agent, siteId: address.site })).secret;
    broker = new EmbeddedBroker(db, log.logger, { host: '127.0.0.1', port: 0, portFallback: false, hubId: 'embedded-test', inProcessHandlers: false });
    await broker.start();
  });
  afterAll(async () => {
    await broker?.stop();
    await db?.close();
  });

  it('logs in with the hub credentials, subscribes with plain filters under auto, and exchanges messages with an agent', async () => {
    const link = embeddedLink();
    const probe = new HandlerProbe();
    await link.subscribe(['warden/v1/+/+/telemetry'], probe.handler());
    await link.start();
    try {
      expect(link.sharedSubscriptions).toBe(false);
      expect(await link.ping()).toBe(true);
      const agent = recording(await connectClient(broker.url, { username: address.agent, password: secret, clientId: address.agent }));
      try {
        await agent.client.subscribeAsync(topics.command(address), { qos: 1 });
        await agent.client.publishAsync(topics.telemetry(address), 'from-agent', { qos: 1 });
        await probe.waitFor('from-agent');
        await link.publish(topics.command(address), 'to-agent', { qos: 1 });
        await agent.waitFor(topics.command(address), 'to-agent');
      } finally {
        await agent.client.endAsync();
      }
    } finally {
      await link.stop();
    }
    expect(link.connected).toBe(false);
    expect(await link.ping()).toBe(false);
  });

  it('refuses MQTT_SHARED_SUBSCRIPTIONS=true on the embedded broker, where $share matches nothing', async () => {
    const link = embeddedLink({ sharedSubscriptions: 'true' });
    await expect(link.start()).rejects.toThrow(/MQTT_SHARED_SUBSCRIPTIONS=true needs an external MQTT broker/);
    await link.stop();
  });

  it('fails to start, naming the broker, when its login is refused', async () => {
    const link = embeddedLink({ password: 'wrong' });
    await expect(link.start()).rejects.toThrow(new RegExp(`MQTT broker at ${broker.url} refused the hub's connection: .*Bad username or password`));
    await link.stop();
  });
});

describe('topic filter matching', () => {
  it('follows MQTT wildcard rules', () => {
    expect(topicMatches('warden/v1/+/+/telemetry', 'warden/v1/s/a/telemetry')).toBe(true);
    expect(topicMatches('warden/v1/+/+/telemetry', 'warden/v1/s/a/event')).toBe(false);
    expect(topicMatches('warden/v1/+/+/device/+/birth', 'warden/v1/s/a/device/d/birth')).toBe(true);
    expect(topicMatches('warden/#', 'warden')).toBe(true);
    expect(topicMatches('warden/#', 'warden/v1/s/a/cmd/ack')).toBe(true);
    expect(topicMatches('warden/+', 'warden/v1/s')).toBe(false);
    expect(topicMatches('#', '$SYS/x')).toBe(false);
  });
});
