import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encode, topics, type Command, type TelemetryBatch } from '@warden/protocols';
import { createAdapter } from '../adapters/adapter-registry.js';
import { deviceCatalog } from '../devices/device-catalog.js';
import { TestBroker } from '../testing/test-broker.js';
import { waitFor } from '../testing/wait-for.js';
import {
  dedupe,
  pointKey,
  received,
  receivedData,
  recordingAdapters,
  removeTempDirs,
  testConfig,
  testLogger,
  type RecordedReading,
} from '../testing/agent-fixtures.js';
import { EdgeAgent, type EdgeAgentDeps } from './edge-agent.js';
import type { AgentConfig } from '../config/agent-config.schema.js';

let broker: TestBroker;
const agents: EdgeAgent[] = [];

beforeAll(async () => {
  broker = await TestBroker.start();
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  removeTempDirs();
});
afterAll(async () => {
  await broker.close();
});

function startAgent(config: AgentConfig, deps: EdgeAgentDeps = {}): Promise<EdgeAgent> {
  const agent = new EdgeAgent(config, { logger: testLogger, ...deps });
  agents.push(agent);
  return agent.start().then(() => agent);
}

function sendCommand(config: AgentConfig, command: Partial<Command> & Pick<Command, 'name'>): string {
  const id = command.id ?? randomUUID();
  const out = encode('command', { site: config.site, agent: config.agent }, { v: 1, ts: Date.now(), issuedBy: 'test', ...command, id });
  void broker.publish(out.topic, out.payload);
  return id;
}

function ackFor(config: AgentConfig, id: string) {
  return () => received(broker, config.agent, 'commandAck').find((a) => a.message.id === id)?.message;
}

/** Seqs of the data messages in arrival order must be 0, 1, 2... with no gap and no repeat. */
function expectSeqsStepByOne(seqs: number[], from = 0): void {
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => from + i));
}

describe('EdgeAgent against a real broker', () => {
  it('announces itself on connect: a retained online state with its session, then one birth per device', async () => {
    const config = testConfig(broker.url);
    const agent = await startAgent(config);
    await waitFor(() => received(broker, config.agent, 'deviceBirth').length >= 4, 5000, 'four births');

    const [state] = received(broker, config.agent, 'state');
    expect(state.message).toMatchObject({ state: 'online', nextSeq: 0, building: 'bldg-t', session: agent.status().session });
    const stateRaw = broker.messages.find((m) => m.topic === topics.state({ site: 'test-site', agent: config.agent }))!;
    expect(stateRaw).toMatchObject({ retain: true, qos: 1 });

    const births = received(broker, config.agent, 'deviceBirth').map((b) => b.message);
    expect(births.map((b) => [b.seq, b.device.id])).toEqual([
      [0, 'tank-1'],
      [1, 'pump-1'],
      [2, 'em-1'],
      [3, 'leak-1'],
    ]);
    const pump = births[1];
    expect(pump.device).toMatchObject({ type: 'pump', name: 'Pump 1', building: 'bldg-t', floor: 'B1' });
    expect(pump.metrics).toEqual(deviceCatalog.pump.metrics);
    expect(pump.capabilities).toEqual(['setpoint', 'simulate.fault']);
    expect(pump.heartbeatSec).toBe(1);
    // aedes speaks MQTT 3.1.1 only: the agent fell back from 5.
    expect(agent.status().protocolVersion).toBe(4);
  });

  it('publishes telemetry batches that decode() accepts, each data message one seq after the last', async () => {
    const config = testConfig(broker.url);
    await startAgent(config);
    await waitFor(() => received(broker, config.agent, 'telemetry').length >= 5, 5000, 'five telemetry batches');

    const raw = broker.decoded(`warden/v1/test-site/${config.agent}/`);
    expect(raw.filter((m) => !m.ok)).toEqual([]);
    const data = receivedData(broker, config.agent);
    expectSeqsStepByOne(data.map((m) => m.message.seq));
    const batches = received(broker, config.agent, 'telemetry').map((t) => t.message);
    const devices = new Set(batches.flatMap((b) => b.points.map((p) => p.device)));
    expect([...devices].sort()).toEqual(['em-1', 'leak-1', 'pump-1', 'tank-1']);
    // Live once connected; anything queued before the first connection counts as produced offline.
    const [online] = received(broker, config.agent, 'state');
    expect(batches.filter((b) => b.ts > online.message.ts).every((b) => b.historical === false)).toBe(true);
    expect(batches.filter((b) => b.ts < online.message.ts).every((b) => b.historical === true)).toBe(true);
    expect(batches.every((b) => b.points.length <= 100)).toBe(true);
  });

  it('is declared offline by its Last Will, with the same session, when its socket is cut', async () => {
    const config = testConfig(broker.url);
    const agent = await startAgent(config);
    const online = await waitFor(() => received(broker, config.agent, 'state').find((s) => s.message.state === 'online'), 5000, 'the online state');
    expect(online.message.session).toBe(agent.status().session);

    // The hub's broker knows the agent by its client id: the agent id.
    broker.dropClient(config.agent);
    const will = await waitFor(() => received(broker, config.agent, 'state').find((s) => s.message.state === 'offline'), 5000, 'the last will');
    expect(will.message.session).toBe(online.message.session);
    const willRaw = broker.messages.find((m) => m.topic.endsWith(`${config.agent}/state`) && m.payload.toString().includes('"offline"'))!;
    expect(willRaw.retain).toBe(true);

    // It comes back by itself with a new session.
    const again = await waitFor(() => received(broker, config.agent, 'state').filter((s) => s.message.state === 'online')[1], 5000, 'a second online state');
    expect(again.message.session).not.toBe(online.message.session);
  });

  it('answers every command with an ack of the same id: ok, expired, rejected, unsupported', async () => {
    const config = testConfig(broker.url);
    const agent = await startAgent(config);
    await waitFor(() => agent.status().connected && received(broker, config.agent, 'deviceBirth').length >= 4, 5000, 'connection and births');

    const ok = sendCommand(config, { name: 'setpoint', device: 'pump-1', params: { metric: 'pressureSetpoint', value: 500 }, expiresAt: Date.now() + 60_000 });
    const expired = sendCommand(config, { name: 'setpoint', device: 'pump-1', params: { metric: 'pressureSetpoint', value: 500 }, expiresAt: Date.now() - 1000 });
    const unknownDevice = sendCommand(config, { name: 'setpoint', device: 'pump-9', params: { metric: 'pressureSetpoint', value: 500 } });
    const outOfRange = sendCommand(config, { name: 'setpoint', device: 'pump-1', params: { metric: 'pressureSetpoint', value: 99_999 } });
    const notWritable = sendCommand(config, { name: 'setpoint', device: 'pump-1', params: { metric: 'motorTemp', value: 20 } });
    const unsupported = sendCommand(config, { name: 'door.unlock', device: 'em-1', params: { reason: 'test' } });

    expect(await waitFor(ackFor(config, ok), 5000, 'ok ack')).toMatchObject({ id: ok, result: 'ok', data: { metric: 'pressureSetpoint', value: 500 } });
    expect(await waitFor(ackFor(config, expired), 5000, 'expired ack')).toMatchObject({ id: expired, result: 'expired' });
    expect(await waitFor(ackFor(config, unknownDevice), 5000, 'unknown device ack')).toMatchObject({ result: 'unsupported', message: 'no device pump-9 on this agent' });
    expect(await waitFor(ackFor(config, outOfRange), 5000, 'out of range ack')).toMatchObject({ result: 'rejected', message: expect.stringContaining('100..1600') });
    expect(await waitFor(ackFor(config, notWritable), 5000, 'not writable ack')).toMatchObject({ result: 'rejected', message: expect.stringContaining('metric') });
    expect(await waitFor(ackFor(config, unsupported), 5000, 'unsupported ack')).toMatchObject({ result: 'unsupported' });
    // The set-point took effect: the pump reports the new target.
    await waitFor(
      () => received(broker, config.agent, 'telemetry').some((t) => t.message.points.some((p) => p.device === 'pump-1' && p.metric === 'pressureSetpoint' && p.value === 500)),
      5000,
      'the new set-point in telemetry',
    );

    // Answered once: a redelivered command gets the same ack again, without running twice.
    sendCommand(config, { id: ok, name: 'setpoint', device: 'pump-1', params: { metric: 'pressureSetpoint', value: 500 }, expiresAt: Date.now() + 60_000 });
    await waitFor(() => received(broker, config.agent, 'commandAck').filter((a) => a.message.id === ok).length === 2, 5000, 'the repeated ack');

    // A command that is not valid protocol still gets an answer when it has an id.
    const brokenId = randomUUID();
    await broker.publish(topics.command({ site: 'test-site', agent: config.agent }), JSON.stringify({ v: 1, id: brokenId, name: 'self-destruct' }));
    expect(await waitFor(ackFor(config, brokenId), 5000, 'invalid command ack')).toMatchObject({ result: 'rejected' });
  });

  it('republishes births on rebirth and raises an event on a simulated leak', async () => {
    const config = testConfig(broker.url);
    const agent = await startAgent(config);
    await waitFor(() => agent.status().connected && received(broker, config.agent, 'deviceBirth').length >= 4, 5000, 'births');

    const rebirth = sendCommand(config, { name: 'rebirth' });
    expect(await waitFor(ackFor(config, rebirth), 5000, 'rebirth ack')).toMatchObject({ result: 'ok', data: { devices: 4 } });
    await waitFor(() => received(broker, config.agent, 'deviceBirth').length >= 8, 5000, 'second round of births');
    // The online state again, same session.
    const states = received(broker, config.agent, 'state').map((s) => s.message);
    expect(states.map((s) => [s.state, s.session])).toEqual([
      ['online', agent.status().session],
      ['online', agent.status().session],
    ]);

    const leak = sendCommand(config, { name: 'simulate.fault', device: 'leak-1', params: { fault: 'leak' } });
    expect(await waitFor(ackFor(config, leak), 5000, 'fault ack')).toMatchObject({ result: 'ok', data: { fault: 'leak' } });
    const alarm = await waitFor(() => received(broker, config.agent, 'event').find((e) => e.message.kind === 'sensor.alarm'), 5000, 'a leak alarm event');
    expect(alarm.message).toMatchObject({ device: 'leak-1', data: { type: 'leak' }, historical: false });
    const wrongFault = sendCommand(config, { name: 'simulate.fault', device: 'leak-1', params: { fault: 'overheat' } });
    expect(await waitFor(ackFor(config, wrongFault), 5000, 'wrong fault ack')).toMatchObject({ result: 'rejected' });
    const clear = sendCommand(config, { name: 'simulate.fault', device: 'leak-1', params: { fault: 'clear' } });
    expect(await waitFor(ackFor(config, clear), 5000, 'clear ack')).toMatchObject({ result: 'ok', data: { fault: 'clear', ended: 1 } });
    await waitFor(() => received(broker, config.agent, 'event').find((e) => e.message.kind === 'sensor.alarmCleared'), 5000, 'the alarm cleared');
    const data = receivedData(broker, config.agent);
    expectSeqsStepByOne(data.map((m) => m.message.seq));
  });

  it('delivers every reading exactly once and in order across a broker outage, the replayed ones flagged historical', async () => {
    const readings: RecordedReading[] = [];
    const config = testConfig(broker.url);
    const agent = await startAgent(config, { createAdapter: recordingAdapters(readings) });
    await waitFor(() => received(broker, config.agent, 'telemetry').length >= 3, 5000, 'live telemetry');

    await broker.goDown();
    await waitFor(() => !agent.status().connected, 5000, 'the agent to notice the outage');
    const offlineSince = Date.now();
    const collectedBefore = agent.status().pointsCollected;
    await waitFor(() => agent.status().pointsCollected > collectedBefore + 200 && agent.status().queue.pending > 5, 10_000, 'readings collected during the outage');
    await broker.comeBack();
    await waitFor(() => agent.status().connected, 5000, 'reconnection');
    const collectedAtReconnect = agent.status().pointsCollected;
    await waitFor(() => agent.status().pointsCollected > collectedAtReconnect + 50, 5000, 'live readings after the outage');
    await agent.stop();

    const data = receivedData(broker, config.agent);
    const unique = dedupe(data);
    expectSeqsStepByOne(unique.map((m) => m.message.seq));
    // Redeliveries (a PUBACK lost in the cut) carry the same msgId and seq; at most the in-flight window.
    expect(data.length - unique.length).toBeLessThanOrEqual(config.queue.maxInFlight);

    const telemetry = unique.filter((m) => m.kind === 'telemetry').map((m) => m.message as TelemetryBatch);
    const delivered = telemetry.flatMap((b) => b.points.map(pointKey));
    expect(delivered.length).toBe(new Set(delivered).size);
    expect([...delivered].sort()).toEqual(readings.map(pointKey).sort());
    // Within each device, seq order is reading order.
    for (const device of ['tank-1', 'pump-1', 'em-1', 'leak-1']) {
      const ts = telemetry.flatMap((b) => b.points.filter((p) => p.device === device && p.metric !== 'power').map((p) => p.ts));
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
    }

    // Batches of points read while disconnected are historical; batches of points read after the
    // reconnect (its online state) are live.
    const [, secondOnline] = received(broker, config.agent, 'state').filter((s) => s.message.state === 'online');
    const reconnectedAt = secondOnline.message.ts;
    const pointTimes = (b: TelemetryBatch) => b.points.map((p) => p.ts);
    const readOffline = telemetry.filter((b) => Math.min(...pointTimes(b)) > offlineSince && Math.max(...pointTimes(b)) < reconnectedAt);
    const readLive = telemetry.filter((b) => Math.min(...pointTimes(b)) > reconnectedAt);
    expect(readOffline.length).toBeGreaterThan(2);
    expect(readOffline.every((b) => b.historical)).toBe(true);
    expect(readLive.length).toBeGreaterThan(0);
    expect(readLive.every((b) => !b.historical)).toBe(true);

    // The online state says where the replay starts: the first data message after it carries nextSeq.
    const stream = broker.decoded(`warden/v1/test-site/${config.agent}/`).filter((m) => m.ok);
    const at = stream.findIndex((m) => m.kind === 'state' && m.message.session === secondOnline.message.session);
    const firstAfter = stream.slice(at + 1).find((m) => m.kind === 'telemetry' || m.kind === 'event' || m.kind === 'deviceBirth');
    expect(firstAfter && 'seq' in firstAfter.message ? firstAfter.message.seq : undefined).toBe(secondOnline.message.nextSeq);
  });

  it('continues its seq and loses nothing when restarted on the same queue, even with messages still queued', async () => {
    const readings: RecordedReading[] = [];
    const config = testConfig(broker.url);
    const first = await startAgent(config, { createAdapter: recordingAdapters(readings) });
    await waitFor(() => received(broker, config.agent, 'telemetry').length >= 2, 5000, 'telemetry');

    await broker.goDown();
    await waitFor(() => !first.status().connected, 5000, 'disconnection');
    const collected = first.status().pointsCollected;
    await waitFor(() => first.status().pointsCollected > collected + 40, 5000, 'readings while down');
    await first.stop();
    const left = first.status().queue;
    expect(left.pending).toBeGreaterThan(0);

    const second = await startAgent(config, { createAdapter: recordingAdapters(readings) });
    expect(second.status().queue.nextSeq).toBe(left.nextSeq + 4); // the new births come right after
    await broker.comeBack();
    await waitFor(() => second.status().connected, 5000, 'reconnection');
    const after = second.status().pointsCollected;
    await waitFor(() => second.status().pointsCollected > after + 20, 5000, 'live readings');
    await second.stop();
    expect(second.status().queue.pending).toBe(0);

    const unique = dedupe(receivedData(broker, config.agent));
    expectSeqsStepByOne(unique.map((m) => m.message.seq));
    const births = unique.filter((m) => m.kind === 'deviceBirth').map((m) => m.message.seq);
    expect(births).toEqual([0, 1, 2, 3, left.nextSeq, left.nextSeq + 1, left.nextSeq + 2, left.nextSeq + 3]);
    const delivered = unique.flatMap((m) => (m.kind === 'telemetry' ? (m.message as TelemetryBatch).points.map(pointKey) : []));
    expect([...delivered].sort()).toEqual(readings.map(pointKey).sort());
  });

  it('drops the oldest data when its queue is full, and the next online state tells the hub where it resumes', async () => {
    const devices = Array.from({ length: 12 }, (_, i) => ({
      id: `em-${i}`,
      type: 'meter.electricity' as const,
      name: `Meter ${i}`,
      pollMs: 10,
      adapter: { kind: 'simulated' as const, model: 'meter.electricity' as const, seed: i },
    }));
    const config = testConfig(broker.url, { devices, batching: { maxPoints: 200, maxDelayMs: 20 } });
    config.queue.maxBytes = 64 * 1024;
    config.queue.segmentBytes = 8 * 1024;
    const agent = await startAgent(config);
    await waitFor(() => agent.status().connected && received(broker, config.agent, 'telemetry').length > 0, 5000, 'connection');

    await broker.goDown();
    await waitFor(() => agent.status().queue.dropped > 0, 15_000, 'the queue to overflow');
    expect(agent.status().queue.bytes).toBeLessThanOrEqual(64 * 1024);
    await broker.comeBack();
    const online = await waitFor(() => received(broker, config.agent, 'state').filter((s) => s.message.state === 'online')[1], 5000, 'second online state');
    await waitFor(() => agent.status().outbox.delivered > 0 && agent.status().queue.pending < 5, 5000, 'the backlog to drain');
    await agent.stop();

    const seqs = dedupe(receivedData(broker, config.agent)).map((m) => m.message.seq);
    // Every seq ever assigned was either delivered or counted as dropped; nothing else went missing.
    // (A message whose PUBACK was lost in the cut and that was dropped afterwards is counted as
    // dropped although the broker has it: hence at most the in-flight window counted twice.)
    const { nextSeq, dropped, pending } = agent.status().queue;
    expect(pending).toBe(0);
    expect(seqs.length + dropped).toBeGreaterThanOrEqual(nextSeq);
    expect(seqs.length + dropped).toBeLessThanOrEqual(nextSeq + config.queue.maxInFlight);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // The online state after the outage points past what the hub saw: the hub sees the gap at once.
    const lastBefore = Math.max(...seqs.filter((s) => s < online.message.nextSeq!));
    expect(online.message.nextSeq).toBeGreaterThan(lastBefore + 1);
  });
});

describe('EdgeAgent batching', () => {
  it('splits a batch that would exceed the payload limit, losing no point', async () => {
    const longText = 'x'.repeat(1000);
    const config = testConfig(broker.url, {
      devices: [{ id: 'lift-1', type: 'lift', name: 'Lift', pollMs: 60_000, adapter: { kind: 'simulated', model: 'lift', seed: 1 } }],
      batching: { maxPoints: 10_000, maxDelayMs: 50 },
    });
    // A device with a lot to say: 2500 long string readings in one read, about 2.7 MB of points.
    const chatty: EdgeAgentDeps['createAdapter'] = (device, context) => {
      const adapter = createAdapter(device, context);
      return { ...adapter, read: (now) => Array.from({ length: 2500 }, (_, i) => ({ metric: 'status', value: longText, ts: now - i })) };
    };
    await startAgent(config, { createAdapter: chatty });
    await waitFor(() => received(broker, config.agent, 'telemetry').reduce((n, t) => n + t.message.points.length, 0) >= 2500, 10_000, 'all 2500 points');
    const batches = received(broker, config.agent, 'telemetry');
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(broker.decoded(`warden/v1/test-site/${config.agent}/`).filter((m) => !m.ok)).toEqual([]);
  });
});

describe('EdgeAgent lifecycle', () => {
  it('releases every timer, socket and file handle when stopped', async () => {
    const count = () => {
      const kinds = process.getActiveResourcesInfo();
      return { timers: kinds.filter((k) => k === 'Timeout').length, sockets: kinds.filter((k) => k === 'TCPSocketWrap').length, files: kinds.filter((k) => k === 'FSReqCallback').length };
    };
    const before = count();
    const config = testConfig(broker.url);
    const agent = new EdgeAgent(config, { logger: testLogger });
    await agent.start();
    await waitFor(() => received(broker, config.agent, 'telemetry').length >= 2, 5000, 'telemetry');
    expect(count().timers).toBeGreaterThan(before.timers);
    await agent.stop();
    await agent.stop(); // idempotent
    await waitFor(() => count().timers <= before.timers && count().sockets <= before.sockets, 2000, 'handles to be released');
    expect(count().files).toBeLessThanOrEqual(before.files);
    expect(agent.status()).toMatchObject({ running: false, connected: false });
  });

  it('leaves nothing open when it cannot start, so a fixed config starts on the same queue', async () => {
    const config = testConfig(broker.url, {
      devices: [{ id: 'pump-1', type: 'pump', name: 'Orphan pump', adapter: { kind: 'simulated', model: 'pump', seed: 1, params: { tank: 'tank-9' } } }],
    });
    const broken = new EdgeAgent(config, { logger: testLogger });
    await expect(broken.start()).rejects.toThrow(/tank-9/);
    await broken.stop();
    const fixed = await startAgent({ ...config, devices: testConfig(broker.url).devices });
    await waitFor(() => received(broker, config.agent, 'deviceBirth').length >= 4, 5000, 'births after the fix');
    expect(fixed.status().queue.nextSeq).toBeGreaterThanOrEqual(4);
  });
});
