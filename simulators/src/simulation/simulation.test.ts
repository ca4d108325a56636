import { describe, expect, it } from 'vitest';
import { DeviceOfflineError, Simulation, SimulationError, modelMetrics } from './simulation.js';
import { parseSimulatedDevice, type SimulatedDevice } from './simulated-device.schema.js';
import { modelNames } from '../faults/fault-catalog.js';

/** Local midnight (UTC+8) of a Monday. */
const MIDNIGHT = Date.UTC(2025, 0, 5, 16, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

function plant(seed = 7): SimulatedDevice[] {
  return [
    parseSimulatedDevice('tank', { model: 'sensor.level', seed: seed + 1, params: { initialLevel: 60 } }),
    parseSimulatedDevice('pump-1', { model: 'pump', seed: seed + 2, params: { tank: 'tank' } }),
    parseSimulatedDevice('pump-2', { model: 'pump', seed: seed + 3, params: { tank: 'tank' } }),
    parseSimulatedDevice('room', { model: 'sensor.temperature', seed: seed + 4 }),
    parseSimulatedDevice('wm', { model: 'meter.water', seed: seed + 5, params: { initialM3: 100 } }),
    parseSimulatedDevice('em', { model: 'meter.electricity', seed: seed + 6 }),
    parseSimulatedDevice('lift', { model: 'lift', seed: seed + 7, params: { highestFloor: 18 } }),
    parseSimulatedDevice('smoke', { model: 'sensor.smoke', seed: seed + 8 }),
    parseSimulatedDevice('leak', { model: 'sensor.leak', seed: seed + 9 }),
  ];
}

describe('Simulation', () => {
  it('gives the same values for the same seed, whatever the sampling cadence', () => {
    const dense = new Simulation(plant(), { start: MIDNIGHT });
    const sparse = new Simulation(plant(), { start: MIDNIGHT });
    const seen: Record<string, unknown>[] = [];
    const compared: Record<string, unknown>[] = [];
    for (let t = MIDNIGHT; t <= MIDNIGHT + 3 * HOUR; t += 1000) {
      const row = Object.fromEntries(dense.deviceIds.map((id) => [id, dense.sample(id, t)]));
      if ((t - MIDNIGHT) % (10 * MIN) === 0) seen.push(row);
    }
    for (let t = MIDNIGHT; t <= MIDNIGHT + 3 * HOUR; t += 10 * MIN) {
      compared.push(Object.fromEntries(sparse.deviceIds.map((id) => [id, sparse.sample(id, t)])));
    }
    expect(compared).toEqual(seen);
  });

  it('gives different signals for different seeds', () => {
    const a = new Simulation(plant(1), { start: MIDNIGHT });
    const b = new Simulation(plant(2), { start: MIDNIGHT });
    const t = MIDNIGHT + 8 * HOUR;
    expect(a.sample('room', t)).not.toEqual(b.sample('room', t));
    expect(a.sample('em', t)).not.toEqual(b.sample('em', t));
  });

  it('produces exactly the metrics each model declares', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    const models = new Set(sim.deviceIds.map((id) => sim.modelOf(id)));
    expect([...models].sort()).toEqual([...modelNames].sort());
    for (const id of sim.deviceIds) {
      expect(Object.keys(sim.sample(id, MIDNIGHT + HOUR))).toEqual(modelMetrics[sim.modelOf(id)]);
    }
  });

  it('keeps meters and counters monotonic over two days, through stuck and offline faults', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    sim.injectFault('wm', 'stuck', { at: MIDNIGHT + 5 * HOUR, durationSec: 3600 });
    sim.injectFault('em', 'offline', { at: MIDNIGHT + 9 * HOUR, durationSec: 1800 });
    const counters: [string, string][] = [['wm', 'volume'], ['em', 'energy'], ['pump-1', 'runHours'], ['pump-2', 'runHours'], ['lift', 'doorCycles']];
    const last = new Map<string, number>();
    for (let t = MIDNIGHT; t <= MIDNIGHT + 48 * HOUR; t += 7 * MIN + 13_000) {
      for (const [id, metric] of counters) {
        let value: number;
        try {
          value = sim.sample(id, t)[metric] as number;
        } catch (err) {
          expect(err).toBeInstanceOf(DeviceOfflineError);
          continue;
        }
        expect(value).toBeGreaterThanOrEqual(last.get(`${id}.${metric}`) ?? -Infinity);
        last.set(`${id}.${metric}`, value);
      }
    }
    // Two days of a household's water (0.5 m³/day) and power (10 kWh/day), within the daily wobble.
    expect(last.get('wm.volume')! - 100).toBeGreaterThan(0.6);
    expect(last.get('wm.volume')! - 100).toBeLessThan(1.5);
    expect(last.get('em.energy')).toBeGreaterThan(12);
    expect(last.get('em.energy')).toBeLessThan(30);
  });

  it('uses more water at the morning peak than at 3 a.m.', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    const volumeAt = (h: number) => sim.sample('wm', MIDNIGHT + h * HOUR).volume as number;
    // Time only moves forward: read in order.
    const [v2, v3, v7, v8] = [volumeAt(2.5), volumeAt(3.5), volumeAt(7), volumeAt(8)];
    const night = v3 - v2;
    const morning = v8 - v7;
    expect(morning).toBeGreaterThan(3 * night);
  });

  it('cycles the booster pumps by tank level, alternating the lead pump', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    const startsBy = { 'pump-1': 0, 'pump-2': 0 };
    const was = { 'pump-1': false, 'pump-2': false };
    let minLevel = 100;
    let maxLevel = 0;
    for (let t = MIDNIGHT; t <= MIDNIGHT + 24 * HOUR; t += 5000) {
      const level = sim.sample('tank', t).level as number;
      minLevel = Math.min(minLevel, level);
      maxLevel = Math.max(maxLevel, level);
      for (const id of ['pump-1', 'pump-2'] as const) {
        const s = sim.sample(id, t);
        if (s.running && !was[id]) startsBy[id] += 1;
        was[id] = s.running as boolean;
        // A running pump draws current and delivers its set-point; a standing one does neither.
        if (s.running) expect(s.outletPressure as number).toBeGreaterThan(400);
        else expect(s.current).toBe(0);
      }
    }
    expect(startsBy['pump-1']).toBeGreaterThanOrEqual(2);
    expect(startsBy['pump-2']).toBeGreaterThanOrEqual(2);
    expect(minLevel).toBeGreaterThan(15);
    expect(minLevel).toBeLessThan(42);
    expect(maxLevel).toBeGreaterThan(88);
  });

  it('heats a pump motor during an overheat fault and lets it cool afterwards', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    const at = MIDNIGHT + 2 * HOUR;
    sim.injectFault('pump-1', 'overheat', { at, durationSec: 600 });
    const before = sim.sample('pump-1', at - 1000).motorTemp as number;
    const during = sim.sample('pump-1', at + 590_000).motorTemp as number;
    const after = sim.sample('pump-1', at + 600_000 + 2 * HOUR).motorTemp as number;
    expect(before).toBeLessThan(60);
    expect(during).toBeGreaterThan(95);
    expect(after).toBeLessThan(60);
    expect(sim.activeFaults('pump-1', at + 1000)).toEqual(['overheat']);
    expect(sim.activeFaults('pump-1', at + 600_000)).toEqual([]);
  });

  it('drops outlet pressure and current during a pressure loss', () => {
    const healthy = new Simulation(plant(), { start: MIDNIGHT });
    const faulty = new Simulation(plant(), { start: MIDNIGHT });
    faulty.injectFault('pump-1', 'pressureLoss', { at: MIDNIGHT, durationSec: 24 * 3600 });
    faulty.injectFault('pump-2', 'pressureLoss', { at: MIDNIGHT, durationSec: 24 * 3600 });
    let compared = 0;
    for (let t = MIDNIGHT + HOUR; t < MIDNIGHT + 12 * HOUR; t += MIN) {
      const h = healthy.sample('pump-1', t);
      const f = faulty.sample('pump-1', t);
      if (h.running) expect(h.outletPressure as number).toBeGreaterThan(400);
      if (f.running) {
        expect(f.outletPressure as number).toBeLessThan(200);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('freezes a stuck device at the value it showed when the fault began', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    const at = MIDNIGHT + 7 * HOUR;
    sim.injectFault('room', 'stuck', { at, durationSec: 1800 });
    const first = sim.sample('room', at + 1000);
    for (let t = at + 1000; t < at + 1800_000; t += 37_000) expect(sim.sample('room', t)).toEqual(first);
    expect(sim.sample('wm', at + 1800_000)).toBeDefined();
    const samples = new Set<string>();
    for (let t = at + 1800_000; t < at + 3600_000; t += 60_000) samples.add(JSON.stringify(sim.sample('room', t)));
    expect(samples.size).toBeGreaterThan(5);
  });

  it('makes an offline device throw only inside the fault window', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    sim.injectFault('lift', 'offline', { at: MIDNIGHT + HOUR, durationSec: 60 });
    expect(() => sim.sample('lift', MIDNIGHT + HOUR - 1)).not.toThrow();
    expect(() => sim.sample('lift', MIDNIGHT + HOUR + 30_000)).toThrow(DeviceOfflineError);
    expect(() => sim.sample('lift', MIDNIGHT + HOUR + 60_000)).not.toThrow();
  });

  it('raises a leak detector and speeds up a water meter during a leak', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    const quiet = new Simulation(plant(), { start: MIDNIGHT });
    const at = MIDNIGHT + 2 * HOUR;
    sim.injectFault('leak', 'leak', { at, durationSec: 3600 });
    sim.injectFault('wm', 'leak', { at, durationSec: 3600 });
    expect(sim.sample('leak', at - 1000)).toEqual({ leak: false });
    expect(sim.sample('leak', at + 1000)).toEqual({ leak: true });
    expect(sim.sample('leak', at + 3600_000)).toEqual({ leak: false });
    const leaked = (sim.sample('wm', at + 3600_000).volume as number) - (quiet.sample('wm', at + 3600_000).volume as number);
    expect(leaked).toBeCloseTo(0.12, 2);
  });

  it('keeps a fault without duration until it is cleared', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    sim.injectFault('smoke', 'smoke', { at: MIDNIGHT + HOUR });
    expect(sim.sample('smoke', MIDNIGHT + 30 * HOUR).smoke).toBe(true);
    expect(sim.clearFaults('smoke', MIDNIGHT + 30 * HOUR)).toBe(1);
    expect(sim.sample('smoke', MIDNIGHT + 30 * HOUR + 1000).smoke).toBe(false);
    expect(sim.activeFaults('smoke', MIDNIGHT + 31 * HOUR)).toEqual([]);
  });

  it('stops a broken-down lift with status fault', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    const at = MIDNIGHT + 8 * HOUR;
    sim.injectFault('lift', 'breakdown', { at, durationSec: 600 });
    const cycles = sim.sample('lift', at + 2000).doorCycles;
    expect(sim.sample('lift', at + 2000).status).toBe('fault');
    expect(sim.sample('lift', at + 599_000)).toMatchObject({ status: 'fault', doorCycles: cycles });
    expect(sim.sample('lift', at + 602_000).status).not.toBe('fault');
  });

  it('runs scenario steps relative to the start', () => {
    const start = MIDNIGHT + 10 * HOUR + 123;
    const devices = plant().map((d) => (d.id === 'smoke' ? { ...d, scenario: [{ at: 30, fault: 'smoke' as const, durationSec: 60 }] } : d));
    const sim = new Simulation(devices, { start });
    sim.schedule([{ at: 45, device: 'pump-2', fault: 'breakdown', durationSec: 10 }]);
    expect(sim.sample('smoke', start + 29_000).smoke).toBe(false);
    expect(sim.sample('smoke', start + 31_000).smoke).toBe(true);
    expect(sim.activeFaults('pump-2', start + 50_000)).toEqual(['breakdown']);
    expect(sim.sample('smoke', start + 91_000).smoke).toBe(false);
  });

  it('changes a pump pressure set-point and refuses one on a meter', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    sim.setpoint('pump-1', 'pressureSetpoint', 600);
    sim.setpoint('pump-2', 'pressureSetpoint', 600);
    let checked = 0;
    for (let t = MIDNIGHT + MIN; t < MIDNIGHT + 12 * HOUR && checked < 3; t += MIN) {
      const s = sim.sample('pump-1', t);
      if (s.running) {
        expect(s.outletPressure as number).toBeGreaterThan(570);
        expect(s.pressureSetpoint).toBe(600);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(() => sim.setpoint('wm', 'volume', 3)).toThrow(SimulationError);
    expect(() => sim.setpoint('pump-1', 'motorTemp', 3)).toThrow(/no set-point motorTemp/);
  });

  it('refuses faults that do not apply to the device, and unknown devices', () => {
    const sim = new Simulation(plant(), { start: MIDNIGHT });
    expect(() => sim.injectFault('wm', 'overheat', { durationSec: 10 })).toThrow(/does not apply to wm/);
    expect(() => sim.sample('nope', MIDNIGHT)).toThrow(/unknown device nope/);
    expect(() => new Simulation([parseSimulatedDevice('p', { model: 'pump', seed: 1, params: { tank: 'missing' } })], { start: MIDNIGHT })).toThrow(/params.tank "missing"/);
  });
});
