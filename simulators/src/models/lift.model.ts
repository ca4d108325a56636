import type { DeviceModel, ModelContext, SimSample } from './device-model.js';
import { noiseKey } from './device-model.js';
import { unitAt } from '../signals/seeded-noise.js';
import { liftTrafficProfile, localHour } from '../signals/daily-profiles.js';
import type { ParamsOf } from '../simulation/simulated-device.schema.js';

export type LiftStatus = 'idle' | 'moving' | 'doorOpen' | 'fault';

/**
 * A passenger lift as a small state machine: calls arrive at random with the
 * daily traffic curve; a trip goes to the caller's floor, opens the doors,
 * goes to the destination (mostly to or from the lobby) and opens them again.
 * Each door opening counts one door cycle, the wear counter maintenance uses.
 */
export class LiftModel implements DeviceModel {
  readonly deviceIds: readonly string[];
  #status: LiftStatus = 'idle';
  #floor: number;
  #doorCycles: number;
  #legs: number[] = [];
  #timerSec = 0;
  readonly #highestFloor: number;

  constructor(
    private readonly id: string,
    private readonly seed: number,
    private readonly utcOffsetMin: number,
    private readonly params: ParamsOf<'lift'>,
    private readonly ctx: ModelContext,
  ) {
    this.deviceIds = [id];
    this.#highestFloor = params.highestFloor ?? params.lowestFloor + 11;
    this.#floor = params.lowestFloor;
    this.#doorCycles = params.initialDoorCycles;
  }

  step(t: number, dtSec: number): void {
    const p = this.params;
    if (this.ctx.faults.active(this.id, 'breakdown', t)) {
      // Stopped where it was; a technician resets it once the fault clears.
      this.#status = 'fault';
      this.#legs = [];
      return;
    }
    if (this.#status === 'fault') this.#status = 'idle';

    const tick = Math.floor(t / 1000);
    if (this.#status === 'idle') {
      const callsPerSec = (p.peakTripsPerHour * liftTrafficProfile(localHour(t, this.utcOffsetMin))) / 3600 / 2.2;
      if (unitAt(this.seed, noiseKey.liftCall, tick) < callsPerSec * dtSec) {
        const floors = this.#highestFloor - p.lowestFloor + 1;
        const pick = (key: number) => p.lowestFloor + Math.floor(unitAt(this.seed, key, tick) * floors);
        // Half the trips start or end at the lobby.
        const upper = pick(noiseKey.liftFloor);
        const fromLobby = unitAt(this.seed, noiseKey.liftDest, tick) < 0.5;
        const [from, to] = fromLobby ? [p.lowestFloor, upper] : [upper, p.lowestFloor];
        this.#legs = from === to ? [from] : [from, to];
        this.#startLeg();
      }
      return;
    }
    this.#timerSec -= dtSec;
    if (this.#timerSec > 0) return;
    if (this.#status === 'moving') {
      this.#floor = this.#legs.shift() ?? this.#floor;
      this.#openDoors();
    } else if (this.#status === 'doorOpen') {
      if (this.#legs.length) this.#startLeg();
      else this.#status = 'idle';
    }
  }

  #startLeg(): void {
    const next = this.#legs[0];
    if (next === this.#floor) {
      this.#legs.shift();
      this.#openDoors();
      return;
    }
    this.#status = 'moving';
    this.#timerSec = Math.abs(next - this.#floor) * this.params.secondsPerFloor + 2;
  }

  #openDoors(): void {
    this.#status = 'doorOpen';
    this.#doorCycles += 1;
    this.#timerSec = this.params.doorOpenSec;
  }

  read(): SimSample {
    return { status: this.#status, floor: this.#floor, doorCycles: this.#doorCycles };
  }
}
