import type { DeviceModel, ModelContext, SimSample } from './device-model.js';
import { approach, clamp, noiseKey, round } from './device-model.js';
import { SmoothNoise, gaussianAt } from '../signals/seeded-noise.js';
import { localHour, residentialWaterProfile } from '../signals/daily-profiles.js';
import type { ParamsOf } from '../simulation/simulated-device.schema.js';

interface PumpState {
  id: string;
  seed: number;
  params: ParamsOf<'pump'>;
  running: boolean;
  motorTempC: number;
  runHours: number;
  pressureSetpointKPa: number;
}

export interface PumpStationSpec {
  tank: { id: string; seed: number; utcOffsetMin: number; params: ParamsOf<'sensor.level'> };
  pumps: { id: string; seed: number; params: ParamsOf<'pump'> }[];
}

/** Heating of a loaded motor above ambient (K), and the temperature a failing one heads to. */
const MOTOR_RISE_K = 30;
const OVERHEAT_C = 105;

/**
 * A roof (or break) tank with its duty/standby booster pumps, simulated
 * together because they are coupled: the building's draw empties the tank,
 * the level controller starts the lead pump below `startLevel`, the lag pump
 * below `lagStartLevel`, stops both at `stopLevel`, and alternates the lead
 * on every cycle (as real duty/standby controllers do to even out wear).
 */
export class PumpStationModel implements DeviceModel {
  readonly deviceIds: readonly string[];
  readonly #tank: PumpStationSpec['tank'];
  readonly #pumps: PumpState[];
  readonly #ctx: ModelContext;
  readonly #wobble: SmoothNoise;
  #level: number;
  #filling = false;
  #lead = 0;

  constructor(spec: PumpStationSpec, ctx: ModelContext) {
    this.#tank = spec.tank;
    this.#ctx = ctx;
    this.#level = spec.tank.params.initialLevel;
    this.#wobble = new SmoothNoise(spec.tank.seed, noiseKey.demand, 600);
    this.#pumps = spec.pumps.map((p) => ({
      id: p.id,
      seed: p.seed,
      params: p.params,
      running: false,
      motorTempC: p.params.ambientC,
      runHours: p.params.initialRunHours,
      pressureSetpointKPa: p.params.pressureSetpointKPa,
    }));
    this.deviceIds = [spec.tank.id, ...spec.pumps.map((p) => p.id)];
  }

  /** The building's draw from the tank at `t` (m³/h). */
  demandM3h(t: number): number {
    const { params, utcOffsetMin, id } = this.#tank;
    const wobble = 1 + 0.12 * this.#wobble.at(t / 1000);
    const leak = this.#ctx.faults.active(id, 'leak', t) ? params.leakM3h : 0;
    return Math.max(0, params.demandM3h * residentialWaterProfile(localHour(t, utcOffsetMin)) * wobble) + leak;
  }

  step(t: number, dtSec: number): void {
    const { params } = this.#tank;
    const faults = this.#ctx.faults;

    if (this.#level >= params.stopLevel) this.#filling = false;
    else if (!this.#filling && this.#level <= params.startLevel) {
      this.#filling = true;
      this.#lead = (this.#lead + 1) % Math.max(1, this.#pumps.length);
    }

    // Lead first, then the others in turn; a broken-down pump is skipped and the next one covers.
    let wanted = !this.#filling ? 0 : this.#level <= params.lagStartLevel ? 2 : 1;
    const n = this.#pumps.length;
    for (let i = 0; i < n; i++) {
      const pump = this.#pumps[(this.#lead + i) % n];
      pump.running = wanted > 0 && !faults.active(pump.id, 'breakdown', t);
      if (pump.running) wanted -= 1;
    }

    let inflow = 0;
    for (const pump of this.#pumps) {
      const pressureLoss = faults.active(pump.id, 'pressureLoss', t);
      if (pump.running) {
        inflow += pump.params.ratedFlowM3h * (pressureLoss ? 0.2 : 1);
        pump.runHours += dtSec / 3600;
      }
      const overheating = faults.active(pump.id, 'overheat', t);
      const target = overheating ? OVERHEAT_C : pump.params.ambientC + (pump.running ? MOTOR_RISE_K : 0);
      // A healthy motor warms over ~10 min; a failing one (seized bearing, shorted winding) within ~2 min.
      pump.motorTempC = approach(pump.motorTempC, target, dtSec, overheating ? 90 : 600);
    }

    const net = inflow - this.demandM3h(t);
    this.#level = clamp(this.#level + (net * dtSec) / 3600 / params.capacityM3 * 100, 0, 100);
  }

  read(deviceId: string, t: number): SimSample {
    const tick = Math.floor(t / 1000);
    if (deviceId === this.#tank.id) {
      return { level: round(clamp(this.#level + 0.15 * gaussianAt(this.#tank.seed, noiseKey.level, tick), 0, 100), 1) };
    }
    const pump = this.#pump(deviceId);
    const faults = this.#ctx.faults;
    const pressureLoss = faults.active(pump.id, 'pressureLoss', t);
    const overheating = faults.active(pump.id, 'overheat', t);
    const sp = pump.pressureSetpointKPa;
    // Standing, the outlet only sees the static head of the riser.
    const pressure = pump.running ? sp * (pressureLoss ? 0.28 : 1) : sp * (pressureLoss ? 0.08 : 0.35);
    const current = pump.running ? pump.params.ratedCurrentA * 0.88 * (overheating ? 1.18 : 1) * (pressureLoss ? 0.55 : 1) : 0;
    return {
      running: pump.running,
      motorTemp: round(pump.motorTempC + 0.2 * gaussianAt(pump.seed, noiseKey.motorTemp, tick), 1),
      outletPressure: round(Math.max(0, pressure + (pump.running ? 6 : 1.5) * gaussianAt(pump.seed, noiseKey.pressure, tick)), 0),
      current: round(Math.max(0, current + (pump.running ? 0.25 * gaussianAt(pump.seed, noiseKey.current, tick) : 0)), 1),
      runHours: round(pump.runHours, 3),
      pressureSetpoint: sp,
    };
  }

  setpoint(deviceId: string, metric: string, value: number): void {
    if (deviceId === this.#tank.id || metric !== 'pressureSetpoint') throw new Error(`${deviceId} has no set-point ${metric}`);
    this.#pump(deviceId).pressureSetpointKPa = value;
  }

  #pump(deviceId: string): PumpState {
    const pump = this.#pumps.find((p) => p.id === deviceId);
    if (!pump) throw new Error(`pump station of ${this.#tank.id} has no device ${deviceId}`);
    return pump;
  }
}
