import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, topics, type DecodeResult } from '@warden/protocols';
import { removeTempDirs, testConfig, testLogger } from '../testing/agent-fixtures.js';
import { startPrivateMosquitto } from '../testing/private-mosquitto.js';
import { waitFor } from '../testing/wait-for.js';
import { EdgeAgent } from './edge-agent.js';

const MOSQUITTO = { host: '127.0.0.1', port: 1883 };

/** The machine's Mosquitto, which .ci/run starts where it is not running. */
describe('EdgeAgent against Mosquitto (MQTT 5)', () => {
  let observer: MqttClient;
  const seen: Extract<DecodeResult, { ok: true }>[] = [];
  const site = 'test-site';
  const config = testConfig(`mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`);
  const address = { site, agent: config.agent };

  beforeAll(async () => {
    observer = await connectAsync(`mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`, { protocolVersion: 5, clientId: `${config.agent}:observer-${randomUUID().slice(0, 8)}` });
    observer.on('message', (topic, payload) => {
      const result = decode(topic, payload);
      if (result.ok) seen.push(result);
    });
    await observer.subscribeAsync(`warden/v1/${site}/${config.agent}/#`, { qos: 1 });
  });

  afterAll(async () => {
    // Leave no retained state behind on the shared broker.
    await observer.publishAsync(topics.state(address), '', { qos: 1, retain: true });
    await observer.endAsync();
    removeTempDirs();
  });

  it('connects with MQTT 5, sends births and telemetry, answers a command and says goodbye on stop', async () => {
    const agent = new EdgeAgent(config, { logger: testLogger });
    await agent.start();
    try {
      await waitFor(() => seen.filter((m) => m.kind === 'deviceBirth').length >= 4 && seen.some((m) => m.kind === 'telemetry'), 5000, 'births and telemetry');
      expect(agent.status().protocolVersion).toBe(5);
      const online = seen.find((m) => m.kind === 'state');
      expect(online?.message).toMatchObject({ state: 'online', session: agent.status().session, nextSeq: 0 });

      const id = randomUUID();
      const command = encode('command', address, { v: 1, id, ts: Date.now(), name: 'setpoint', device: 'pump-1', params: { metric: 'pressureSetpoint', value: 480 } });
      await observer.publishAsync(command.topic, command.payload, command.options);
      const ack = await waitFor(() => seen.find((m) => m.kind === 'commandAck' && m.message.id === id), 5000, 'the ack');
      expect(ack.message).toMatchObject({ result: 'ok' });
    } finally {
      await agent.stop();
    }
    const session = (seen.find((m) => m.kind === 'state')!.message as { session: string }).session;
    const goodbye = await waitFor(() => seen.find((m) => m.kind === 'state' && m.message.state === 'offline'), 5000, 'the offline state');
    expect(goodbye.message).toMatchObject({ session });
    expect(agent.status().queue.pending).toBe(0);
  });
});

describe('EdgeAgent against a Mosquitto with no hub subscribed (MQTT 5)', () => {
  // Mosquitto accepts a publish nobody subscribes to with PUBACK reason 0x10 and discards it: as after a
  // broker restart, before the hubs have made their (shared) subscriptions again.
  it('keeps what the broker accepted with no subscriber queued, and delivers it once one subscribes', async () => {
    const broker = await startPrivateMosquitto();
    const config = testConfig(broker.url);
    const agent = new EdgeAgent(config, { logger: testLogger });
    const seqs = new Set<number>();
    let observer: MqttClient | undefined;
    try {
      await agent.start();
      await waitFor(() => agent.status().outbox.noSubscriber > 0, 5000, 'a publish answered "no matching subscribers"');
      expect(agent.status().queue.ackedThrough).toBe(-1);

      observer = await connectAsync(broker.url, { protocolVersion: 5, clientId: `${config.agent}:hub` });
      observer.on('message', (topic, payload) => {
        const result = decode(topic, payload);
        if (result.ok && (result.kind === 'deviceBirth' || result.kind === 'telemetry' || result.kind === 'event')) seqs.add(result.message.seq);
      });
      await observer.subscribeAsync(`warden/v1/${config.site}/${config.agent}/#`, { qos: 1 });
      await waitFor(() => agent.status().queue.ackedThrough > 10, 10_000, 'the queue to move again');
    } finally {
      await agent.stop();
      await observer?.endAsync();
      await broker.stop();
      removeTempDirs();
    }
    const { queue } = agent.status();
    expect(queue.pending).toBe(0);
    const missing = Array.from({ length: queue.nextSeq }, (_, seq) => seq).filter((seq) => !seqs.has(seq));
    expect(missing).toEqual([]);
  });
});
