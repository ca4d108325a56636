import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decode, describeIssues, encode, MAX_PAYLOAD_BYTES, publishOptions, type DecodeResult } from './codec.js';
import { MAX_POINTS_PER_BATCH, type TelemetryBatchInput } from './messages.js';
import { topics, type TopicKind } from './topics.js';

const T = 1_772_438_400_000; // 2026-03-02T08:00:00Z
const b1 = { site: 'estate-a', agent: 'b1-agent' };
const CMD_ID = '3f1c2a9e-8b4d-4c61-9f2e-5a7d0c3b1e42';

const valid = {
  state: { v: 1, state: 'online', ts: T, session: 'c0ffee-01', agentVersion: '0.1.0', building: 'Building 1', nextSeq: 7 },
  deviceBirth: {
    v: 1,
    msgId: 'm-7',
    seq: 7,
    ts: T,
    device: { id: 'pump-3', type: 'pump', name: 'Pump 3', floor: 'B1' },
    metrics: [{ name: 'temp', type: 'number', unit: 'Cel', min: -20, max: 120 }],
    capabilities: ['setpoint'],
    heartbeatSec: 30,
  },
  telemetry: {
    v: 1,
    msgId: 'm-8',
    seq: 8,
    ts: T,
    points: [
      { device: 'pump-3', metric: 'temp', ts: T - 1000, value: 41.5 },
      { device: 'pump-3', metric: 'running', ts: T - 1000, value: true, quality: 'good' },
      { device: 'pump-3', metric: 'mode', ts: T - 1000, value: 'auto' },
    ],
  },
  event: { v: 1, msgId: 'm-9', seq: 9, ts: T, device: 'door-b2-1', kind: 'door.forced', data: { doorId: 'B2-1' } },
  command: { v: 1, id: CMD_ID, ts: T, name: 'door.unlock', device: 'door-b2-1', params: { durationSec: 10, reason: 'courier' }, expiresAt: T + 30_000, issuedBy: 'user-17' },
  commandAck: { v: 1, id: CMD_ID, ts: T + 500, result: 'ok', data: { relockAt: T + 10_500 } },
} satisfies Record<TopicKind, unknown>;

const topicOf: Record<TopicKind, string> = {
  state: topics.state(b1),
  deviceBirth: topics.deviceBirth(b1, 'pump-3'),
  telemetry: topics.telemetry(b1),
  event: topics.event(b1),
  command: topics.command(b1),
  commandAck: topics.commandAck(b1),
};

/** Decodes and insists on a rejection, returning its reason. */
function rejection(kind: TopicKind, payload: unknown): string {
  const result = decode(topicOf[kind], typeof payload === 'string' ? payload : JSON.stringify(payload));
  if (result.ok) throw new Error(`expected ${kind} to be rejected, it was accepted`);
  expect(result.kind).toBe(kind);
  expect(result.topic).toBe(topicOf[kind]);
  return result.reason;
}

const kinds = Object.keys(valid) as TopicKind[];

describe('decode accepts', () => {
  it.each(kinds)('a valid %s message', (kind) => {
    const result = decode(topicOf[kind], JSON.stringify(valid[kind]));
    expect(result.ok).toBe(true);
    expect(result.kind).toBe(kind);
    if (!result.ok) return;
    expect(result.topic).toMatchObject({ site: 'estate-a', agent: 'b1-agent', kind });
    expect(result.message).toMatchObject(valid[kind]);
  });

  it('a payload given as bytes, as MQTT.js delivers it', () => {
    const result = decode(topicOf.telemetry, Buffer.from(JSON.stringify(valid.telemetry)));
    expect(result).toMatchObject({ ok: true, kind: 'telemetry', message: { msgId: 'm-8' } });
    const bytes = new TextEncoder().encode(JSON.stringify(valid.event));
    expect(decode(topicOf.event, bytes)).toMatchObject({ ok: true, kind: 'event' });
  });

  it('UTF-8 text such as Chinese names and a leading byte-order mark', () => {
    const birth = { ...valid.deviceBirth, device: { ...valid.deviceBirth.device, name: '三号水泵' } };
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(birth))]);
    const result = decode(topicOf.deviceBirth, bytes);
    expect(result).toMatchObject({ ok: true, message: { device: { name: '三号水泵' } } });
  });

  it('the device of a birth from its topic', () => {
    const result = decode(topicOf.deviceBirth, JSON.stringify(valid.deviceBirth));
    expect(result.ok && result.topic).toEqual({ site: 'estate-a', agent: 'b1-agent', kind: 'deviceBirth', device: 'pump-3' });
  });

  it('fills the defaults: live telemetry and events, a birth without capabilities', () => {
    const telemetry = decode(topicOf.telemetry, JSON.stringify(valid.telemetry));
    const event = decode(topicOf.event, JSON.stringify(valid.event));
    const { capabilities: _c, ...noCapabilities } = valid.deviceBirth;
    const birth = decode(topicOf.deviceBirth, JSON.stringify(noCapabilities));
    expect(telemetry).toMatchObject({ ok: true, message: { historical: false } });
    expect(event).toMatchObject({ ok: true, message: { historical: false } });
    expect(birth).toMatchObject({ ok: true, message: { capabilities: [] } });
  });

  it('a batch of exactly MAX_POINTS_PER_BATCH points', () => {
    const points = Array.from({ length: MAX_POINTS_PER_BATCH }, (_, i) => ({ device: 'm1', metric: 'kWh', ts: T + i, value: i }));
    expect(decode(topicOf.telemetry, JSON.stringify({ ...valid.telemetry, points })).ok).toBe(true);
  });
});

describe('decode rejects, naming the field', () => {
  it('a topic outside the namespace, without guessing a kind', () => {
    const result = decode('warden/v2/estate-a/b1-agent/telemetry', JSON.stringify(valid.telemetry));
    expect(result).toEqual({ ok: false, topic: 'warden/v2/estate-a/b1-agent/telemetry', reason: expect.stringMatching(/namespace/) });
  });

  it('a payload that is not JSON', () => {
    expect(rejection('telemetry', '{"v":1,')).toMatch(/^payload is not JSON: /);
    expect(rejection('state', '')).toMatch(/^payload is not JSON/);
    expect(rejection('event', 'NaN')).toMatch(/^payload is not JSON/);
  });

  it('bytes that are not UTF-8', () => {
    const result = decode(topicOf.state, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(result).toMatchObject({ ok: false, kind: 'state', reason: 'payload is not valid UTF-8' });
  });

  it.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"online"'],
    ['a number', '42'],
  ])('JSON that is %s rather than an object', (_what, payload) => {
    for (const kind of kinds) expect(rejection(kind, payload)).toMatch(/^\(root\): .*expected object/);
  });

  it.each<[string, TopicKind, (m: Record<string, unknown>) => unknown, RegExp]>([
    ['another protocol version', 'state', (m) => ({ ...m, v: 2 }), /^v: /],
    ['an unknown state', 'state', (m) => ({ ...m, state: 'sleeping' }), /^state: /],
    ['a missing session', 'state', ({ session: _s, ...m }) => m, /^session: .*received undefined/],
    ['an empty session', 'state', (m) => ({ ...m, session: '' }), /^session: /],
    ['an unknown extra field', 'state', (m) => ({ ...m, online: true }), /^\(root\): Unrecognized key: "online"/],
    ['a timestamp in seconds as a string', 'state', (m) => ({ ...m, ts: '1772438400' }), /^ts: .*expected number/],
    ['a fractional timestamp', 'state', (m) => ({ ...m, ts: T + 0.5 }), /^ts: .*int/],
    ['a negative timestamp', 'state', (m) => ({ ...m, ts: -1 }), /^ts: /],
    ['a seq given as a string', 'telemetry', (m) => ({ ...m, seq: '8' }), /^seq: .*expected number/],
    ['a negative seq', 'telemetry', (m) => ({ ...m, seq: -1 }), /^seq: /],
    ['a seq beyond the safe integers', 'telemetry', (m) => ({ ...m, seq: 2 ** 60 }), /^seq: /],
    ['a missing msgId', 'telemetry', ({ msgId: _m, ...m }) => m, /^msgId: /],
    ['an over-long msgId', 'telemetry', (m) => ({ ...m, msgId: 'x'.repeat(65) }), /^msgId: /],
    ['a historical flag given as a string', 'telemetry', (m) => ({ ...m, historical: 'true' }), /^historical: /],
    ['no points', 'telemetry', (m) => ({ ...m, points: [] }), /^points: /],
    ['a point without value', 'telemetry', (m) => ({ ...m, points: [{ device: 'pump-3', metric: 'temp', ts: T }] }), /^points\.0\.value: /],
    ['a null value', 'telemetry', (m) => ({ ...m, points: [{ device: 'pump-3', metric: 'temp', ts: T, value: null }] }), /^points\.0\.value: /],
    ['an object value', 'telemetry', (m) => ({ ...m, points: [{ device: 'pump-3', metric: 'temp', ts: T, value: { c: 1 } }] }), /^points\.0\.value: /],
    ['an unknown quality', 'telemetry', (m) => ({ ...m, points: [{ device: 'pump-3', metric: 'temp', ts: T, value: 1, quality: 'poor' }] }), /^points\.0\.quality: /],
    ['an extra field in a point', 'telemetry', (m) => ({ ...m, points: [{ device: 'pump-3', metric: 'temp', ts: T, value: 1, unit: 'Cel' }] }), /^points\.0: Unrecognized key: "unit"/],
    ['a device id with a slash', 'telemetry', (m) => ({ ...m, points: [{ device: 'pump/3', metric: 'temp', ts: T, value: 1 }] }), /^points\.0\.device: /],
    ['a birth without metrics', 'deviceBirth', ({ metrics: _m, ...m }) => m, /^metrics: /],
    ['a birth with an unknown metric type', 'deviceBirth', (m) => ({ ...m, metrics: [{ name: 'temp', type: 'float' }] }), /^metrics\.0\.type: /],
    ['a birth with a duplicate metric', 'deviceBirth', (m) => ({ ...m, metrics: [{ name: 't', type: 'number' }, { name: 't', type: 'number' }] }), /^metrics\.1\.name: duplicate metric name "t"/],
    ['a birth with an upper-case device type', 'deviceBirth', (m) => ({ ...m, device: { ...(m.device as object), type: 'Pump' } }), /^device\.type: /],
    ['a birth without a device name', 'deviceBirth', (m) => ({ ...m, device: { id: 'pump-3', type: 'pump' } }), /^device\.name: /],
    ['a birth with a zero heartbeat', 'deviceBirth', (m) => ({ ...m, heartbeatSec: 0 }), /^heartbeatSec: /],
    ['an unknown event kind', 'event', (m) => ({ ...m, kind: 'door.exploded' }), /^kind: /],
    ['an event without device', 'event', ({ device: _d, ...m }) => m, /^device: /],
    ['event data that is not an object', 'event', (m) => ({ ...m, data: [1, 2] }), /^data: /],
    ['a command id that is not a UUID', 'command', (m) => ({ ...m, id: 'cmd-1' }), /^id: /],
    ['an unknown command', 'command', (m) => ({ ...m, name: 'door.explode' }), /^name: /],
    ['a device command without device', 'command', ({ device: _d, ...m }) => m, /^device: required for a "door.unlock" command/],
    ['a command without a required param', 'command', (m) => ({ ...m, params: { durationSec: 10 } }), /^params\.reason: /],
    ['a command with an unknown param', 'command', (m) => ({ ...m, params: { reason: 'x', force: true } }), /^params: Unrecognized key: "force"/],
    ['an acknowledgement with an unknown result', 'commandAck', (m) => ({ ...m, result: 'done' }), /^result: /],
    ['an acknowledgement without id', 'commandAck', ({ id: _i, ...m }) => m, /^id: /],
  ])('%s', (_what, kind, mutate, reason) => {
    expect(rejection(kind, mutate(valid[kind] as Record<string, unknown>))).toMatch(reason);
  });

  it('non-finite numbers, which JSON.parse makes of overflowing literals', () => {
    const point = `{"device":"pump-3","metric":"temp","ts":${T},"value":1e999}`;
    expect(rejection('telemetry', `{"v":1,"msgId":"m","seq":1,"ts":${T},"points":[${point}]}`)).toMatch(/^points\.0\.value: /);
    expect(rejection('telemetry', `{"v":1,"msgId":"m","seq":1,"ts":1e999,"points":[${point.replace('1e999', '1')}]}`)).toMatch(/^ts: /);
    expect(rejection('deviceBirth', JSON.stringify(valid.deviceBirth).replace('"max":120', '"max":1e999'))).toMatch(/^metrics\.0\.max: /);
  });

  it('more than MAX_POINTS_PER_BATCH points', () => {
    const points = Array.from({ length: MAX_POINTS_PER_BATCH + 1 }, (_, i) => ({ device: 'm1', metric: 'kWh', ts: T + i, value: i }));
    expect(rejection('telemetry', { ...valid.telemetry, points })).toMatch(/^points: .*10000/);
  });

  it('a payload over MAX_PAYLOAD_BYTES before parsing it', () => {
    const oversized = `{"pad":"${'x'.repeat(MAX_PAYLOAD_BYTES)}"}`;
    expect(rejection('telemetry', oversized)).toBe(`payload of ${MAX_PAYLOAD_BYTES + 10} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
    // Bytes, not characters: 3-byte characters reach the limit at a third of the length.
    const chinese = `"${'水'.repeat(Math.ceil(MAX_PAYLOAD_BYTES / 3))}"`;
    expect(rejection('event', chinese)).toMatch(/exceeds/);
  });

  it('a device birth whose device id differs from the topic', () => {
    const result = decode(topics.deviceBirth(b1, 'pump-4'), JSON.stringify(valid.deviceBirth));
    expect(result).toEqual({ ok: false, topic: 'warden/v1/estate-a/b1-agent/device/pump-4/birth', kind: 'deviceBirth', reason: 'device.id does not match the device in the topic' });
  });

  it('lists at most five problems and counts the rest', () => {
    const reason = rejection('deviceBirth', { v: 2, msgId: '', seq: -1, ts: -1, device: {}, metrics: 'none', heartbeatSec: 0 });
    expect(reason.split('; ')).toHaveLength(6);
    expect(reason).toMatch(/; and \d+ more$/);
  });

  it('never throws, whatever arrives', () => {
    const garbage: (string | Uint8Array)[] = ['', ' ', '\u0000', '{', '{}', '[[[]]]', 'true', '{"__proto__":{"v":1}}', new Uint8Array([0, 1, 2, 255])];
    for (const kind of kinds) {
      for (const payload of garbage) {
        let result: DecodeResult | undefined;
        expect(() => (result = decode(topicOf[kind], payload))).not.toThrow();
        expect(result?.ok).toBe(false);
      }
    }
  });
});

describe('describeIssues', () => {
  it('joins each issue as "path: message", with (root) for the whole value', () => {
    const schema = z.strictObject({ a: z.object({ b: z.number() }) });
    const error = schema.safeParse({ a: { b: 'x' }, c: 1 }).error!;
    expect(describeIssues(error)).toBe('a.b: Invalid input: expected number, received string; (root): Unrecognized key: "c"');
  });
});

describe('encode', () => {
  it('publishes agent state retained at QoS 1', () => {
    expect(encode('state', b1, valid.state as never)).toEqual({
      topic: 'warden/v1/estate-a/b1-agent/state',
      payload: '{"v":1,"state":"online","ts":1772438400000,"session":"c0ffee-01","agentVersion":"0.1.0","building":"Building 1","nextSeq":7}',
      options: { qos: 1, retain: true },
    });
  });

  it('publishes telemetry at QoS 1, not retained, with historical spelled out', () => {
    const batch: TelemetryBatchInput = { v: 1, msgId: 'm-8', seq: 8, ts: T, points: [{ device: 'pump-3', metric: 'temp', ts: T, value: 41.5 }] };
    expect(encode('telemetry', b1, batch)).toEqual({
      topic: 'warden/v1/estate-a/b1-agent/telemetry',
      payload: `{"v":1,"msgId":"m-8","seq":8,"ts":${T},"historical":false,"points":[{"device":"pump-3","metric":"temp","ts":${T},"value":41.5}]}`,
      options: { qos: 1, retain: false },
    });
  });

  it('publishes a device birth on the topic of its device id, with capabilities spelled out', () => {
    const { capabilities: _c, ...birth } = valid.deviceBirth;
    const out = encode('deviceBirth', b1, birth as never);
    expect(out.topic).toBe('warden/v1/estate-a/b1-agent/device/pump-3/birth');
    expect(out.options).toEqual({ qos: 1, retain: false });
    expect(JSON.parse(out.payload)).toEqual({ ...birth, capabilities: [] });
  });

  it.each<[TopicKind, string]>([
    ['event', 'warden/v1/estate-a/b1-agent/event'],
    ['command', 'warden/v1/estate-a/b1-agent/cmd'],
    ['commandAck', 'warden/v1/estate-a/b1-agent/cmd/ack'],
  ])('publishes %s on %s at QoS 1, not retained', (kind, topic) => {
    const out = encode(kind as 'event', b1, valid[kind] as never);
    expect(out.topic).toBe(topic);
    expect(out.options).toEqual({ qos: 1, retain: false });
  });

  it.each(kinds)('produces a %s that decode gives back unchanged', (kind) => {
    const out = encode(kind as 'state', b1, valid[kind] as never);
    const back = decode(out.topic, out.payload);
    expect(back.ok).toBe(true);
    if (back.ok) expect(JSON.stringify(back.message)).toBe(out.payload);
  });

  it('retains only agent state', () => {
    expect(kinds.filter((k) => publishOptions(k).retain)).toEqual(['state']);
    expect(kinds.every((k) => publishOptions(k).qos === 1)).toBe(true);
  });

  it('throws on an invalid message instead of publishing it', () => {
    expect(() => encode('state', b1, { ...valid.state, state: 'asleep' } as never)).toThrow(z.ZodError);
    expect(() => encode('telemetry', b1, { ...valid.telemetry, points: [] } as never)).toThrow(/points/);
    expect(() => encode('telemetry', b1, { ...valid.telemetry, points: [{ device: 'p', metric: 'm', ts: T, value: Number.NaN }] } as never)).toThrow(/value/);
    expect(() => encode('event', b1, { ...valid.event, extra: 1 } as never)).toThrow(/extra/);
  });

  it('throws on a command whose params do not fit its name', () => {
    expect(() => encode('command', b1, { ...valid.command, params: { durationSec: 10 } } as never)).toThrow(/reason/);
    expect(() => encode('command', b1, { ...valid.command, name: 'camera.ptz' } as never)).toThrow(/pan/);
  });

  it('throws on an address with an invalid id', () => {
    expect(() => encode('state', { site: 'estate/a', agent: 'b1' }, valid.state as never)).toThrow(/invalid site id/);
    expect(() => encode('state', { site: 'estate-a', agent: '+' }, valid.state as never)).toThrow(/invalid agent id/);
  });

  it('throws rather than produce a payload the receiver would refuse as too large', () => {
    // Under MAX_POINTS_PER_BATCH, yet over MAX_PAYLOAD_BYTES: long string values.
    const points = Array.from({ length: 2100 }, (_, i) => ({ device: 'panel-1', metric: 'log', ts: T + i, value: 'x'.repeat(1000) }));
    expect(() => encode('telemetry', b1, { ...valid.telemetry, points } as never)).toThrow(RangeError);
    expect(() => encode('telemetry', b1, { ...valid.telemetry, points: points.slice(0, 1000) } as never)).not.toThrow();
  });
});
