import { FaultBook } from '../faults/fault-book.js';
import { faultApplies, type FaultName, type ModelName } from '../faults/fault-catalog.js';
import { ClimateModel } from '../models/climate.model.js';
import { DetectorModel } from '../models/detector.model.js';
import type { DeviceModel, ModelContext, SimSample } from '../models/device-model.js';
import { LiftModel } from '../models/lift.model.js';
import { ElectricityMeterModel, WaterMeterModel } from '../models/meter.model.js';
import { PumpStationModel, type PumpStationSpec } from '../models/pump-station.model.js';
import type { ScenarioStep, SimulatedDevice } from './simulated-device.schema.js';

/** The metrics each model produces, in the order it produces them. */
export const modelMetrics: Record<ModelName, readonly string[]> = {
  pump: ['running', 'motorTemp', 'outletPressure', 'current', 'runHours', 'pressureSetpoint'],
  'sensor.level': ['level'],
  'sensor.temperature': ['temperature', 'humidity'],
  'meter.water': ['volume'],
  'meter.electricity': ['energy', 'power'],
  lift: ['status', 'floor', 'doorCycles'],
  'sensor.smoke': ['smoke'],
  'sensor.leak': ['leak'],
};

/** Thrown by `sample` while an `offline` fault is active: the device does not answer. */
export class DeviceOfflineError extends Error {
  constructor(readonly deviceId: string) {
    super(`device ${deviceId} does not answer (simulated offline fault)`);
    this.name = 'DeviceOfflineError';
  }
}

export class SimulationError extends Error {
  override name = 'SimulationError';
}

export interface SimulationOptions {
  /** Epoch ms the simulation starts at; scenario steps are relative to it. */
  start: number;
  /** Integration step; 1 s resolves pump cycles and lift trips well. */
  stepMs?: number;
  /**
   * Longest gap `advanceTo` integrates step by step. Beyond it the clock jumps
   * (a process suspended for days must not spend minutes catching up).
   */
  maxCatchUpMs?: number;
}

interface StuckWindowKey {
  device: string;
  from: number;
}

/**
 * A set of simulated devices (typically one building) stepped together on a
 * fixed time grid. Time only moves when a caller passes `now`, so tests drive
 * days of signal in milliseconds and a given seed always yields the same values.
 */
export class Simulation {
  readonly start: number;
  readonly #stepMs: number;
  readonly #maxCatchUpMs: number;
  readonly #faults = new FaultBook();
  readonly #models: DeviceModel[] = [];
  readonly #modelOf = new Map<string, DeviceModel>();
  readonly #kindOf = new Map<string, ModelName>();
  /** Values frozen by a `stuck` fault, keyed by the fault window. */
  readonly #frozen = new Map<string, SimSample>();
  #time: number;

  constructor(devices: readonly SimulatedDevice[], options: SimulationOptions) {
    this.#stepMs = options.stepMs ?? 1000;
    this.#maxCatchUpMs = options.maxCatchUpMs ?? 7 * 86_400_000;
    this.start = options.start;
    // Align to the grid so noise keyed by step time is shared by every run.
    this.#time = Math.floor(options.start / this.#stepMs) * this.#stepMs;
    const ctx: ModelContext = { faults: this.#faults };

    for (const d of devices) {
      if (this.#kindOf.has(d.id)) throw new SimulationError(`device id ${d.id} appears twice`);
      this.#kindOf.set(d.id, d.model);
    }
    const stations = new Map<string, PumpStationSpec>();
    for (const d of devices) {
      if (d.model === 'sensor.level') stations.set(d.id, { tank: { id: d.id, seed: d.seed, utcOffsetMin: d.utcOffsetMin, params: d.params }, pumps: [] });
    }
    for (const d of devices) {
      switch (d.model) {
        case 'pump': {
          const station = stations.get(d.params.tank);
          if (!station) throw new SimulationError(`pump ${d.id}: params.tank "${d.params.tank}" is not a sensor.level device of this simulation`);
          station.pumps.push({ id: d.id, seed: d.seed, params: d.params });
          break;
        }
        case 'sensor.level':
          break;
        case 'sensor.temperature':
          this.#add(new ClimateModel(d.id, d.seed, d.utcOffsetMin, d.params, ctx));
          break;
        case 'meter.water':
          this.#add(new WaterMeterModel(d, d.params, ctx));
          break;
        case 'meter.electricity':
          this.#add(new ElectricityMeterModel(d, d.params));
          break;
        case 'lift':
          this.#add(new LiftModel(d.id, d.seed, d.utcOffsetMin, d.params, ctx));
          break;
        case 'sensor.smoke':
          this.#add(new DetectorModel(d.id, 'smoke', ctx));
          break;
        case 'sensor.leak':
          this.#add(new DetectorModel(d.id, 'leak', ctx));
          break;
      }
    }
    for (const station of stations.values()) this.#add(new PumpStationModel(station, ctx));
    for (const d of devices) this.schedule(d.scenario.map((s) => ({ ...s, device: d.id })));
  }

  #add(model: DeviceModel): void {
    this.#models.push(model);
    for (const id of model.deviceIds) this.#modelOf.set(id, model);
  }

  get deviceIds(): string[] {
    return [...this.#kindOf.keys()];
  }

  /** The simulated instant the state has been integrated to. */
  get time(): number {
    return this.#time;
  }

  modelOf(deviceId: string): ModelName {
    const kind = this.#kindOf.get(deviceId);
    if (!kind) throw new SimulationError(`unknown device ${deviceId}`);
    return kind;
  }

  /** Integrates every model up to `now` on the step grid. Going back in time is a no-op. */
  advanceTo(now: number): void {
    if (now - this.#time > this.#maxCatchUpMs) {
      this.#time = Math.floor((now - this.#maxCatchUpMs) / this.#stepMs) * this.#stepMs;
    }
    const dtSec = this.#stepMs / 1000;
    while (this.#time + this.#stepMs <= now) {
      this.#time += this.#stepMs;
      for (const model of this.#models) model.step(this.#time, dtSec);
      this.#freezeStuck(this.#time);
    }
  }

  /** The device's values at `now`. Throws DeviceOfflineError while an `offline` fault is active. */
  sample(deviceId: string, now: number): SimSample {
    const model = this.#model(deviceId);
    this.advanceTo(now);
    if (this.#faults.active(deviceId, 'offline', now)) throw new DeviceOfflineError(deviceId);
    const stuck = this.#faults.window(deviceId, 'stuck', now);
    if (stuck) {
      const frozen = this.#frozen.get(key(stuck));
      if (frozen) return { ...frozen };
    }
    return model.read(deviceId, now);
  }

  /**
   * Starts `fault` on a device at `at` (default: the current simulated time)
   * for `durationSec`, or until `clearFaults` when no duration is given.
   */
  injectFault(deviceId: string, fault: FaultName, options: { at?: number; durationSec?: number } = {}): void {
    const kind = this.modelOf(deviceId);
    if (!faultApplies(kind, fault)) throw new SimulationError(`fault ${fault} does not apply to ${deviceId} (a ${kind})`);
    if (options.durationSec !== undefined && !(options.durationSec > 0)) throw new SimulationError(`fault ${fault} on ${deviceId}: durationSec must be positive`);
    const from = options.at ?? this.#time;
    this.#faults.add({ device: deviceId, fault, from, to: options.durationSec === undefined ? Number.POSITIVE_INFINITY : from + options.durationSec * 1000 });
    this.#faults.prune(this.#time);
  }

  /** Ends every fault active on a device at `at` (scheduled ones still to come stay). Returns how many ended. */
  clearFaults(deviceId: string, at: number = this.#time): number {
    this.modelOf(deviceId);
    return this.#faults.end(deviceId, at);
  }

  /** Schedules scenario steps, `at` seconds after `start` (default: the simulation start). */
  schedule(steps: readonly ScenarioStep[], start = this.start): void {
    for (const s of steps) this.injectFault(s.device, s.fault, { at: start + s.at * 1000, durationSec: s.durationSec });
  }

  /** Faults active on a device at `now`. */
  activeFaults(deviceId: string, now: number): FaultName[] {
    this.modelOf(deviceId);
    return this.#faults.activeAt(deviceId, now);
  }

  /** Writes a set-point metric (pumps: `pressureSetpoint`, kPa). */
  setpoint(deviceId: string, metric: string, value: number): void {
    const model = this.#model(deviceId);
    if (!model.setpoint) throw new SimulationError(`${deviceId} (a ${this.modelOf(deviceId)}) has no set-point`);
    try {
      model.setpoint(deviceId, metric, value);
    } catch (err) {
      throw new SimulationError((err as Error).message);
    }
  }

  #model(deviceId: string): DeviceModel {
    const model = this.#modelOf.get(deviceId);
    if (!model) throw new SimulationError(`unknown device ${deviceId}`);
    return model;
  }

  /** A `stuck` device repeats what it showed when the fault began; capture that on the step grid. */
  #freezeStuck(t: number): void {
    for (const id of this.#kindOf.keys()) {
      const w = this.#faults.window(id, 'stuck', t);
      if (!w || this.#frozen.has(key(w))) continue;
      this.#frozen.set(key(w), this.#modelOf.get(id)!.read(id, t));
    }
  }
}

function key(w: StuckWindowKey): string {
  return `${w.device}@${w.from}`;
}
