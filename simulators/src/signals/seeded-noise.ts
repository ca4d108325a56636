/**
 * Stateless, seeded randomness. Every random draw is a pure function of
 * (seed, key, time), so a signal is the same whatever the polling cadence or
 * the order in which devices are sampled: two runs with one seed agree sample
 * for sample, which keeps demos and tests repeatable.
 */

/** murmur3 finaliser: a cheap 32-bit mixer with good avalanche. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a string, for turning ids and metric names into keys. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A child seed for one device or one purpose, derived from an estate seed. */
export function deriveSeed(seed: number, ...parts: string[]): number {
  let h = mix32(seed >>> 0 ^ 0x9e3779b9);
  for (const part of parts) h = mix32(h ^ hashString(part));
  // Keep it a positive int32 so it survives JSON and zod's int() check everywhere.
  return h & 0x7fffffff;
}

/** Uniform in [0, 1) for (seed, key, tick). `tick` is any integer (e.g. seconds since epoch). */
export function unitAt(seed: number, key: number, tick: number): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  h = mix32(h ^ (key >>> 0));
  h = mix32(h ^ (tick >>> 0));
  h = mix32(h ^ Math.floor(tick / 4_294_967_296));
  return h / 4_294_967_296;
}

/** Standard normal draw for (seed, key, tick), by Box–Muller. */
export function gaussianAt(seed: number, key: number, tick: number): number {
  const u1 = Math.max(unitAt(seed, key, tick), 1e-12);
  const u2 = unitAt(seed, key ^ 0x5bd1e995, tick);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Smooth noise (roughly standard normal) that wanders with a time scale of
 * `periodSec`: normal draws at knots every `periodSec`, cosine-interpolated.
 * Used for slow drifts (weather, occupancy) on top of the daily curves.
 */
export function smoothNoiseAt(seed: number, key: number, tSec: number, periodSec: number): number {
  const x = tSec / periodSec;
  const k = Math.floor(x);
  const f = x - k;
  const w = (1 - Math.cos(Math.PI * f)) / 2;
  return gaussianAt(seed, key, k) * (1 - w) + gaussianAt(seed, key, k + 1) * w;
}

/**
 * `smoothNoiseAt` for one (seed, key, period), remembering the two knots
 * around the last instant: models evaluate it every step, and the knots only
 * change once per period.
 */
export class SmoothNoise {
  #k = Number.NaN;
  #g0 = 0;
  #g1 = 0;

  constructor(
    private readonly seed: number,
    private readonly key: number,
    private readonly periodSec: number,
  ) {}

  at(tSec: number): number {
    const x = tSec / this.periodSec;
    const k = Math.floor(x);
    if (k !== this.#k) {
      this.#g0 = k === this.#k + 1 ? this.#g1 : gaussianAt(this.seed, this.key, k);
      this.#g1 = gaussianAt(this.seed, this.key, k + 1);
      this.#k = k;
    }
    const w = (1 - Math.cos(Math.PI * (x - k))) / 2;
    return this.#g0 * (1 - w) + this.#g1 * w;
  }
}
