/**
 * One door of an ONVIF Profile C access controller (ONVIF Door Control and
 * Access Control specifications). State by GetDoorState every
 * `stateIntervalMs` (heartbeat and safety net) and, at once, by the panel's
 * PullPoint events, shared with the panel's other doors (DoorPanelLink).
 *
 * | ONVIF                                         | Warden                                   |
 * |-----------------------------------------------|------------------------------------------|
 * | Door/State/DoorPhysicalState Open / Closed    | metric open; door.opened / door.closed   |
 * | Door/State/LockPhysicalState Locked / Unlocked| metric locked; door.locked / door.unlocked|
 * | Door/State/DoorAlarm DoorForcedOpen           | door.forced                              |
 * | Door/State/DoorAlarm DoorOpenTooLong          | door.heldOpen                            |
 * | Door/State/DoorTamper TamperDetected          | door.tamper                              |
 * | AccessControl/AccessGranted/*                 | door.granted (credential masked)         |
 * | AccessControl/Denied/*                        | door.denied (credential masked, reason)  |
 *
 * The state a door is in when the agent first learns it (its subscription's
 * `Initialized` values, or the first GetDoorState) is state, not a happening —
 * except an alarm or tamper already present: a door forced open, held open or
 * tampered with before the agent started must still alarm. Those are sent once,
 * with `initial: true`; a resubscription that finds the same state says nothing.
 *
 * Card numbers and credential tokens leave the agent masked to their last four
 * characters; holder names never do (PROTOCOL.md §9: people by id, not name).
 * Commands: door.unlock (UnlockDoor; LockDoor again after durationSec),
 * door.lock (LockDoor), door.access (AccessDoor); acknowledged `ok` only once
 * the controller has answered, `error` with its fault otherwise.
 */
import type { Logger } from 'pino';
import type { Command, EventKind } from '@warden/protocols';
import type { DeviceConfig, DoorDeviceConfig } from '../config/agent-config.schema.js';
import { deviceCatalog } from '../devices/device-catalog.js';
import { DeviceUnavailableError, type AdapterContext, type AdapterSink, type CommandOutcome, type DeviceAdapter, type DeviceDescription, type Reading } from './device-adapter.js';
import { DoorPanelLink } from './onvif/door-panel-link.js';
import { describeOnvifError, OnvifError } from './onvif/onvif-soap-client.js';
import type { OnvifNotification } from './onvif/pull-point-subscription.js';
import { child, textAt } from './onvif/soap-xml.js';

type DoorField = 'physical' | 'lock' | 'mode' | 'alarm' | 'tamper';
type DoorState = Partial<Record<DoorField, string>>;

const fieldOfTopic: Record<string, DoorField> = {
  'Door/State/DoorPhysicalState': 'physical',
  'Door/State/LockPhysicalState': 'lock',
  'Door/State/DoorMode': 'mode',
  'Door/State/DoorAlarm': 'alarm',
  'Door/State/DoorTamper': 'tamper',
};

/** A command of ours explains the lock changes that follow it for this long. */
const COMMAND_ATTRIBUTION_MS = 5000;
const START_WAIT_MS = 5000;
const RELOCK_ATTEMPTS = 3;

/** `****1234`: the last four letters or digits, never the whole number (PROTOCOL.md §9). */
export function maskCredential(value: string | undefined): string {
  const tail = (value ?? '').replace(/[^A-Za-z0-9]/g, '').slice(-4);
  return tail.length === 4 ? `****${tail}` : '****';
}

/** ONVIF Access Control denial reasons → PROTOCOL.md §9 reasons. */
function deniedReason(onvifReason: string | undefined): string {
  switch (onvifReason) {
    case 'CredentialExpired':
    case 'CredentialNotActive':
    case 'CredentialNotEnabled':
      return 'expired';
    case 'NotPermittedAtThisTime':
      return 'schedule';
    case 'InvalidPIN':
      return 'wrongPin';
    case 'AntipassbackViolation':
      return 'antipassback';
    default:
      return 'unknown';
  }
}

interface Change {
  field: DoorField;
  value: string;
  ts: number;
  /** The device's current value at subscription (or our first poll): state to learn, not a happening. */
  initial: boolean;
}

export function createOnvifDoorAdapter(device: DeviceConfig, context: AdapterContext): DeviceAdapter {
  if (device.type !== 'door') throw new Error(`device ${device.id} is not a door`);
  return new OnvifDoorAdapter(device, context);
}

export class OnvifDoorAdapter implements DeviceAdapter {
  readonly deviceId: string;
  readonly #config: DoorDeviceConfig;
  readonly #log: Logger;
  readonly #label: string;
  readonly #panel: DoorPanelLink;
  #sink: AdapterSink | undefined;
  #state: DoorState = {};
  #openedAt: number | undefined;
  #tokenProblemLogged = false;
  /** Our last command on the lock, to say `by: command` on the lock change it causes. */
  #commanded: { lock: 'Locked' | 'Unlocked'; by: string; commandId: string; until: number; untilTs?: number } | undefined;
  #relock: { timer: NodeJS.Timeout; commandId: string; at: number } | undefined;
  #stopped = false;

  constructor(config: DoorDeviceConfig, context: AdapterContext) {
    this.deviceId = config.id;
    this.#config = config;
    this.#label = `door "${config.name}" (${config.id})`;
    this.#log = context.logger.child({ door: config.name, doorToken: config.doorToken });
    // One connection per controller, whatever the number of its doors the agent bridges.
    this.#panel = context.shared(`onvif-door-panel|${config.xaddr}|${config.user}|${config.password}`, () => new DoorPanelLink({ xaddr: config.xaddr, user: config.user, password: config.password, logger: context.agentLogger }));
  }

  describe(): DeviceDescription {
    return deviceCatalog.door;
  }

  async start(sink: AdapterSink): Promise<void> {
    this.#sink = sink;
    this.#panel.attach(this.#config.doorToken, (batch) => this.#onNotifications(batch));
    let timer: NodeJS.Timeout | undefined;
    const first = this.#panel.services().then(
      (services) => this.#checkToken(services.doors),
      () => undefined, // logged by the panel; reads retry
    );
    await Promise.race([first, new Promise<void>((resolve) => (timer = setTimeout(resolve, START_WAIT_MS)))]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    // A door must not stay unlocked because its agent stopped: relock now what was due to relock later.
    if (this.#relock) {
      clearTimeout(this.#relock.timer);
      const { commandId } = this.#relock;
      this.#relock = undefined;
      await this.#lockFor(commandId, 1).catch(() => undefined);
    }
    await this.#panel.detach(this.#config.doorToken);
  }

  #checkToken(doors: ReadonlyMap<string, string>): void {
    if (doors.has(this.#config.doorToken) || this.#tokenProblemLogged) return;
    this.#tokenProblemLogged = true;
    const listed = [...doors].map(([token, name]) => `${token} "${name}"`).join(', ');
    this.#log.error(`${this.#label}: the controller has no door "${this.#config.doorToken}" (its doors: ${listed || 'none'})`);
  }

  // ------------------------------------------------------------------ state

  async read(): Promise<Reading[]> {
    let body;
    try {
      this.#checkToken((await this.#panel.services()).doors);
      body = await this.#panel.doorControl('GetDoorState', this.#config.doorToken);
      this.#panel.eventsRetryNow();
    } catch (err) {
      throw new DeviceUnavailableError(`${this.#label}: ${describeOnvifError(err)}`);
    }
    const state = child(body, 'DoorState');
    const ts = Date.now();
    const values: [DoorField, string | undefined][] = [
      ['physical', textAt(state, 'DoorPhysicalState')],
      ['lock', textAt(state, 'LockPhysicalState')],
      ['mode', textAt(state, 'DoorMode')],
      ['alarm', textAt(state, 'Alarm')],
      ['tamper', textAt(state, 'Tamper', 'State')],
    ];
    const changes = values.filter((v): v is [DoorField, string] => v[1] !== undefined).map(([field, value]) => ({ field, value, ts, initial: this.#state[field] === undefined }));
    // The poll is the safety net: a change the events missed (subscription down) is reported from here.
    this.#apply(changes, { emitReadings: false });
    return this.#readings(ts);
  }

  #readings(ts: number): Reading[] {
    const readings: Reading[] = [];
    if (this.#state.physical !== undefined) readings.push({ metric: 'open', value: this.#state.physical === 'Open', ts });
    if (this.#state.lock !== undefined) readings.push({ metric: 'locked', value: this.#state.lock === 'Locked', ts });
    return readings;
  }

  #onNotifications(batch: OnvifNotification[]): void {
    if (this.#stopped) return;
    const changes: Change[] = [];
    for (const n of batch) {
      const field = fieldOfTopic[n.topic];
      if (field) {
        if (n.data.State !== undefined) changes.push({ field, value: n.data.State, ts: n.ts, initial: n.operation === 'Initialized' && this.#state[field] === undefined });
        continue;
      }
      // Access events are not properties: each one is a happening. Flush state changes first to keep the order.
      if (n.topic.startsWith('AccessControl/')) {
        this.#apply(changes.splice(0));
        this.#accessEvent(n);
      }
    }
    this.#apply(changes);
  }

  #accessEvent(n: OnvifNotification): void {
    if (n.topic.startsWith('AccessControl/AccessGranted/')) {
      const credential = n.data.CredentialToken ?? n.data.Card;
      this.#emit('door.granted', n.ts, { ...(credential !== undefined ? { credential: maskCredential(credential) } : {}), method: n.topic.endsWith('/Anonymous') ? 'remote' : 'card' });
    } else if (n.topic.startsWith('AccessControl/Denied/')) {
      const notFound = n.topic.startsWith('AccessControl/Denied/CredentialNotFound');
      const credential = n.data.Card ?? n.data.CredentialToken;
      this.#emit('door.denied', n.ts, {
        ...(credential !== undefined ? { credential: maskCredential(credential) } : {}),
        method: 'card',
        reason: notFound ? 'unknown' : deniedReason(n.data.Reason),
        ...(n.data.Reason ? { controllerReason: n.data.Reason } : {}),
      });
    }
  }

  /**
   * Applies state changes in order, emitting an event per real change. A lock
   * release is reported after the whole batch: whether it is a momentary
   * access (DoorMode Accessed) or an unlock that stays shows in the DoorMode
   * change that the panel sends right after it.
   */
  #apply(changes: Change[], options: { emitReadings?: boolean } = {}): void {
    if (changes.length === 0) return;
    const unlocks: number[] = [];
    const happened: { kind: EventKind; ts: number; data: Record<string, unknown> }[] = [];
    const emit = (kind: EventKind, ts: number, data: Record<string, unknown>) => happened.push({ kind, ts, data });
    let metricsChanged = false;
    for (const c of changes) {
      const known = this.#state[c.field];
      this.#state[c.field] = c.value;
      if (known === c.value) continue;
      if (c.field === 'physical' || c.field === 'lock') metricsChanged = true;
      const initial = c.initial ? { initial: true } : {};
      if (c.initial) {
        if (c.field === 'physical' && c.value === 'Open') this.#openedAt = c.ts;
        const alarming = (c.field === 'alarm' && c.value !== 'Normal') || (c.field === 'tamper' && c.value === 'TamperDetected');
        if (!alarming) continue;
        this.#log.warn(`${this.#label}: already in ${c.value} when the agent first read its state`);
      }
      switch (c.field) {
        case 'physical':
          if (c.value === 'Open') {
            this.#openedAt = c.ts;
            emit('door.opened', c.ts, { granted: this.#state.lock === 'Unlocked' });
          } else if (c.value === 'Closed') {
            const openSec = this.#openedAt === undefined ? undefined : Math.round((c.ts - this.#openedAt) / 100) / 10;
            this.#openedAt = undefined;
            emit('door.closed', c.ts, openSec === undefined ? {} : { openSec });
          }
          break;
        case 'lock':
          if (c.value === 'Unlocked') unlocks.push(c.ts);
          else if (c.value === 'Locked') emit('door.locked', c.ts, this.#attribution('Locked', c.ts));
          break;
        case 'alarm':
          if (c.value === 'DoorForcedOpen') emit('door.forced', c.ts, { ...initial });
          else if (c.value === 'DoorOpenTooLong') emit('door.heldOpen', c.ts, c.initial || this.#openedAt === undefined ? { ...initial } : { openSec: Math.round((c.ts - this.#openedAt) / 1000) });
          break;
        case 'tamper':
          if (c.value === 'TamperDetected') emit('door.tamper', c.ts, { part: 'door', ...initial });
          break;
        case 'mode':
          break;
      }
    }
    for (const ts of unlocks) {
      const momentary = this.#state.mode === 'Accessed';
      emit('door.unlocked', ts, { ...this.#attribution('Unlocked', ts), ...(momentary ? { momentary: true } : {}) });
    }
    // The readings first, then what they mean: the agent keeps that order on the wire.
    if (metricsChanged && options.emitReadings !== false) this.#sink?.readings(this.#readings(changes[changes.length - 1].ts));
    for (const e of happened) this.#emit(e.kind, e.ts, e.data);
  }

  #attribution(lock: 'Locked' | 'Unlocked', ts: number): Record<string, unknown> {
    const c = this.#commanded;
    if (c && c.lock === lock && ts <= c.until) {
      this.#commanded = undefined;
      return { by: c.by, commandId: c.commandId, ...(c.untilTs !== undefined ? { untilTs: c.untilTs } : {}) };
    }
    return {};
  }

  #emit(kind: EventKind, ts: number, data: Record<string, unknown>): void {
    this.#sink?.event({ kind, ts, data });
  }

  // ------------------------------------------------------------------ commands

  async execute(command: Command): Promise<CommandOutcome> {
    const params = (command.params ?? {}) as { durationSec?: number; reason?: string };
    // The door's own audit trail: who asked, why, and (below) what the controller said.
    this.#log.info({ command: command.name, commandId: command.id, issuedBy: command.issuedBy, reason: params.reason, durationSec: params.durationSec }, `${this.#label}: ${command.name}`);
    try {
      switch (command.name) {
        case 'door.unlock': {
          this.#cancelRelock();
          const relockAt = params.durationSec !== undefined ? Date.now() + params.durationSec * 1000 : undefined;
          this.#commanded = { lock: 'Unlocked', by: 'command', commandId: command.id, until: Date.now() + COMMAND_ATTRIBUTION_MS, untilTs: relockAt };
          await this.#control('UnlockDoor');
          if (relockAt === undefined) return { result: 'ok' };
          const timer = setTimeout(() => void this.#relockNow(), relockAt - Date.now());
          this.#relock = { timer, commandId: command.id, at: relockAt };
          return { result: 'ok', data: { relockAt } };
        }
        case 'door.lock':
          this.#cancelRelock();
          this.#commanded = { lock: 'Locked', by: 'command', commandId: command.id, until: Date.now() + COMMAND_ATTRIBUTION_MS };
          await this.#control('LockDoor');
          return { result: 'ok' };
        case 'door.access':
          await this.#control('AccessDoor');
          return { result: 'ok' };
        default:
          return { result: 'unsupported', message: `${command.name} is not a door command` };
      }
    } catch (err) {
      const message = err instanceof OnvifError && err.kind === 'fault' ? `the controller refused: ${err.message}` : `the controller did not do it: ${describeOnvifError(err)}`;
      this.#log.warn({ command: command.name, commandId: command.id }, `${this.#label}: ${command.name} failed: ${message}`);
      return { result: 'error', message };
    }
  }

  async #control(operation: 'UnlockDoor' | 'LockDoor' | 'AccessDoor'): Promise<void> {
    await this.#panel.doorControl(operation, this.#config.doorToken);
  }

  #cancelRelock(): void {
    if (this.#relock) clearTimeout(this.#relock.timer);
    this.#relock = undefined;
  }

  async #relockNow(): Promise<void> {
    const relock = this.#relock;
    this.#relock = undefined;
    if (!relock || this.#stopped) return;
    try {
      await this.#lockFor(relock.commandId, RELOCK_ATTEMPTS);
      this.#log.info({ commandId: relock.commandId }, `${this.#label}: relocked after the unlock period`);
    } catch (err) {
      this.#log.error({ commandId: relock.commandId }, `${this.#label}: relock after the unlock period FAILED, the door may stay unlocked: ${describeOnvifError(err)}`);
    }
  }

  /** LockDoor for the end of an unlock period, retried: a door left unlocked is the worse failure. */
  async #lockFor(commandId: string, attempts: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.#commanded = { lock: 'Locked', by: 'timeout', commandId, until: Date.now() + COMMAND_ATTRIBUTION_MS };
      try {
        await this.#control('LockDoor');
        return;
      } catch (err) {
        if (attempt >= attempts) throw err;
        await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      }
    }
  }
}
