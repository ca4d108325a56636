/**
 * A pan/tilt/zoom head in ONVIF's generic spaces: pan and tilt in [-1, 1],
 * zoom in [0, 1]. Continuous moves integrate velocity over time (full scale in
 * two seconds at speed 1) until Stop or the move's timeout; the position is
 * computed when asked, so no timer runs.
 */
export interface PtzVector {
  pan: number;
  tilt: number;
  zoom: number;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
/** Generic-space units per second at velocity 1. */
const unitsPerSecond = 1;

export class PtzHead {
  readonly #now: () => number;
  #origin: PtzVector = { pan: 0, tilt: 0, zoom: 0 };
  #velocity: PtzVector = { pan: 0, tilt: 0, zoom: 0 };
  #since = 0;
  #until = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#since = now();
  }

  position(): PtzVector {
    const t = Math.min(this.#now(), this.#until);
    const dt = Math.max(0, t - this.#since) / 1000;
    return {
      pan: clamp(this.#origin.pan + this.#velocity.pan * unitsPerSecond * dt, -1, 1),
      tilt: clamp(this.#origin.tilt + this.#velocity.tilt * unitsPerSecond * dt, -1, 1),
      zoom: clamp(this.#origin.zoom + this.#velocity.zoom * unitsPerSecond * dt, 0, 1),
    };
  }

  moving(): { panTilt: boolean; zoom: boolean } {
    const active = this.#now() < this.#until;
    return { panTilt: active && (this.#velocity.pan !== 0 || this.#velocity.tilt !== 0), zoom: active && this.#velocity.zoom !== 0 };
  }

  continuousMove(velocity: PtzVector, timeoutMs: number): void {
    this.#origin = this.position();
    this.#velocity = { pan: clamp(velocity.pan, -1, 1), tilt: clamp(velocity.tilt, -1, 1), zoom: clamp(velocity.zoom, -1, 1) };
    this.#since = this.#now();
    this.#until = this.#since + timeoutMs;
  }

  absoluteMove(target: Partial<PtzVector>): void {
    const here = this.position();
    this.#origin = {
      pan: clamp(target.pan ?? here.pan, -1, 1),
      tilt: clamp(target.tilt ?? here.tilt, -1, 1),
      zoom: clamp(target.zoom ?? here.zoom, 0, 1),
    };
    this.#velocity = { pan: 0, tilt: 0, zoom: 0 };
    this.#since = this.#until = this.#now();
  }

  stop(panTilt = true, zoom = true): void {
    const here = this.position();
    this.#origin = here;
    this.#velocity = { pan: panTilt ? 0 : this.#velocity.pan, tilt: panTilt ? 0 : this.#velocity.tilt, zoom: zoom ? 0 : this.#velocity.zoom };
    this.#since = this.#now();
    if (panTilt && zoom) this.#until = this.#since;
  }
}
