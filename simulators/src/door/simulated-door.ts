/**
 * One door of an access-control panel: a leaf with a contact (open/closed), a
 * lock (locked/unlocked), a mode, an alarm and a tamper switch, with the
 * states and names of ONVIF Door Control (tdc:DoorPhysicalState,
 * tdc:LockPhysicalState, tdc:DoorMode, tdc:DoorAlarmState, tdc:DoorTamperState).
 *
 * The behaviour every panel has:
 * - momentary access (a granted card, or AccessDoor) unlocks for the access
 *   time; the lock re-engages when that time is over and the door is shut;
 * - a door opened while its lock is engaged is forced open (alarm until shut);
 * - a door opened on an access and left open past OpenTooLongTime is held open
 *   (alarm until shut);
 * - an unlocked door (UnlockDoor, free passage) raises neither alarm.
 * Timers are the global ones, so tests drive the door with fake timers.
 */

export type DoorPhysicalState = 'Open' | 'Closed';
export type LockPhysicalState = 'Locked' | 'Unlocked';
export type DoorMode = 'Locked' | 'Unlocked' | 'Accessed';
export type DoorAlarmState = 'Normal' | 'DoorForcedOpen' | 'DoorOpenTooLong';
export type DoorTamperState = 'NotInTamper' | 'TamperDetected';

export interface DoorState {
  readonly physical: DoorPhysicalState;
  readonly lock: LockPhysicalState;
  readonly mode: DoorMode;
  readonly alarm: DoorAlarmState;
  readonly tamper: DoorTamperState;
}

export interface DoorTiming {
  /** How long a momentary access keeps the lock released. */
  accessMs: number;
  /** Open longer than this after an access → DoorOpenTooLong. */
  openTooLongMs: number;
  /** From a granted swipe to the door opening. */
  walkUpMs: number;
  /** How long a normal passage keeps the door open. */
  passageMs: number;
}

export const defaultDoorTiming: DoorTiming = { accessMs: 5_000, openTooLongMs: 15_000, walkUpMs: 1_500, passageMs: 3_000 };

export interface Cardholder {
  readonly credential: string;
  readonly name: string;
}

export type DoorEvent =
  | { kind: 'state'; field: keyof DoorState; state: DoorState }
  | { kind: 'accessGranted'; cardholder: Cardholder }
  | { kind: 'accessDenied'; cardholder: Cardholder; reason: string }
  | { kind: 'cardNotFound'; card: string };

export class SimulatedDoor {
  readonly token: string;
  readonly name: string;
  readonly #timing: DoorTiming;
  readonly #emit: (event: DoorEvent) => void;
  #state: DoorState = { physical: 'Closed', lock: 'Locked', mode: 'Locked', alarm: 'Normal', tamper: 'NotInTamper' };
  /** The access period is over; the lock re-engages as soon as the door shuts. */
  #relockOnClose = false;
  #openTooLongMs: number;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(token: string, name: string, timing: DoorTiming, emit: (event: DoorEvent) => void) {
    this.token = token;
    this.name = name;
    this.#timing = timing;
    this.#openTooLongMs = timing.openTooLongMs;
    this.#emit = emit;
  }

  get state(): DoorState {
    return this.#state;
  }

  // ── commands (ONVIF AccessDoor / UnlockDoor / LockDoor) ──

  /** Momentary access: unlock for `accessMs`, arming the held-open timer at `openTooLongMs` once the door opens. */
  access(accessMs = this.#timing.accessMs, openTooLongMs = this.#timing.openTooLongMs): void {
    this.#openTooLongMs = openTooLongMs;
    this.#relockOnClose = false;
    this.#set({ lock: 'Unlocked', mode: 'Accessed' });
    this.#after('access', accessMs, () => {
      if (this.#state.mode !== 'Accessed') return;
      if (this.#state.physical === 'Closed') this.#set({ lock: 'Locked', mode: 'Locked' });
      else this.#relockOnClose = true;
    });
  }

  unlock(): void {
    this.#cancel('access');
    this.#cancel('openTooLong');
    this.#relockOnClose = false;
    this.#set({ lock: 'Unlocked', mode: 'Unlocked' });
  }

  lock(): void {
    this.#cancel('access');
    if (this.#state.physical === 'Closed') this.#set({ lock: 'Locked', mode: 'Locked' });
    else {
      // The bolt cannot throw into an open frame: it locks when the door shuts.
      this.#relockOnClose = true;
      this.#set({ mode: 'Locked' });
    }
  }

  // ── the physical world ──

  open(): void {
    if (this.#state.physical === 'Open') return;
    this.#set({ physical: 'Open' });
    if (this.#state.lock === 'Locked') this.#set({ alarm: 'DoorForcedOpen' });
    else if (this.#state.mode === 'Accessed') this.#after('openTooLong', this.#openTooLongMs, () => this.#set({ alarm: 'DoorOpenTooLong' }));
  }

  close(): void {
    if (this.#state.physical === 'Closed') return;
    this.#cancel('openTooLong');
    this.#set({ physical: 'Closed' });
    if (this.#state.alarm !== 'Normal') this.#set({ alarm: 'Normal' });
    if (this.#relockOnClose) {
      this.#relockOnClose = false;
      this.#set({ lock: 'Locked', mode: 'Locked' });
    }
  }

  // ── scenarios ──

  /** A card at the reader: granted → unlock, walk up, open, pass (or hold it open for `holdOpenMs`), shut. */
  swipe(cardholder: Cardholder, granted: boolean, options: { holdOpenMs?: number; reason?: string } = {}): void {
    if (!granted) {
      this.#emit({ kind: 'accessDenied', cardholder, reason: options.reason ?? 'Unauthorized' });
      return;
    }
    this.#emit({ kind: 'accessGranted', cardholder });
    this.access();
    this.#after('walkUp', this.#timing.walkUpMs, () => {
      this.open();
      this.#after('passage', options.holdOpenMs ?? this.#timing.passageMs, () => this.close());
    });
  }

  /** An unknown card (not enrolled at all). */
  unknownCard(card: string): void {
    this.#emit({ kind: 'cardNotFound', card });
  }

  /** Someone pulls the door open without a valid access; it shuts again after `openMs`. */
  force(openMs: number): void {
    this.#cancel('access');
    if (this.#state.mode === 'Accessed') this.#set({ lock: 'Locked', mode: 'Locked' });
    this.open();
    this.#after('passage', openMs, () => this.close());
  }

  setTamper(detected: boolean): void {
    const tamper: DoorTamperState = detected ? 'TamperDetected' : 'NotInTamper';
    if (this.#state.tamper !== tamper) this.#set({ tamper });
  }

  /** Back to closed, locked, normal, untampered (the scenario reset). */
  reset(): void {
    for (const name of [...this.#timers.keys()]) this.#cancel(name);
    this.#relockOnClose = false;
    this.close();
    this.#set({ lock: 'Locked', mode: 'Locked', alarm: 'Normal', tamper: 'NotInTamper' });
  }

  dispose(): void {
    for (const name of [...this.#timers.keys()]) this.#cancel(name);
  }

  #after(name: string, ms: number, fn: () => void): void {
    this.#cancel(name);
    const timer = setTimeout(() => {
      this.#timers.delete(name);
      fn();
    }, ms);
    timer.unref?.();
    this.#timers.set(name, timer);
  }

  #cancel(name: string): void {
    const t = this.#timers.get(name);
    if (t) clearTimeout(t);
    this.#timers.delete(name);
  }

  /** Applies changes one field at a time, emitting one state event per field that actually changed. */
  #set(changes: Partial<DoorState>): void {
    for (const field of ['physical', 'lock', 'mode', 'alarm', 'tamper'] as const) {
      const value = changes[field];
      if (value === undefined || this.#state[field] === value) continue;
      this.#state = { ...this.#state, [field]: value };
      this.#emit({ kind: 'state', field, state: this.#state });
    }
  }
}
