import { topics } from '@warden/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { provisionAgent } from './agent-credentials.js';
import { EmbeddedBroker } from './embedded-broker.js';
import { captureLogger, connectClient, nextEvent, openTestDatabase, recording } from './test-support.js';

const address = { site: 'site-a', agent: 'agent-link' };

describe('the in-process link to the embedded broker', () => {
  let db: Database;
  let broker: EmbeddedBroker;
  let secret: string;

  beforeAll(async () => {
    const log = captureLogger();
    db = await openTestDatabase(log.logger);
    secret = (await provisionAgent(db, { id: address.agent, siteId: address.site })).secret;
    broker = new EmbeddedBroker(db, log.logger, { host: '127.0.0.1', port: 0, portFallback: false, hubId: 'link-test' });
    await broker.start();
  });
  afterAll(async () => {
    await broker?.stop();
    await db?.close();
  });

  it('acknowledges an agent only after the hub handler has finished with the message', async () => {
    let release!: () => void;
    const handled: string[] = [];
    const gate = new Promise<void>((resolve) => (release = resolve));
    await broker.link.subscribe([topics.telemetry(address)], async (_topic, payload) => {
      await gate;
      handled.push(payload.toString());
    });
    const agent = await connectClient(broker.url, { username: address.agent, password: secret, clientId: address.agent });
    let acked = false;
    const publishing = agent.publishAsync(topics.telemetry(address), 'batch-1', { qos: 1 }).then(() => (acked = true));
    // The broker holds the PUBACK while the handler waits; a PINGREQ round trip proves the broker is responsive meanwhile.
    const pong = nextEvent<[{ cmd: string }]>(agent, 'packetreceive', 'PINGRESP', 5_000, (p) => p.cmd === 'pingresp');
    agent.sendPing();
    await pong;
    expect(acked).toBe(false);
    release();
    await publishing;
    expect(handled).toEqual(['batch-1']);
    await agent.endAsync();
  });

  it('holds an agent\'s message that arrives before any hub handler is registered, and hands it to the first one', async () => {
    // As in a restarting hub: the broker listens before ingest registers its handlers, and agents reconnect at once.
    const log = captureLogger();
    const fresh = new EmbeddedBroker(db, log.logger, { host: '127.0.0.1', port: 0, portFallback: false, hubId: 'early' });
    await fresh.start();
    const agent = await connectClient(fresh.url, { username: address.agent, password: secret, clientId: address.agent });
    try {
      let acked = false;
      const publishing = agent.publishAsync(topics.telemetry(address), 'early-batch', { qos: 1 }).then(() => (acked = true));
      const deadline = Date.now() + 5_000;
      while (!log.lines.some((l) => l.msg.startsWith('message before any handler'))) {
        if (Date.now() > deadline) throw new Error('the early message was not held');
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(acked).toBe(false);
      const handled: string[] = [];
      await fresh.link.subscribe([topics.telemetry(address)], (_topic, payload) => void handled.push(payload.toString()));
      await publishing;
      expect(handled).toEqual(['early-batch']);
    } finally {
      await agent.endAsync(true);
      await fresh.stop();
    }
  });

  it('publishes to agents as the broker, reaching an agent subscribed to its commands', async () => {
    const agent = recording(await connectClient(broker.url, { username: address.agent, password: secret, clientId: `${address.agent}:cmd` }));
    await agent.client.subscribeAsync(topics.command(address), { qos: 1 });
    await broker.link.publish(topics.command(address), '{"hello":1}', { qos: 1, retain: false });
    await agent.waitFor(topics.command(address), '{"hello":1}');
    expect(broker.link.connected).toBe(true);
    await agent.client.endAsync();
  });

  it('leaves a publisher unacknowledged when the broker stops during a failing handler', async () => {
    const address2 = { site: 'site-a', agent: 'agent-link2' };
    const secret2 = (await provisionAgent(db, { id: address2.agent, siteId: address2.site })).secret;
    let calls = 0;
    let firstCall!: () => void;
    const called = new Promise<void>((resolve) => (firstCall = resolve));
    await broker.link.subscribe([topics.event(address2)], async () => {
      calls++;
      firstCall();
      throw new Error('database down');
    });
    const agent = await connectClient(broker.url, { username: address2.agent, password: secret2, clientId: address2.agent });
    let acked = false;
    void agent.publishAsync(topics.event(address2), 'e1', { qos: 1 }).then(() => (acked = true), () => {});
    await called;
    await broker.stop();
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(acked).toBe(false);
    await agent.endAsync(true);
  });
});
