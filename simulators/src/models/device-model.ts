import type { FaultBook } from '../faults/fault-book.js';

export type SimValue = number | boolean | string;
/** One reading of a device: metric name → value. */
export type SimSample = Record<string, SimValue>;

/**
 * A signal model. The simulation steps every model on a fixed grid (1 s by
 * default) up to the requested instant, then reads it. State lives in the
 * model; randomness comes from the stateless seeded noise, keyed by the step's
 * time, so results do not depend on how often a device is sampled.
 */
export interface DeviceModel {
  /** Device ids this model answers for (a pump station serves its tank and its pumps). */
  readonly deviceIds: readonly string[];
  /** Advances the state to `t` (epoch ms) by `dtSec`. */
  step(t: number, dtSec: number): void;
  /** The device's values at `t` (the state of the last step plus measurement noise). */
  read(deviceId: string, t: number): SimSample;
  /** Writes a set-point metric; throws when the device has no such set-point. */
  setpoint?(deviceId: string, metric: string, value: number): void;
}

export interface ModelContext {
  faults: FaultBook;
}

export const round = (value: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};

export const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

/** First-order lag: moves `value` toward `target` with time constant `tauSec` over `dtSec`. */
export const approach = (value: number, target: number, dtSec: number, tauSec: number): number =>
  target + (value - target) * Math.exp(-dtSec / tauSec);

/** Noise keys, so each metric of a device draws from its own stream. */
export const noiseKey = {
  level: 1,
  demand: 2,
  motorTemp: 3,
  pressure: 4,
  current: 5,
  temperature: 6,
  humidity: 7,
  weather: 8,
  usage: 9,
  liftCall: 10,
  liftFloor: 11,
  liftDest: 12,
} as const;
