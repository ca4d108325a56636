import { describe, expect, it } from 'vitest';
import { faultsByModel, modelMetrics, modelNames } from '@warden/simulators';
import { alarm, counter, running, setpoint, status } from './capability-blocks.js';
import { deviceCatalog, equipmentTypes } from './device-catalog.js';
import { defineDevice } from './device-definition.js';

describe('device catalog', () => {
  it('declares exactly the metrics each simulator model produces', () => {
    expect([...equipmentTypes].sort()).toEqual([...modelNames].sort());
    for (const type of equipmentTypes) {
      expect(deviceCatalog[type].metrics.map((m) => m.name).sort(), type).toEqual([...modelMetrics[type]].sort());
      expect(faultsByModel[type].length).toBeGreaterThan(0);
    }
  });

  it('marks meters and run hours cumulative, with UCUM units', () => {
    const metric = (type: keyof typeof deviceCatalog, name: string) => deviceCatalog[type].metrics.find((m) => m.name === name);
    expect(metric('meter.water', 'volume')).toMatchObject({ unit: 'm3', cumulative: true });
    expect(metric('meter.electricity', 'energy')).toMatchObject({ unit: 'kWh', cumulative: true });
    expect(metric('pump', 'runHours')).toMatchObject({ unit: 'h', cumulative: true });
    expect(metric('pump', 'motorTemp')).toMatchObject({ unit: 'Cel', type: 'number' });
    expect(metric('pump', 'pressureSetpoint')).toMatchObject({ unit: 'kPa', min: 100, max: 1600 });
  });

  it('declares cameras and doors with the protocol\'s commands and health/state metrics', () => {
    expect(deviceCatalog.camera.metrics.map((m) => [m.name, m.type])).toEqual([
      ['onvifReachable', 'boolean'],
      ['rtspReachable', 'boolean'],
      ['pictureFrozen', 'boolean'],
    ]);
    expect(deviceCatalog.camera.commands.map((c) => c.name)).toEqual(['camera.snapshot', 'camera.clip', 'camera.ptz']);
    const clip = deviceCatalog.camera.commands.find((c) => c.name === 'camera.clip')!;
    expect(clip.params.safeParse({ seconds: 31 }).success).toBe(false);
    expect(clip.timeoutMs?.({ seconds: 10 })).toBeGreaterThan(10_000);
    expect(deviceCatalog.door.metrics.map((m) => m.name)).toEqual(['open', 'locked']);
    expect(deviceCatalog.door.commands.map((c) => c.name)).toEqual(['door.unlock', 'door.lock', 'door.access']);
    expect(deviceCatalog.door.commands[0].params.safeParse({ durationSec: 5 }).success).toBe(false); // a reason is required
  });

  it('accepts a set-point only for a set-point metric and within its range', () => {
    const spec = deviceCatalog.pump.commands.find((c) => c.name === 'setpoint')!;
    expect(spec.params.safeParse({ metric: 'pressureSetpoint', value: 450 }).success).toBe(true);
    expect(spec.params.safeParse({ metric: 'pressureSetpoint', value: 2000 }).success).toBe(false);
    expect(spec.params.safeParse({ metric: 'motorTemp', value: 50 }).success).toBe(false);
    expect(spec.params.safeParse({ value: 450 }).success).toBe(false);
  });

  it('turns metric transitions into events', () => {
    const device = defineDevice(
      'test',
      running(),
      alarm({ name: 'leak' }),
      status({ values: ['ok', 'fault'], faultValues: ['fault'] }),
    );
    const detect = (metric: string, previous: unknown, value: unknown) =>
      device.events.filter((r) => r.metric === metric).map((r) => r.detect({ metric, previous: previous as never, value: value as never }));
    expect(detect('running', false, true)).toEqual([{ kind: 'equipment.started' }]);
    expect(detect('running', true, false)).toEqual([{ kind: 'equipment.stopped' }]);
    expect(detect('leak', false, true)).toEqual([{ kind: 'sensor.alarm', data: { type: 'leak', value: true } }]);
    expect(detect('leak', true, false)).toEqual([{ kind: 'sensor.alarmCleared', data: { type: 'leak' } }]);
    expect(detect('status', 'ok', 'fault')).toEqual([{ kind: 'equipment.fault', data: { code: 'status=fault', message: 'status is fault', severity: 'high' } }]);
    expect(detect('status', 'fault', 'ok')).toEqual([{ kind: 'equipment.faultCleared', data: { code: 'status=fault' } }]);
  });

  it('refuses a device that declares a metric twice', () => {
    expect(() => defineDevice('bad', counter({ name: 'x' }), setpoint({ name: 'x', unit: 'kPa', min: 0, max: 1 }))).toThrow(/metric x twice/);
  });
});
