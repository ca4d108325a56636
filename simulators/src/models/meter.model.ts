import type { DeviceModel, ModelContext, SimSample } from './device-model.js';
import { noiseKey, round } from './device-model.js';
import { SmoothNoise } from '../signals/seeded-noise.js';
import { localHour, residentialPowerProfile, residentialWaterProfile } from '../signals/daily-profiles.js';
import type { ParamsOf } from '../simulation/simulated-device.schema.js';

interface MeterSpec {
  id: string;
  seed: number;
  utcOffsetMin: number;
}

/** Usage rate (per hour) of a household: its daily mean shaped by the daily curve and a slow wobble (never negative). */
class HouseholdRate {
  readonly #wobble: SmoothNoise;

  constructor(
    private readonly spec: MeterSpec,
    private readonly dailyUse: number,
    private readonly profile: (hour: number) => number,
  ) {
    this.#wobble = new SmoothNoise(spec.seed, noiseKey.usage, 900);
  }

  at(t: number): number {
    const wobble = 1 + 0.35 * this.#wobble.at(t / 1000);
    return Math.max(0, (this.dailyUse / 24) * this.profile(localHour(t, this.spec.utcOffsetMin)) * wobble);
  }
}

/** A unit's cold-water meter: cumulative m³ (register resolution 1 L). */
export class WaterMeterModel implements DeviceModel {
  readonly deviceIds: readonly string[];
  readonly #use: HouseholdRate;
  #total: number;

  constructor(
    private readonly spec: MeterSpec,
    private readonly params: ParamsOf<'meter.water'>,
    private readonly ctx: ModelContext,
  ) {
    this.deviceIds = [spec.id];
    this.#total = params.initialM3;
    this.#use = new HouseholdRate(spec, params.dailyM3, residentialWaterProfile);
  }

  rateM3h(t: number): number {
    const leak = this.ctx.faults.active(this.spec.id, 'leak', t) ? this.params.leakM3h : 0;
    return this.#use.at(t) + leak;
  }

  step(t: number, dtSec: number): void {
    this.#total += (this.rateM3h(t) * dtSec) / 3600;
  }

  read(): SimSample {
    // Floor, not round: a register shows whole litres already passed, and floor of a growing total never decreases.
    return { volume: Math.floor(this.#total * 1000) / 1000 };
  }
}

/** A unit's electricity meter: cumulative kWh (0.01 kWh resolution) and instantaneous kW. */
export class ElectricityMeterModel implements DeviceModel {
  readonly deviceIds: readonly string[];
  readonly #use: HouseholdRate;
  #total: number;

  constructor(spec: MeterSpec, params: ParamsOf<'meter.electricity'>) {
    this.deviceIds = [spec.id];
    this.#total = params.initialKWh;
    this.#use = new HouseholdRate(spec, params.dailyKWh, residentialPowerProfile);
  }

  powerKW(t: number): number {
    return this.#use.at(t);
  }

  step(t: number, dtSec: number): void {
    this.#total += (this.powerKW(t) * dtSec) / 3600;
  }

  read(_deviceId: string, t: number): SimSample {
    return { energy: Math.floor(this.#total * 100) / 100, power: round(this.powerKW(t), 3) };
  }
}
