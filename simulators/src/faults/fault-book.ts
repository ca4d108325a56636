import type { FaultName } from './fault-catalog.js';

/** One fault on one device over [from, to) (epoch ms). */
export interface FaultWindow {
  device: string;
  fault: FaultName;
  from: number;
  to: number;
}

/**
 * Every fault ever injected or scheduled, by device. Models ask it whether a
 * fault is active at a simulated instant, so scheduled scenario steps and
 * faults injected by command behave the same way.
 */
export class FaultBook {
  readonly #byDevice = new Map<string, FaultWindow[]>();

  add(window: FaultWindow): void {
    if (!(window.to > window.from)) throw new RangeError(`fault ${window.fault} on ${window.device}: the window must have a positive duration`);
    const list = this.#byDevice.get(window.device) ?? [];
    list.push(window);
    this.#byDevice.set(window.device, list);
  }

  /** The window of `fault` active on `device` at `t`, if any (the earliest started when several overlap). */
  window(device: string, fault: FaultName, t: number): FaultWindow | undefined {
    let found: FaultWindow | undefined;
    for (const w of this.#byDevice.get(device) ?? []) {
      if (w.fault === fault && w.from <= t && t < w.to && (!found || w.from < found.from)) found = w;
    }
    return found;
  }

  active(device: string, fault: FaultName, t: number): boolean {
    return this.window(device, fault, t) !== undefined;
  }

  /** Names of the faults active on `device` at `t`. */
  activeAt(device: string, t: number): FaultName[] {
    const names = new Set<FaultName>();
    for (const w of this.#byDevice.get(device) ?? []) if (w.from <= t && t < w.to) names.add(w.fault);
    return [...names];
  }

  /** Ends the windows of `device` active at `t` (they stop at `t`); returns how many. */
  end(device: string, t: number): number {
    let ended = 0;
    for (const w of this.#byDevice.get(device) ?? []) {
      if (w.from <= t && t < w.to) {
        w.to = Math.max(t, w.from + 1);
        ended += 1;
      }
    }
    return ended;
  }

  /** Drops windows that ended before `t`, keeping the book small in long runs. */
  prune(t: number): void {
    for (const [device, list] of this.#byDevice) {
      const kept = list.filter((w) => w.to > t);
      if (kept.length) this.#byDevice.set(device, kept);
      else this.#byDevice.delete(device);
    }
  }
}
