import { describe, expect, it } from 'vitest';
import { agentPrefix, hubSubscriptions, parseTopic, sharedSubscription, topics, TOPIC_ROOT, type TopicKind } from './topics.js';

const b1 = { site: 'estate-a', agent: 'b1-agent' };

describe('topic building', () => {
  it('puts every topic of an agent under warden/v1/{site}/{agent}/', () => {
    expect(TOPIC_ROOT).toBe('warden/v1');
    expect(agentPrefix(b1)).toBe('warden/v1/estate-a/b1-agent/');
    expect(topics.state(b1)).toBe('warden/v1/estate-a/b1-agent/state');
    expect(topics.deviceBirth(b1, 'pump-3')).toBe('warden/v1/estate-a/b1-agent/device/pump-3/birth');
    expect(topics.telemetry(b1)).toBe('warden/v1/estate-a/b1-agent/telemetry');
    expect(topics.event(b1)).toBe('warden/v1/estate-a/b1-agent/event');
    expect(topics.command(b1)).toBe('warden/v1/estate-a/b1-agent/cmd');
    expect(topics.commandAck(b1)).toBe('warden/v1/estate-a/b1-agent/cmd/ack');
  });

  it('accepts ids of letters, digits, "_", "." and "-" up to 64 characters', () => {
    const longest = 'a'.repeat(64);
    expect(topics.state({ site: 'S_1.x-y', agent: longest })).toBe(`warden/v1/S_1.x-y/${longest}/state`);
  });

  it.each([
    ['a single-level wildcard', 'b1+'],
    ['a multi-level wildcard', '#'],
    ['a slash', 'b1/agent'],
    ['an empty id', ''],
    ['a space', 'b1 agent'],
    ['a leading dot', '.hidden'],
    ['a leading dash', '-b1'],
    ['a leading $ (broker-reserved topics)', '$SYS'],
    ['non-ASCII letters', '一号楼'],
    ['65 characters', 'a'.repeat(65)],
  ])('refuses an id with %s', (_what, bad) => {
    expect(() => topics.state({ site: bad, agent: 'b1' })).toThrow(/invalid site id/);
    expect(() => topics.telemetry({ site: 'estate-a', agent: bad })).toThrow(/invalid agent id/);
    expect(() => topics.deviceBirth(b1, bad)).toThrow(/invalid device id/);
  });

  it('subscribes the hub to everything agents publish, and not to commands', () => {
    expect([...hubSubscriptions].sort()).toEqual(
      [
        'warden/v1/+/+/state',
        'warden/v1/+/+/device/+/birth',
        'warden/v1/+/+/telemetry',
        'warden/v1/+/+/event',
        'warden/v1/+/+/cmd/ack',
      ].sort(),
    );
  });

  it('wraps a filter in an MQTT 5 shared subscription, group "warden" by default', () => {
    expect(sharedSubscription('warden/v1/+/+/telemetry')).toBe('$share/warden/warden/v1/+/+/telemetry');
    expect(sharedSubscription('warden/v1/+/+/event', 'hubs')).toBe('$share/hubs/warden/v1/+/+/event');
  });
});

describe('topic parsing', () => {
  it.each<[string, TopicKind, string | undefined]>([
    ['warden/v1/estate-a/b1-agent/state', 'state', undefined],
    ['warden/v1/estate-a/b1-agent/device/pump-3/birth', 'deviceBirth', 'pump-3'],
    ['warden/v1/estate-a/b1-agent/telemetry', 'telemetry', undefined],
    ['warden/v1/estate-a/b1-agent/event', 'event', undefined],
    ['warden/v1/estate-a/b1-agent/cmd', 'command', undefined],
    ['warden/v1/estate-a/b1-agent/cmd/ack', 'commandAck', undefined],
  ])('reads %s as %s', (topic, kind, device) => {
    const expected = device === undefined ? { site: 'estate-a', agent: 'b1-agent', kind } : { site: 'estate-a', agent: 'b1-agent', kind, device };
    expect(parseTopic(topic)).toEqual(expected);
  });

  it('round-trips every topic it builds', () => {
    expect(parseTopic(topics.deviceBirth(b1, 'door.B2-1'))).toEqual({ ...b1, kind: 'deviceBirth', device: 'door.B2-1' });
    expect(parseTopic(topics.commandAck(b1))).toEqual({ ...b1, kind: 'commandAck' });
  });

  it.each([
    ['another namespace', 'zigbee2mqtt/bridge/state'],
    ['another protocol version', 'warden/v2/estate-a/b1-agent/state'],
    ['a prefix in front of the namespace', 'x/warden/v1/estate-a/b1-agent/state'],
    ['a shared-subscription form', '$share/warden/warden/v1/estate-a/b1-agent/state'],
    ['a wildcard site', 'warden/v1/+/b1-agent/state'],
    ['a wildcard agent', 'warden/v1/estate-a/+/state'],
    ['a multi-level wildcard', 'warden/v1/estate-a/b1-agent/#'],
    ['a wildcard device', 'warden/v1/estate-a/b1-agent/device/+/birth'],
    ['an empty level', 'warden/v1//b1-agent/state'],
    ['a trailing slash', 'warden/v1/estate-a/b1-agent/state/'],
    ['a leading slash', '/warden/v1/estate-a/b1-agent/state'],
    ['an unknown suffix', 'warden/v1/estate-a/b1-agent/status'],
    ['no suffix', 'warden/v1/estate-a/b1-agent'],
    ['a device without birth', 'warden/v1/estate-a/b1-agent/device/pump-3'],
    ['a device with another suffix', 'warden/v1/estate-a/b1-agent/device/pump-3/death'],
    ['extra levels after the suffix', 'warden/v1/estate-a/b1-agent/cmd/ack/more'],
    ['an over-long agent id', `warden/v1/estate-a/${'a'.repeat(65)}/state`],
    ['the empty string', ''],
  ])('returns undefined for %s', (_what, topic) => {
    expect(parseTopic(topic)).toBeUndefined();
  });
});
