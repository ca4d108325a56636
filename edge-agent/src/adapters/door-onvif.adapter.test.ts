/**
 * The ONVIF door adapter in a real agent, against a real Profile C door
 * controller simulator (Door Control SOAP, PullPoint events) and a real
 * in-process MQTT broker.
 */
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encode, type Command, type CommandAck, type DeviceEvent, type EventKind } from '@warden/protocols';
import { DoorControllerSimulator } from '@warden/simulators';
import { EdgeAgent } from '../agent/edge-agent.js';
import type { AgentConfig } from '../config/agent-config.schema.js';
import { received, removeTempDirs, testConfig } from '../testing/agent-fixtures.js';
import { TestBroker } from '../testing/test-broker.js';
import { waitFor } from '../testing/wait-for.js';
import { maskCredential } from './door-onvif.adapter.js';

let broker: TestBroker;
let panel: DoorControllerSimulator;
let agent: EdgeAgent;
let config: AgentConfig;
const lines: { level: number; msg: string }[] = [];
const logger: Logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });

beforeAll(async () => {
  broker = await TestBroker.start();
  // Fast door timing so held-open and relock happen within the test's bounds.
  panel = new DoorControllerSimulator({
    name: 'panel-1',
    username: 'admin',
    password: 'door-secret',
    doors: ['Lobby door', 'Garage door'],
    timing: { accessSec: 0.5, openTooLongSec: 1, walkUpSec: 0.1, passageSec: 0.3 },
  });
  const { xaddr } = await panel.start();
  const door = (id: string, name: string, doorToken: string) => ({ id, type: 'door' as const, name, zone: 'lobby', xaddr, user: 'admin', password: 'door-secret', doorToken, stateIntervalMs: 1000 });
  config = testConfig(broker.url, {
    devices: [door('door-1', 'Lobby door', 'Door_1'), door('door-2', 'Garage door', 'Door_2'), door('door-9', 'Ghost door', 'Door_9')],
  });
  agent = new EdgeAgent(config, { logger });
  await agent.start();
  await waitFor(() => panel.state().subscriptions === 1, 5000, 'one PullPoint subscription for the whole panel');
  await waitFor(() => points('door-2', 'locked').length > 0, 5000, 'the doors\' first state');
});
afterEach(() => panel.inject({ scenario: 'clear' }));
afterAll(async () => {
  await agent?.stop();
  await panel?.stop();
  await broker?.close();
  removeTempDirs();
});

function events(device: string, kind: EventKind, since = 0): DeviceEvent[] {
  return received(broker, config.agent, 'event')
    .map((e) => e.message)
    .filter((e) => e.device === device && e.kind === kind && e.ts >= since);
}

function points(device: string, metric: string, since = 0): { ts: number; value: unknown }[] {
  return received(broker, config.agent, 'telemetry')
    .flatMap((t) => t.message.points)
    .filter((p) => p.device === device && p.metric === metric && p.ts >= since);
}

function command(device: string, name: Command['name'], params: Record<string, unknown>): string {
  const id = randomUUID();
  const out = encode('command', { site: config.site, agent: config.agent }, { v: 1, id, ts: Date.now(), name, device, params, expiresAt: Date.now() + 10_000, issuedBy: 'guard-7' });
  void broker.publish(out.topic, out.payload);
  return id;
}

function ack(id: string): () => CommandAck | undefined {
  return () => received(broker, config.agent, 'commandAck').find((a) => a.message.id === id)?.message;
}

describe('doors of an ONVIF Profile C controller bridged by the edge agent', () => {
  it('announces each door with its state metrics and commands, and reports its state', () => {
    const birth = received(broker, config.agent, 'deviceBirth').find((b) => b.message.device.id === 'door-1')!.message;
    expect(birth.device).toMatchObject({ type: 'door', name: 'Lobby door', zone: 'lobby' });
    expect(birth.metrics.map((m) => [m.name, m.type])).toEqual([
      ['open', 'boolean'],
      ['locked', 'boolean'],
    ]);
    expect(birth.capabilities).toEqual(['door.unlock', 'door.lock', 'door.access']);
    expect(points('door-1', 'open').at(-1)?.value).toBe(false);
    expect(points('door-1', 'locked').at(-1)?.value).toBe(true);
    // A token the controller does not have is named, with the doors it does have.
    expect(lines.some((l) => l.level === 50 && l.msg === 'door "Ghost door" (door-9): the controller has no door "Door_9" (its doors: Door_1 "Lobby door", Door_2 "Garage door")')).toBe(true);
  });

  it('reports a forced door: door.opened without a grant, door.forced, door.closed — on that door only', async () => {
    const since = Date.now();
    panel.inject({ scenario: 'force', door: 'Door_1', durationSec: 0.3 });
    const closed = await waitFor(() => events('door-1', 'door.closed', since)[0], 5000, 'door.closed');
    expect(events('door-1', 'door.opened', since)[0].data).toEqual({ granted: false });
    expect(events('door-1', 'door.forced', since)).toHaveLength(1);
    expect(closed.data!.openSec).toBeGreaterThan(0);
    expect(points('door-1', 'open', since).map((p) => p.value)).toEqual(expect.arrayContaining([true, false]));
    expect(events('door-2', 'door.forced', since)).toEqual([]);
  });

  it('reports a door held open after a granted card, with the card masked and no holder name', async () => {
    const since = Date.now();
    panel.inject({ scenario: 'holdOpen', door: 'Door_1', durationSec: 1.5 });
    const held = await waitFor(() => events('door-1', 'door.heldOpen', since)[0], 5000, 'door.heldOpen');
    expect(held.data!.openSec).toBeGreaterThanOrEqual(1);
    const [granted] = events('door-1', 'door.granted', since);
    expect(granted.data).toEqual({ credential: expect.stringMatching(/^\*{4}\d{4}$/), method: 'card' });
    // The momentary release of a grant is not an unlock that stays.
    expect(events('door-1', 'door.unlocked', since)[0].data).toEqual({ momentary: true });
    expect(JSON.stringify(received(broker, config.agent, 'event'))).not.toMatch(/Resident|CRED-/);
  });

  it('reports a burst of refused unknown cards as door.denied, masked', async () => {
    const since = Date.now();
    panel.inject({ scenario: 'deniedBurst', door: 'Door_2', count: 3, intervalSec: 0.05 });
    const denied = await waitFor(() => (events('door-2', 'door.denied', since).length === 3 ? events('door-2', 'door.denied', since) : undefined), 5000, 'three door.denied');
    for (const d of denied) expect(d.data).toEqual({ credential: expect.stringMatching(/^\*{4}[0-9A-F]{4}$/), method: 'card', reason: 'unknown' });
    expect(events('door-1', 'door.denied', since)).toEqual([]);
  });

  it('reports tamper as door.tamper', async () => {
    const since = Date.now();
    panel.inject({ scenario: 'tamper', door: 'Door_2' });
    const tamper = await waitFor(() => events('door-2', 'door.tamper', since)[0], 5000, 'door.tamper');
    expect(tamper.data).toEqual({ part: 'door' });
  });

  it('unlocks on door.unlock once the controller has, and relocks after durationSec', async () => {
    const since = Date.now();
    const id = command('door-1', 'door.unlock', { durationSec: 1, reason: 'courier, verified on camera' });
    const answer = await waitFor(ack(id), 3000, 'the unlock ack');
    expect(answer.result).toBe('ok');
    expect(answer.data!.relockAt).toBeGreaterThan(since + 900);
    // "ok" means the controller did it.
    expect(panel.state().doors[0]).toMatchObject({ lock: 'Unlocked', mode: 'Unlocked' });
    const unlocked = await waitFor(() => events('door-1', 'door.unlocked', since)[0], 3000, 'door.unlocked');
    expect(unlocked.data).toEqual({ by: 'command', commandId: id, untilTs: answer.data!.relockAt });

    const locked = await waitFor(() => events('door-1', 'door.locked', since)[0], 5000, 'door.locked after the unlock period');
    expect(locked.data).toEqual({ by: 'timeout', commandId: id });
    expect(locked.ts).toBeGreaterThanOrEqual((answer.data!.relockAt as number) - 50);
    expect(panel.state().doors[0].lock).toBe('Locked');
    expect(lines.some((l) => l.msg.includes('door.unlock') && JSON.stringify(l).includes('courier, verified on camera') && JSON.stringify(l).includes('guard-7'))).toBe(true);
  });

  it('gives a momentary access on door.access and locks on door.lock', async () => {
    const access = command('door-2', 'door.access', { reason: 'resident at the intercom' });
    expect(await waitFor(ack(access), 3000, 'the access ack')).toMatchObject({ result: 'ok' });
    expect(panel.state().doors[1]).toMatchObject({ lock: 'Unlocked', mode: 'Accessed' });
    const lock = command('door-2', 'door.lock', { reason: 'end of access' });
    expect(await waitFor(ack(lock), 3000, 'the lock ack')).toMatchObject({ result: 'ok' });
    expect(panel.state().doors[1]).toMatchObject({ lock: 'Locked', mode: 'Locked' });
  });

  it('acks error with the controller\'s own message when the controller refuses or answers garbage', async () => {
    const refused = command('door-9', 'door.unlock', { reason: 'test' });
    const answer = await waitFor(ack(refused), 3000, 'the refused ack');
    expect(answer.result).toBe('error');
    expect(answer.message).toBe('the controller refused: no door "Door_9" (ter:InvalidArgVal / ter:NotFound)');

    panel.inject({ scenario: 'malformed' });
    const broken = command('door-1', 'door.lock', { reason: 'test' });
    const brokenAck = await waitFor(ack(broken), 3000, 'the garbage ack');
    expect(brokenAck.result).toBe('error');
    expect(brokenAck.message).toMatch(/^the controller did not do it: malformed SOAP answer/);
    expect(agent.status().running).toBe(true);
  });
});

describe('maskCredential', () => {
  it('keeps only the last four letters or digits', () => {
    expect(maskCredential('CRED-1014')).toBe('****1014');
    expect(maskCredential('04A1B2C3')).toBe('****B2C3');
    expect(maskCredential('12')).toBe('****');
    expect(maskCredential(undefined)).toBe('****');
  });
});

describe('doors already in alarm when the agent first reads them', () => {
  it('sends door.forced and door.tamper once, marked initial, and nothing again on later polls or a resubscription', async () => {
    const alarmed = new DoorControllerSimulator({ name: 'panel-2', username: 'admin', password: 'door-secret', doors: ['Back door', 'Store door'] });
    const { xaddr } = await alarmed.start();
    const ownLines: { level: number; msg: string }[] = [];
    const ownLogger = pino({ level: 'info' }, { write: (line: string) => void ownLines.push(JSON.parse(line) as { level: number; msg: string }) });
    // Forced open (and left open) and tampered with before any agent is there.
    alarmed.inject({ scenario: 'force', door: 'Door_1', durationSec: 120 });
    alarmed.inject({ scenario: 'tamper', door: 'Door_2' });
    const door = (id: string, doorToken: string) => ({ id, type: 'door' as const, name: id, zone: 'back', xaddr, user: 'admin', password: 'door-secret', doorToken, stateIntervalMs: 300 });
    const ownConfig = testConfig(broker.url, { devices: [door('back-1', 'Door_1'), door('store-1', 'Door_2')] });
    const ownEvents = (device: string, kind: EventKind) =>
      received(broker, ownConfig.agent, 'event')
        .map((e) => e.message)
        .filter((e) => e.device === device && e.kind === kind);
    const ownAgent = new EdgeAgent(ownConfig, { logger: ownLogger });
    try {
      await ownAgent.start();
      const forced = await waitFor(() => ownEvents('back-1', 'door.forced')[0], 5000, 'door.forced for the door found forced');
      expect(forced.data).toEqual({ initial: true });
      const tamper = await waitFor(() => ownEvents('store-1', 'door.tamper')[0], 5000, 'door.tamper for the door found tampered');
      expect(tamper.data).toEqual({ part: 'door', initial: true });
      // The open door found open is state: no door.opened for it.
      expect(ownEvents('back-1', 'door.opened')).toEqual([]);
      expect(ownLines.some((l) => l.level === 40 && l.msg === 'door "back-1" (back-1): already in DoorForcedOpen when the agent first read its state')).toBe(true);

      // The subscription is lost (garbled answers) and made again: the panel sends its Initialized state again.
      alarmed.inject({ scenario: 'malformed', durationSec: 2 });
      // An event ends the long-poll now; the pulls that follow get garbage.
      alarmed.inject({ scenario: 'denied', door: 'Door_1' });
      await waitFor(() => ownLines.some((l) => l.msg.startsWith('door events subscription lost')), 8000, 'the subscription lost');
      await waitFor(() => ownLines.some((l) => l.msg === 'door events subscription restored'), 10_000, 'the subscription restored');
      // An event after the resubscription's Initialized batch: once it is here, that batch has been handled.
      alarmed.inject({ scenario: 'denied', door: 'Door_2' });
      await waitFor(() => ownEvents('store-1', 'door.denied')[0], 5000, 'door.denied after the resubscription');
      expect(ownEvents('back-1', 'door.forced')).toHaveLength(1);
      expect(ownEvents('store-1', 'door.tamper')).toHaveLength(1);
    } finally {
      await ownAgent.stop();
      await alarmed.stop();
    }
  });
});
