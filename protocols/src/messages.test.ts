import { describe, expect, it } from 'vitest';
import {
  agentCommandNames,
  commandNames,
  commandParamsSchemas,
  commandSchema,
  commandWithParamsSchema,
  deviceBirthSchema,
  eventSchema,
  isCommandExpired,
  schemas,
  telemetryBatchSchema,
} from './messages.js';

const T = 1_772_438_400_000; // 2026-03-02T08:00:00Z

describe('message defaults', () => {
  it('reads a telemetry batch without "historical" as live data', () => {
    const batch = telemetryBatchSchema.parse({ v: 1, msgId: 'm1', seq: 0, ts: T, points: [{ device: 'pump-3', metric: 'temp', ts: T, value: 41.5 }] });
    expect(batch.historical).toBe(false);
  });

  it('reads an event without "historical" as live data', () => {
    const event = eventSchema.parse({ v: 1, msgId: 'm2', seq: 1, ts: T, device: 'door-1', kind: 'door.forced' });
    expect(event.historical).toBe(false);
  });

  it('keeps historical=true when the agent replays from its queue', () => {
    const event = eventSchema.parse({ v: 1, msgId: 'm2', seq: 1, ts: T, historical: true, device: 'door-1', kind: 'door.forced' });
    expect(event.historical).toBe(true);
  });

  it('reads a device birth without "capabilities" as a device that takes no commands', () => {
    const birth = deviceBirthSchema.parse({ v: 1, msgId: 'm3', seq: 2, ts: T, device: { id: 'tank-1', type: 'sensor.level', name: 'Roof tank' }, metrics: [] });
    expect(birth.capabilities).toEqual([]);
  });
});

describe('device birth metrics', () => {
  const birth = (metrics: unknown[]) => ({ v: 1, msgId: 'm', seq: 0, ts: T, device: { id: 'pump-3', type: 'pump', name: 'Pump 3' }, metrics });

  it('refuses two metrics of the same name, naming the second', () => {
    const result = deviceBirthSchema.safeParse(birth([{ name: 'temp', type: 'number' }, { name: 'temp', type: 'boolean' }]));
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toEqual([['metrics', 1, 'name']]);
  });

  it('refuses a range whose max is below its min', () => {
    const result = deviceBirthSchema.safeParse(birth([{ name: 'temp', type: 'number', min: 10, max: 0 }]));
    expect(result.error?.issues.map((i) => i.path)).toEqual([['metrics', 0, 'max']]);
  });

  it('accepts a one-value range', () => {
    expect(deviceBirthSchema.safeParse(birth([{ name: 'temp', type: 'number', min: 5, max: 5 }])).success).toBe(true);
  });

  it('still lets other code derive schemas from the birth object', () => {
    // zod 4 forbids .pick on refined objects: the metrics check sits on the array for this reason.
    expect(() => deviceBirthSchema.pick({ device: true })).not.toThrow();
  });
});

describe('command params', () => {
  const command = (name: string, params?: unknown, device: string | null = 'dev-1') => ({
    v: 1,
    id: '3f1c2a9e-8b4d-4c61-9f2e-5a7d0c3b1e42',
    ts: T,
    name,
    ...(device === null ? {} : { device }),
    ...(params === undefined ? {} : { params }),
  });
  const paths = (input: unknown) => commandWithParamsSchema.safeParse(input).error?.issues.map((i) => i.path.join('.')) ?? [];

  it('has a params schema for every command name', () => {
    expect(Object.keys(commandParamsSchemas).sort()).toEqual([...commandNames].sort());
  });

  it.each([
    ['rebirth', undefined],
    ['rebirth', {}],
    ['setpoint', { metric: 'supplyTemp', value: 45.5 }],
    ['setpoint', { metric: 'run', value: true }],
    ['door.unlock', { reason: 'delivery at gate' }],
    ['door.unlock', { durationSec: 30, reason: 'delivery at gate' }],
    ['door.lock', { reason: 'end of event' }],
    ['door.access', { reason: 'resident at intercom' }],
    ['camera.snapshot', undefined],
    ['camera.ptz', { pan: -1, tilt: 1, zoom: 0 }],
    ['simulate.fault', { fault: 'overheat' }],
    ['simulate.fault', { fault: 'clear', durationSec: 60 }],
  ])('accepts %s with params %j', (name, params) => {
    expect(paths(command(name, params))).toEqual([]);
  });

  it.each([
    ['setpoint', undefined, ['params.metric', 'params.value']],
    ['setpoint', { metric: 'supplyTemp', value: null }, ['params.value']],
    ['door.unlock', { durationSec: 30 }, ['params.reason']],
    ['door.unlock', { durationSec: 0, reason: 'x' }, ['params.durationSec']],
    ['door.unlock', { durationSec: 1.5, reason: 'x' }, ['params.durationSec']],
    ['door.lock', { reason: '' }, ['params.reason']],
    ['door.access', {}, ['params.reason']],
    ['camera.snapshot', { quality: 'high' }, ['params']],
    ['camera.ptz', { pan: 1.5, tilt: 0, zoom: 0 }, ['params.pan']],
    ['camera.ptz', { pan: 0, tilt: 0 }, ['params.zoom']],
    ['rebirth', { force: true }, ['params']],
    ['simulate.fault', { fault: 'over heat' }, ['params.fault']],
  ])('refuses %s with params %j, naming %j', (name, params, expected) => {
    expect(paths(command(name, params))).toEqual(expected);
  });

  const validParams: Record<(typeof commandNames)[number], unknown> = {
    rebirth: {},
    setpoint: { metric: 'supplyTemp', value: 45 },
    'door.unlock': { reason: 'r' },
    'door.lock': { reason: 'r' },
    'door.access': { reason: 'r' },
    'camera.snapshot': {},
    'camera.ptz': { pan: 0, tilt: 0, zoom: 0 },
    'camera.clip': { seconds: 5 },
    'simulate.fault': { fault: 'stuck' },
  };

  it.each(commandNames.filter((n) => n !== 'rebirth'))('refuses %s without a device', (name) => {
    expect(paths(command(name, validParams[name], 'dev-1'))).toEqual([]);
    expect(paths(command(name, validParams[name], null))).toEqual(['device']);
  });

  it('addresses rebirth without a device to the agent as a whole', () => {
    expect(agentCommandNames).toEqual(['rebirth']);
    expect(paths(command('rebirth', undefined, null))).toEqual([]);
  });

  it('accepts a rebirth of one device', () => {
    expect(paths(command('rebirth', undefined, 'pump-3'))).toEqual([]);
  });

  it('leaves the plain commandSchema loose on params so it can be picked from', () => {
    expect(commandSchema.safeParse(command('setpoint', { anything: 1 })).success).toBe(true);
    expect(() => commandSchema.pick({ name: true, device: true, params: true })).not.toThrow();
  });
});

describe('command expiry', () => {
  it('is not expired without expiresAt', () => {
    expect(isCommandExpired({}, T)).toBe(false);
  });

  it('may still run at the instant of expiresAt and not one millisecond later', () => {
    expect(isCommandExpired({ expiresAt: T }, T)).toBe(false);
    expect(isCommandExpired({ expiresAt: T }, T + 1)).toBe(true);
  });
});

describe('schema registry', () => {
  it('has one schema per topic kind', () => {
    expect(Object.keys(schemas).sort()).toEqual(['command', 'commandAck', 'deviceBirth', 'event', 'state', 'telemetry']);
  });
});
