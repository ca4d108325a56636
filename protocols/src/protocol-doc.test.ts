import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode, MAX_PAYLOAD_BYTES, type DecodeResult } from './codec.js';
import { commandNames, commandResults, eventKinds, MAX_POINTS_PER_BATCH } from './messages.js';
import { hubSubscriptions, ID_PATTERN, parseTopic, type TopicKind } from './topics.js';

/**
 * PROTOCOL.md is what people implement agents from, so its examples are held to the
 * schemas: every ```json block is decoded against the `Topic: ...` line above it, and
 * every payload in the mosquitto commands against the topic the command names.
 */

const doc = readFileSync(new URL('../PROTOCOL.md', import.meta.url), 'utf8');

interface Block {
  lang: string;
  body: string;
  /** The last non-blank line before the opening fence. */
  lineAbove: string;
  line: number;
}

const blocks: Block[] = [...doc.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => {
  const before = doc.slice(0, m.index).split('\n');
  const lineAbove = before.filter((l) => l.trim() !== '').at(-1) ?? '';
  return { lang: m[1], body: m[2], lineAbove, line: before.length };
});

const jsonExamples = blocks
  .filter((b) => b.lang === 'json')
  .map((b) => ({ ...b, topic: /^Topic: `([^`]+)`$/.exec(b.lineAbove)?.[1] }));

/** One mosquitto_pub/mosquitto_sub invocation per entry, continuation lines joined. */
const shellCommands = blocks
  .filter((b) => b.lang === 'sh')
  .flatMap((b) => b.body.replace(/\\\n\s*/g, '').split('\n'))
  .map((l) => l.trim())
  .filter((l) => /^mosquitto_(pub|sub) /.test(l));

function option(command: string, name: string): string | undefined {
  const m = new RegExp(`(?:^| )${name} (?:'([^']*)'|"([^"]*)"|(\\S+))`).exec(command);
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

function expectAccepted(result: DecodeResult, where: string): void {
  expect(result.ok ? 'accepted' : `${where}: ${result.reason}`).toBe('accepted');
}

describe('PROTOCOL.md JSON examples', () => {
  it('exist, each under a "Topic: `...`" line', () => {
    expect(jsonExamples.length).toBeGreaterThan(20);
    const untitled = jsonExamples.filter((e) => e.topic === undefined).map((e) => `line ${e.line}: ${e.lineAbove}`);
    expect(untitled).toEqual([]);
  });

  it.each(jsonExamples.map((e) => [e.line, e.topic ?? '(no topic)', e.body] as const))('at line %i on %s passes its schema', (line, topic, body) => {
    expectAccepted(decode(topic, body), `line ${line}`);
  });

  it('cover every message kind', () => {
    const kinds = new Set(jsonExamples.map((e) => parseTopic(e.topic ?? '')?.kind));
    expect([...kinds].sort()).toEqual((['command', 'commandAck', 'deviceBirth', 'event', 'state', 'telemetry'] satisfies TopicKind[]).sort());
  });

  it('show every command and every acknowledgement result', () => {
    const decoded = jsonExamples.map((e) => decode(e.topic ?? '', e.body));
    const names = new Set(decoded.flatMap((d) => (d.ok && d.kind === 'command' ? [d.message.name] : [])));
    const results = new Set(decoded.flatMap((d) => (d.ok && d.kind === 'commandAck' ? [d.message.result] : [])));
    expect([...names].sort()).toEqual([...commandNames].sort());
    expect([...results].sort()).toEqual([...commandResults].sort());
  });

  it('show both an online state and an offline Last Will of the same session', () => {
    const states = jsonExamples.map((e) => decode(e.topic ?? '', e.body)).flatMap((d) => (d.ok && d.kind === 'state' ? [d.message] : []));
    const online = states.find((s) => s.state === 'online');
    const offline = states.find((s) => s.state === 'offline');
    expect(online?.session).toBeDefined();
    expect(offline?.session).toBe(online?.session);
  });
});

describe('PROTOCOL.md mosquitto session', () => {
  it('has publish and subscribe commands', () => {
    expect(shellCommands.filter((c) => c.startsWith('mosquitto_pub')).length).toBeGreaterThanOrEqual(7);
    expect(shellCommands.filter((c) => c.startsWith('mosquitto_sub')).length).toBeGreaterThanOrEqual(1);
  });

  const publishes = shellCommands.filter((c) => c.startsWith('mosquitto_pub') && option(c, '-m') !== undefined);

  it.each(publishes.map((c, i) => [i + 1, option(c, '-t') ?? '(no -t)', c] as const))('publishes a valid message (#%i, on %s)', (_n, topic, command) => {
    expectAccepted(decode(topic, option(command, '-m')!), command);
    // Everything at QoS 1; only agent state retained (section 4).
    expect(option(command, '-q')).toBe('1');
    expect(/ -r( |$)/.test(command)).toBe(parseTopic(topic)?.kind === 'state');
    // The agent logs in as itself and publishes only below its own prefix.
    const agent = parseTopic(topic)?.agent ?? '(none)';
    expect(option(command, '-u')).toBe(agent);
    // Client id: the agent id, or the agent id, a separator, anything (section 3).
    const clientId = option(command, '-i') ?? option(command, '-I') ?? 'mosquitto_pub_<pid>';
    expect(clientId === agent || (clientId.startsWith(agent) && /^[^A-Za-z0-9]/.test(clientId.slice(agent.length)))).toBe(true);
  });

  it('keeps the agent connection with a retained QoS 1 Last Will of the online session, subscribed to its commands only', () => {
    const agentConnection = shellCommands.find((c) => c.startsWith('mosquitto_sub') && c.includes('--will-topic'));
    expect(agentConnection).toBeDefined();
    const command = agentConnection!;
    const willTopic = option(command, '--will-topic')!;
    const will = decode(willTopic, option(command, '--will-payload')!);
    expectAccepted(will, command);
    expect(will).toMatchObject({ kind: 'state', message: { state: 'offline' } });
    expect(option(command, '--will-qos')).toBe('1');
    expect(command).toMatch(/ --will-retain( |$)/);
    expect(option(command, '-q')).toBe('1');
    expect(parseTopic(option(command, '-t')!)).toEqual({ ...parseTopic(willTopic), kind: 'command' });
    expect(option(command, '-u')).toBe(option(command, '-i'));

    const online = shellCommands
      .map((c) => (option(c, '-t') === willTopic && option(c, '-m') ? decode(willTopic, option(c, '-m')!) : undefined))
      .find((d) => d?.ok && d.kind === 'state' && d.message.state === 'online');
    expect(online?.ok && online.kind === 'state' && online.message.session).toBe(will.ok && will.kind === 'state' && will.message.session);
  });

  it('prints commands that pass their schema', () => {
    const printed = blocks
      .filter((b) => b.lang === 'text')
      .flatMap((b) => b.body.split('\n'))
      .map((l) => /^(warden\/v1\/\S+) (\{.*\})$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    expect(printed.length).toBeGreaterThanOrEqual(1);
    for (const [, topic, payload] of printed) expectAccepted(decode(topic, payload), topic);
  });

  it('numbers its data messages 0, 1, 2... with distinct msgIds', () => {
    const data = shellCommands
      .filter((c) => c.startsWith('mosquitto_pub') && option(c, '-m'))
      .map((c) => decode(option(c, '-t')!, option(c, '-m')!))
      .flatMap((d) => (d.ok && (d.kind === 'deviceBirth' || d.kind === 'telemetry' || d.kind === 'event') ? [d.message] : []));
    expect(data.map((m) => m.seq)).toEqual(data.map((_, i) => i));
    expect(new Set(data.map((m) => m.msgId)).size).toBe(data.length);
  });
});

describe('PROTOCOL.md reference text', () => {
  it('names every event kind, command name and acknowledgement result', () => {
    const missing = [...eventKinds, ...commandNames, ...commandResults].filter((name) => !doc.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('states the limits, id rule and hub subscriptions the code uses', () => {
    expect(doc).toContain(`\`MAX_PAYLOAD_BYTES\` = ${MAX_PAYLOAD_BYTES} bytes`);
    expect(doc).toContain(`${MAX_POINTS_PER_BATCH} (\`MAX_POINTS_PER_BATCH\`)`);
    expect(doc).toContain(`\`ID_PATTERN\` = \`${ID_PATTERN.source}\``);
    for (const filter of hubSubscriptions) expect(doc).toContain(`\n${filter}\n`);
  });

  it('quotes dead-letter reasons exactly as decode gives them', () => {
    const quoted = blocks.find((b) => b.lang === 'text' && b.body.includes('Unrecognized key'))?.body.trim().split('\n') ?? [];
    const T = 1_772_438_400_000;
    const point = { device: 'pump-3', metric: 'temp', ts: T, value: 1 };
    const batch = { v: 1, msgId: 'm', seq: 1, ts: T, points: [point] };
    const birth = { v: 1, msgId: 'm', seq: 1, ts: T, device: { id: 'pump-3', type: 'pump', name: 'Pump 3' }, metrics: [] };
    const command = { v: 1, id: '3f1c2a9e-8b4d-4c61-9f2e-5a7d0c3b1e42', ts: T, name: 'door.lock', device: 'door-1', params: {} };
    const telemetryTopic = 'warden/v1/sunrise-garden/sg-b1/telemetry';
    const reasons = [
      decode(telemetryTopic, JSON.stringify({ ...batch, points: [{ ...point, value: null }] })),
      decode(telemetryTopic, JSON.stringify({ ...batch, seq: '1' })),
      decode(telemetryTopic, JSON.stringify({ ...batch, histrorical: true })),
      decode('warden/v1/sunrise-garden/sg-b1/cmd', JSON.stringify(command)),
      decode('warden/v1/sunrise-garden/sg-b1/device/pump-4/birth', JSON.stringify(birth)),
      decode(telemetryTopic, ''),
      decode(telemetryTopic, 'x'.repeat(2_500_000)),
    ].map((d) => (d.ok ? 'accepted' : d.reason));
    expect(quoted).toEqual(reasons);
  });
});
