import type { DeviceModel, ModelContext, SimSample } from './device-model.js';
import { clamp, noiseKey, round } from './device-model.js';
import { gaussianAt, smoothNoiseAt } from '../signals/seeded-noise.js';
import { localHour, outdoorTemperatureShape } from '../signals/daily-profiles.js';
import type { ParamsOf } from '../simulation/simulated-device.schema.js';

/** How far and how fast a room heats during an `overheat` fault. */
const OVERHEAT_RISE_K = 14;
const OVERHEAT_RAMP_SEC = 300;

/**
 * Temperature and relative humidity. Stateless: the value is a daily curve
 * (lagging the outdoor one indoors) plus slow weather drift and sensor noise.
 * Relative humidity falls as the air warms (same moisture, warmer air).
 */
export class ClimateModel implements DeviceModel {
  readonly deviceIds: readonly string[];

  constructor(
    private readonly id: string,
    private readonly seed: number,
    private readonly utcOffsetMin: number,
    private readonly params: ParamsOf<'sensor.temperature'>,
    private readonly ctx: ModelContext,
  ) {
    this.deviceIds = [id];
  }

  step(): void {
    // Nothing to integrate: the signal is a function of time.
  }

  read(_deviceId: string, t: number): SimSample {
    const { indoor, baseC, baseHumidity } = this.params;
    const swing = this.params.dailySwingC ?? (indoor ? 1.2 : 5);
    const tSec = t / 1000;
    // Buildings lag the weather by a couple of hours.
    const hour = localHour(t, this.utcOffsetMin) - (indoor ? 2 : 0);
    const weather = smoothNoiseAt(this.seed, noiseKey.weather, tSec, 3 * 3600) * (indoor ? 0.4 : 1.5);
    let temp = baseC + swing * outdoorTemperatureShape(hour) + weather + 0.08 * gaussianAt(this.seed, noiseKey.temperature, Math.floor(tSec));
    const overheat = this.ctx.faults.window(this.id, 'overheat', t);
    if (overheat) temp += OVERHEAT_RISE_K * Math.min(1, (t - overheat.from) / 1000 / OVERHEAT_RAMP_SEC);
    const humidity =
      baseHumidity - 2.2 * (temp - baseC) + 4 * smoothNoiseAt(this.seed, noiseKey.humidity, tSec, 2 * 3600) + 0.3 * gaussianAt(this.seed, noiseKey.humidity, Math.floor(tSec));
    return { temperature: round(temp, 1), humidity: round(clamp(humidity, 3, 99), 1) };
  }
}
