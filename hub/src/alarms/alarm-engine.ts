import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { EventBus, HubEvents } from '../events/event-bus.js';
import * as repo from './alarm.repository.js';
import type { AlarmService } from './alarm.service.js';
import { initialState, restoreState, RuleEvaluation, type Decision, type EvaluationState, type PointValue } from './evaluation.js';
import { ownerAmong as ownerIn, type AlarmInput, type EvaluationOwnership } from './evaluation-ownership.js';
import type { AlarmRule, ArmingSchedule } from './rule-schema.js';

/** Arming schedules stored per zone (the security module keeps them; see armedEvent `zoneSchedule`). */
export interface ZoneScheduleSource {
  scheduleFor(buildingId: string | null, zone: string | null): ArmingSchedule | undefined;
}

/** One rule watching one device: its evaluation and the queue of lifecycle changes it caused. */
interface Binding {
  rule: AlarmRule;
  device: repo.DeviceInfo;
  evaluation: RuleEvaluation;
  /** Lifecycle changes of this alarm run one after another, in the order decided. */
  queue: Promise<void>;
  /** Changes decided and not yet applied. */
  inFlight: number;
  /** Whether the alarm is active as the database last told this hub (at binding, or by a change applied or seen). */
  dbActive: boolean;
  /** Time of the newest reading or event this hub evaluated for it. */
  lastInputTs?: number;
}

interface DeviceBindings {
  all: Binding[];
  byMetric: Map<string, Binding[]>;
  events: Binding[];
  online: Binding[];
}

export interface AlarmEngineOptions {
  now?: () => number;
  /** Clock tick for delays, staleness and other timed conditions. */
  tickMs?: number;
  /** How often re-alarm, escalation and shelve expiry are checked. */
  sweepMs?: number;
  /** How often evaluation state is saved (and rules edited on other hubs picked up). */
  persistMs?: number;
  /** Zone arming schedules, for armedEvent rules with `zoneSchedule: true` (without it such zones are never armed). */
  zoneSchedules?: ZoneScheduleSource;
  /**
   * Hubs sharing an external broker's subscriptions: which hub evaluates which device
   * (started and stopped with the engine). Absent: this hub evaluates everything it hears.
   */
  ownership?: EvaluationOwnership;
  /**
   * How long a device taken over from another hub waits, its inputs held, before its state
   * is read back from the database: time for the previous owner to notice and save it.
   * Default two heartbeats of the ownership.
   */
  handoverMs?: number;
}

/** A forwarded input is forwarded once more at most (owners moved meanwhile), then evaluated where it lands. */
const MAX_FORWARD_HOPS = 1;
/** Inputs kept per device while it is being learned or handed over; beyond, the oldest go. */
const MAX_HELD_INPUTS = 1_000;

interface HeldInput {
  input: AlarmInput;
  /** When it was heard: the evaluation runs with that time. */
  now: number;
  /** How often it was forwarded before it was held. */
  hops?: number;
}

const key = (ruleId: number, deviceId: number) => `${ruleId}:${deviceId}`;

function inScope(rule: AlarmRule, device: repo.DeviceInfo): boolean {
  switch (rule.scope.type) {
    case 'device':
      return String(device.id) === rule.scope.id;
    case 'deviceType':
      return device.type === rule.scope.id || device.type.startsWith(`${rule.scope.id}.`);
    case 'building':
      return device.buildingId === rule.scope.id;
    case 'estate':
      return true;
  }
}

/**
 * Evaluates alarm rules incrementally, in memory, on every live point, device event
 * and online change the bus carries, plus a clock tick for delays and timeouts.
 * Decisions become lifecycle changes through the AlarmService (the database is the
 * authority on alarm state). Evaluation state is saved every second and recovered
 * at start, so a restarted hub resumes delays, counters and held-open timers.
 */
/** How this hub shares evaluation with its peers, for the engine's status. */
export interface EngineOwnershipStats {
  hubId: string;
  /** The live hubs of the group, sorted; this hub among them. */
  liveHubs: string[];
  /** Devices some loaded rule watches, and how many of them this hub evaluates. */
  boundDevices: number;
  ownedDevices: number;
  /** Inputs received from peers for devices this hub evaluates, and inputs sent to their owners. */
  forwardedIn: number;
  forwardedOut: number;
  /** Forwarded messages refused as malformed, inputs dropped as too old, forwards the broker refused. */
  rejected: number;
  expired: number;
  publishFailures: number;
}

export class AlarmEngine {
  private readonly rules = new Map<number, AlarmRule>();
  private readonly devices = new Map<number, repo.DeviceInfo>();
  private readonly byDevice = new Map<number, DeviceBindings>();
  private readonly bindings = new Map<string, Binding>();
  private readonly timed = new Set<Binding>();
  private readonly unsubscribe: (() => void)[] = [];
  private timers: NodeJS.Timeout[] = [];
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;
  private readonly options: Required<Pick<AlarmEngineOptions, 'tickMs' | 'sweepMs' | 'persistMs'>>;
  private readonly zoneSchedules: ZoneScheduleSource | undefined;
  private ruleVersions = new Map<number, number>();
  private sweeping = false;
  /** Devices being learned, with the inputs that arrived meanwhile (routed once it is bound). */
  private readonly learning = new Map<number, HeldInput[]>();
  private readonly ownership: EvaluationOwnership | undefined;
  /** Devices taken over from another hub whose state is not yet read back: their inputs wait. */
  private readonly handovers = new Map<number, HeldInput[]>();
  private readonly handoverMs: number;
  private handoverTimers = new Set<NodeJS.Timeout>();
  readonly counters = { decisions: 0, raised: 0, cleared: 0, failed: 0 };

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly service: AlarmService,
    private readonly logger: Logger,
    options: AlarmEngineOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.options = { tickMs: options.tickMs ?? 1000, sweepMs: options.sweepMs ?? 5000, persistMs: options.persistMs ?? 1000 };
    this.zoneSchedules = options.zoneSchedules;
    this.ownership = options.ownership;
    this.handoverMs = options.handoverMs ?? 2 * (options.ownership?.heartbeatMs ?? 1_000);
    service.onStillActive = (ruleId, deviceId) => {
      const b = this.bindings.get(key(ruleId, deviceId));
      if (b) this.enqueue(b, { type: 'raise', at: this.now(), trigger: b.evaluation.state.trigger });
      return Promise.resolve();
    };
  }

  async start(): Promise<void> {
    const ownership = this.ownership;
    if (ownership) {
      // Inputs forwarded before the rules are loaded wait for them (the others may count this hub in already).
      const early: { inputs: AlarmInput[]; hops: number }[] = [];
      ownership.onInputs((inputs, hops) => early.push({ inputs, hops }));
      ownership.onChange((before, after) => this.onOwnersChanged(before, after));
      await ownership.start();
      await this.loadRules();
      // Joining hubs already at work: the devices this hub now owns were theirs a moment ago,
      // and their latest state reaches the database only once they notice.
      if (ownership.liveHubs().length > 1) this.takeOver([...this.byDevice.keys()].filter((id) => ownership.owns(id)));
      ownership.onInputs((inputs, hops) => this.onForwarded(inputs, hops));
      for (const { inputs, hops } of early) this.onForwarded(inputs, hops);
    } else {
      await this.loadRules();
    }
    this.unsubscribe.push(
      this.bus.on('telemetry.points', (e) => this.onPoints(e)),
      this.bus.on('device.event', (e) => this.onEvent(e)),
      // Every hub sees agent state (not a shared subscription): only the owner acts on it.
      // The other online changes come from whichever hub ingested the birth, the data or the silence.
      this.bus.on('device.online', (e) => this.onOnline(e.deviceId, e.online, false)),
      this.bus.on('agent.state', (e) => {
        if (!e.online) for (const d of this.devices.values()) if (d.agentId === e.agentId) this.onOnline(d.id, false, true);
      }),
      this.bus.on('device.birth', (e) => {
        void this.onBirth(e.deviceId);
        // The owner re-reads the device too (a new type or building changes its rules).
        const owner = this.ownerElsewhere(e.deviceId);
        if (owner) this.ownership!.forward(owner, [{ kind: 'birth', deviceId: e.deviceId }], 0);
      }),
      this.bus.on('live.event', (e) => this.onLiveEvent(e)),
      this.bus.on('alarm.changed', (e) => {
        if (e.action === 'unsuppress') void this.service.reannunciateIfActive(e.alarmId).catch((err: Error) => this.logger.warn({ err: err.message }, 'could not re-annunciate'));
      }),
    );
    const every = (ms: number, fn: () => Promise<void> | void) => {
      const t = setInterval(() => void fn(), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.options.tickMs, () => this.tick());
    every(this.options.sweepMs, () => this.sweep());
    every(this.options.persistMs, () => this.persist());
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const t of this.handoverTimers) clearTimeout(t);
    this.handoverTimers.clear();
    for (const off of this.unsubscribe.splice(0)) off();
    // Leaves the group first, so nothing more is forwarded here; the hubs taking over wait
    // `handoverMs` before reading the state saved just below.
    await this.ownership?.stop();
    await this.idle();
    await this.persist();
  }

  /** Resolves once every decided lifecycle change has been applied. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  rule(id: number): AlarmRule | undefined {
    return this.rules.get(id);
  }

  /** Re-reads rules (all, or after an edit through the API on this hub). */
  async loadRules(): Promise<void> {
    // Devices too: some may have been born through another hub.
    for (const d of await repo.loadDevices(this.db)) if (!this.devices.has(d.id)) this.devices.set(d.id, d);
    const loaded = await repo.loadRules(this.db);
    const stored = await repo.loadEvaluationStates(this.db);
    const active = await repo.loadActiveAlarms(this.db);
    const now = this.now();
    const wanted = new Map<number, AlarmRule>();
    for (const { rule, row } of loaded) {
      if (rule) wanted.set(rule.id, rule);
      else this.logger.error({ rule: row.id }, 'alarm rule in the database does not validate: skipped');
    }
    // Rules gone or disabled: their active alarms return (people still acknowledge them).
    for (const [id, rule] of this.rules) {
      const next = wanted.get(id);
      if (next && next.version === rule.version) continue;
      for (const b of this.bindingsOfRule(id)) {
        this.unbind(b);
        if (!next && b.evaluation.state.active) this.enqueue(b, { type: 'clear', at: now });
      }
      this.rules.delete(id);
    }
    for (const [id, rule] of wanted) {
      if (this.rules.has(id)) continue;
      this.rules.set(id, rule);
      for (const device of this.devices.values()) if (inScope(rule, device)) this.bind(rule, device, stored, active, now);
    }
    this.ruleVersions = await repo.ruleVersions(this.db);
  }

  private bindingsOfRule(ruleId: number): Binding[] {
    return [...this.bindings.values()].filter((b) => b.rule.id === ruleId);
  }

  private bind(rule: AlarmRule, device: repo.DeviceInfo, stored: Map<string, { version: number; state: unknown }> | undefined, active: Set<string> | undefined, now: number): void {
    const k = key(rule.id, device.id);
    if (this.bindings.has(k)) return;
    const saved = stored?.get(k);
    const state = saved && saved.version === rule.version ? restoreState(rule.definition, saved.state, now) : initialState(rule.definition, now);
    // The database says whether the alarm is active; the evaluation follows it (and corrects it on its next input).
    if (active) state.active = active.has(k);
    const binding = { rule, device, queue: Promise.resolve(), inFlight: 0, dbActive: state.active } as Binding;
    const evaluation = (binding.evaluation = this.evaluationFor(binding, state));
    this.bindings.set(k, binding);
    // A device already offline when the rule is bound: with no on-delay that is an alarm now,
    // with one the delay starts now (the tick raises it).
    if (evaluation.usesOnline() && !saved) {
      const decision = evaluation.onOnline(device.online, now);
      if (this.evaluatesHere(device.id)) this.decided(binding, decision);
    }
    let entry = this.byDevice.get(device.id);
    if (!entry) this.byDevice.set(device.id, (entry = { all: [], byMetric: new Map(), events: [], online: [] }));
    entry.all.push(binding);
    for (const m of evaluation.metrics()) {
      const list = entry.byMetric.get(m);
      if (list) list.push(binding);
      else entry.byMetric.set(m, [binding]);
    }
    if (evaluation.usesEvents()) entry.events.push(binding);
    if (evaluation.usesOnline()) entry.online.push(binding);
    if (evaluation.isTimed()) this.timed.add(binding);
  }

  private evaluationFor(binding: Binding, state: EvaluationState): RuleEvaluation {
    // Read through the binding at evaluation time: a later birth may move the device to another zone.
    return new RuleEvaluation(binding.rule.definition, state, {
      zoneSchedule: () => this.zoneSchedules?.scheduleFor(binding.device.buildingId, binding.device.zone ?? null),
    });
  }

  private unbind(b: Binding): void {
    this.bindings.delete(key(b.rule.id, b.device.id));
    this.timed.delete(b);
    const entry = this.byDevice.get(b.device.id);
    if (!entry) return;
    const drop = (list: Binding[]) => {
      const i = list.indexOf(b);
      if (i >= 0) list.splice(i, 1);
    };
    drop(entry.all);
    drop(entry.events);
    drop(entry.online);
    for (const list of entry.byMetric.values()) drop(list);
  }

  private async onBirth(deviceId: number): Promise<void> {
    try {
      const [device] = await repo.loadDevices(this.db, [deviceId]);
      if (!device) return;
      const known = this.devices.get(deviceId);
      this.devices.set(deviceId, device);
      if (known && known.type === device.type && known.buildingId === device.buildingId) {
        for (const b of this.byDevice.get(deviceId)?.all ?? []) b.device = device;
        return;
      }
      for (const b of [...(this.byDevice.get(deviceId)?.all ?? [])]) this.unbind(b);
      const active = await repo.loadActiveAlarms(this.db);
      for (const rule of this.rules.values()) if (inScope(rule, device)) this.bind(rule, device, undefined, active, this.now());
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, deviceId }, 'could not bind alarm rules to a new device');
    }
  }

  /**
   * A device this hub has not heard of: born through another hub (shared subscriptions
   * split births and data) or registered after start. Bound once, in the background;
   * inputs heard meanwhile are routed once it is.
   */
  private learn(deviceId: number, held?: HeldInput): void {
    if (this.devices.has(deviceId)) return;
    const waiting = this.learning.get(deviceId);
    if (waiting) {
      if (held) keep(waiting, held);
      return;
    }
    this.learning.set(deviceId, held ? [held] : []);
    void this.onBirth(deviceId).finally(() => {
      const inputs = this.learning.get(deviceId) ?? [];
      this.learning.delete(deviceId);
      if (!this.devices.has(deviceId)) return; // not in the database: nothing to evaluate
      const outbox = new Outbox();
      for (const { input, now, hops } of inputs) this.route(input, now, hops ?? 0, outbox);
      this.send(outbox, MAX_FORWARD_HOPS);
    });
  }

  /** The hub that evaluates this device, when it is not this one. */
  private ownerElsewhere(deviceId: number): string | undefined {
    if (!this.ownership) return undefined;
    const owner = this.ownership.owner(deviceId);
    return owner === this.ownership.hubId ? undefined : owner;
  }

  /** Whether this hub evaluates the device's rules now (it owns it and is not still taking it over). */
  private evaluatesHere(deviceId: number): boolean {
    return !this.handovers.has(deviceId) && (!this.ownership || this.ownership.owns(deviceId));
  }

  private onPoints({ points, series }: HubEvents['telemetry.points']): void {
    const now = this.now();
    let outbox: Outbox | undefined;
    for (let i = 0; i < points.length; i++) {
      const deviceId = series[i].deviceId;
      const p = points[i];
      const entry = this.byDevice.get(deviceId);
      if (!entry) {
        if (!this.devices.has(deviceId)) this.learn(deviceId, { input: { kind: 'point', deviceId, metric: p.metric, value: p.value, ts: p.ts }, now });
        continue;
      }
      if (!this.ownership) {
        this.evaluatePoint(entry, p.metric, p.value, p.ts, now);
        continue;
      }
      // Only what some rule of the device reads goes to its owner; the rest is storage's alone.
      if (!entry.byMetric.get(p.metric)?.length && !entry.byMetric.get('*')?.length) continue;
      this.route({ kind: 'point', deviceId, metric: p.metric, value: p.value, ts: p.ts }, now, 0, (outbox ??= new Outbox()));
    }
    if (outbox) this.send(outbox, 0);
  }

  private onEvent({ deviceId, event }: HubEvents['device.event']): void {
    if (event.historical) return; // replayed after an outage: kept in history, too late to alarm on
    const now = this.now();
    const input: AlarmInput = { kind: 'event', deviceId, event: { kind: event.kind, data: event.data, ts: event.ts } };
    const entry = this.byDevice.get(deviceId);
    if (!entry) {
      if (!this.devices.has(deviceId)) this.learn(deviceId, { input, now });
      return;
    }
    if (!entry.events.length) return;
    const outbox = new Outbox();
    this.route(input, now, 0, outbox);
    this.send(outbox, 0);
  }

  /** `everyHub`: every hub heard it (agent state), so only the owner acts and nobody forwards. */
  private onOnline(deviceId: number, online: boolean, everyHub: boolean): void {
    const device = this.devices.get(deviceId);
    if (device) device.online = online;
    if (!this.byDevice.get(deviceId)?.online.length) return;
    const input: AlarmInput = { kind: 'online', deviceId, online };
    if (everyHub) {
      if (!this.ownerElsewhere(deviceId)) this.apply(input, this.now());
      return;
    }
    const outbox = new Outbox();
    this.route(input, this.now(), 0, outbox);
    this.send(outbox, 0);
  }

  /** Inputs another hub ingested for devices it believes this hub evaluates. */
  private onForwarded(inputs: AlarmInput[], hops: number): void {
    const now = this.now();
    const outbox = new Outbox();
    for (const input of inputs) {
      if (!this.devices.has(input.deviceId)) this.learn(input.deviceId, { input, now, hops });
      else this.route(input, now, hops, outbox);
    }
    this.send(outbox, hops + 1);
  }

  /** Evaluates the input here if this hub owns its device (or it has travelled enough); else queues it for the owner. */
  private route(input: AlarmInput, now: number, hops: number, outbox: Outbox): void {
    const owner = hops >= MAX_FORWARD_HOPS ? undefined : this.ownerElsewhere(input.deviceId);
    if (owner) outbox.add(owner, input);
    else this.apply(input, now);
  }

  private send(outbox: Outbox, hops: number): void {
    for (const [owner, inputs] of outbox.byOwner) this.ownership!.forward(owner, inputs, hops);
  }

  /** Evaluates one input of a device this hub evaluates, as it was heard at `now`. */
  private apply(input: AlarmInput, now: number): void {
    const held = this.handovers.get(input.deviceId);
    if (held) return keep(held, { input, now });
    switch (input.kind) {
      case 'point': {
        const entry = this.byDevice.get(input.deviceId);
        if (entry) this.evaluatePoint(entry, input.metric, input.value, input.ts, now);
        return;
      }
      case 'event': {
        const { event } = input;
        for (const b of this.byDevice.get(input.deviceId)?.events ?? []) this.decided(heard(b, event.ts), b.evaluation.onEvent(event, now));
        return;
      }
      case 'online': {
        const device = this.devices.get(input.deviceId);
        if (device) device.online = input.online;
        for (const b of this.byDevice.get(input.deviceId)?.online ?? []) this.decided(b, b.evaluation.onOnline(input.online, now));
        return;
      }
      case 'birth':
        void this.onBirth(input.deviceId);
        return;
    }
  }

  private evaluatePoint(entry: DeviceBindings, metric: string, value: PointValue, ts: number, now: number): void {
    const list = entry.byMetric.get(metric);
    if (list) for (const b of list) this.decided(heard(b, ts), b.evaluation.onPoint(metric, value, ts, now));
    const any = entry.byMetric.get('*');
    if (any) for (const b of any) this.decided(heard(b, ts), b.evaluation.onPoint(metric, value, ts, now));
  }

  /**
   * The live hubs changed, so some devices changed owner. A device lost has its state saved
   * at once for its new owner. A device gained waits `handoverMs` with its inputs held (the
   * previous owner needs a heartbeat to notice and save), then its state is read back from
   * the database as after a restart, and the held inputs are evaluated on top of it.
   */
  private onOwnersChanged(before: readonly string[], after: readonly string[]): void {
    const me = this.ownership!.hubId;
    const lost: Binding[] = [];
    const gained: number[] = [];
    for (const [deviceId, entry] of this.byDevice) {
      const had = ownerIn(before, deviceId) === me;
      const has = ownerIn(after, deviceId) === me;
      if (had && !has) lost.push(...entry.all);
      else if (!had && has) gained.push(deviceId);
    }
    for (const deviceId of new Set(lost.map((b) => b.device.id))) {
      // Taken over and lost again before its state was read: what waited goes to the new owner.
      const held = this.handovers.get(deviceId);
      this.handovers.delete(deviceId);
      if (held?.length) {
        const outbox = new Outbox();
        for (const { input, now } of held) this.route(input, now, 0, outbox);
        this.send(outbox, 0);
      }
    }
    if (lost.length) void this.handOver(lost);
    if (gained.length) this.takeOver(gained);
  }

  private async handOver(lost: Binding[]): Promise<void> {
    const states = lost.map((b) => ({ ruleId: b.rule.id, deviceId: b.device.id, version: b.rule.version, state: b.evaluation.state }));
    for (const b of lost) b.evaluation.dirty = false;
    try {
      await repo.saveEvaluationStates(this.db, states);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, devices: new Set(lost.map((b) => b.device.id)).size }, 'could not save the alarm state of devices handed over to another hub');
    }
  }

  private takeOver(deviceIds: number[]): void {
    for (const id of deviceIds) if (!this.handovers.has(id)) this.handovers.set(id, []);
    const timer = setTimeout(() => {
      this.handoverTimers.delete(timer);
      void this.recover(deviceIds);
    }, this.handoverMs);
    timer.unref();
    this.handoverTimers.add(timer);
  }

  /** Reads the state of devices taken over back from the database, then evaluates the inputs that waited. */
  private async recover(deviceIds: number[]): Promise<void> {
    const waiting = deviceIds.filter((id) => this.handovers.has(id));
    if (!waiting.length) return;
    let stored: Map<string, { version: number; state: unknown }>;
    let active: Set<string>;
    try {
      [stored, active] = await Promise.all([repo.loadEvaluationStates(this.db), repo.loadActiveAlarms(this.db)]);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not read the alarm state of devices taken over; trying again');
      if (this.timers.length) this.takeOver(waiting);
      return;
    }
    const now = this.now();
    for (const deviceId of waiting) {
      const held = this.handovers.get(deviceId);
      if (!held) continue; // lost again meanwhile
      for (const b of this.byDevice.get(deviceId)?.all ?? []) {
        const k = key(b.rule.id, deviceId);
        const saved = stored.get(k);
        const state = saved && saved.version === b.rule.version ? restoreState(b.rule.definition, saved.state, now) : initialState(b.rule.definition, now);
        state.active = active.has(k);
        b.dbActive = state.active;
        b.evaluation = this.evaluationFor(b, state);
        b.lastInputTs = undefined;
        if (!saved && b.evaluation.usesOnline()) this.decided(b, b.evaluation.onOnline(b.device.online, now));
      }
      this.handovers.delete(deviceId);
      for (const { input, now: heardAt } of held) this.apply(input, heardAt);
    }
  }

  /**
   * Another hub (or this one) committed an alarm change. With shared subscriptions a
   * fault's readings are split between hubs, so the hub that sees the return to normal
   * may not be the one that raised it: every hub follows the committed process state,
   * and its own evaluation then decides the next change from there.
   */
  private onLiveEvent({ type, data }: HubEvents['live.event']): void {
    if (!type.startsWith('alarm.') || typeof data !== 'object' || data === null) return;
    const { ruleId, deviceId, active, processTs } = data as { ruleId?: unknown; deviceId?: unknown; active?: unknown; processTs?: unknown };
    if (typeof ruleId !== 'number' || typeof deviceId !== 'number' || typeof active !== 'boolean') return;
    const b = this.bindings.get(key(ruleId, deviceId));
    if (b && b.inFlight === 0) b.dbActive = active;
    // A change of its own still being applied is newer than what the event reports.
    if (!b || b.inFlight > 0 || b.evaluation.state.active === active) return;
    // Another hub evaluates this device: this one reads its state back if it ever takes over.
    if (!this.evaluatesHere(deviceId)) return;
    b.evaluation.state.active = active;
    b.evaluation.state.dueAt = null;
    b.evaluation.dirty = true;
    // Events arrive a moment after their commit. If this hub has since evaluated a newer
    // reading that disagrees (the fault's return reached this hub before the news that it
    // had been raised), that reading decides now rather than waiting for the next one,
    // which may never come. An older event is thereby corrected at the cost of a no-op.
    const changedBy = typeof processTs === 'string' ? Date.parse(processTs) : Number.NaN;
    if (b.lastInputTs !== undefined && !(b.lastInputTs < changedBy)) {
      this.decided(b, b.evaluation.reconcile(this.now(), b.lastInputTs));
    }
  }

  /** Advances timed conditions; exposed so tests drive time exactly. */
  tick(now = this.now()): void {
    for (const b of this.timed) if (this.evaluatesHere(b.device.id)) this.decided(b, b.evaluation.tick(now));
  }

  private decided(b: Binding, decision: Decision | undefined): void {
    if (decision) this.enqueue(b, decision);
  }

  private enqueue(b: Binding, decision: Decision): void {
    this.counters.decisions += 1;
    this.pending += 1;
    b.inFlight += 1;
    b.queue = b.queue
      .then(async () => {
        let active: boolean;
        if (decision.type === 'raise') {
          active = await this.service.raise({ rule: b.rule, device: b.device, at: decision.at, trigger: decision.trigger, sourceTs: decision.sourceTs });
          this.counters.raised += 1;
        } else {
          active = await this.service.clear(b.rule, b.device, decision.at, undefined, undefined, decision.sourceTs);
          this.counters.cleared += 1;
        }
        b.dbActive = active;
        // The database is the authority (another hub may have applied a newer reading): follow it,
        // unless a later decision of this hub is already queued.
        if (b.inFlight === 1 && b.evaluation.state.active !== active) {
          b.evaluation.state.active = active;
          b.evaluation.state.dueAt = null;
          b.evaluation.dirty = true;
        }
      })
      .catch((err: Error) => {
        this.counters.failed += 1;
        // The evaluation believes the change happened. Unless a later decision is queued (it
        // settles the state, and the database answer it brings is followed), the alarm is taken
        // to be as the database last said, so the next input or tick that disagrees retries it.
        // (Not a blind flip: a raise that re-confirms a standing alarm changed nothing to undo.)
        if (b.inFlight === 1) {
          b.evaluation.state.active = b.dbActive;
          b.evaluation.state.dueAt = null;
          b.evaluation.dirty = true;
        }
        this.logger.error({ err: err.message, rule: b.rule.id, device: b.device.id, decision: decision.type }, 'could not apply an alarm change');
      })
      .finally(() => {
        b.inFlight -= 1;
        this.pending -= 1;
        if (this.pending === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
  }

  /** Re-alarm, escalation, shelve expiry; and rules edited on another hub. */
  async sweep(now?: Date): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const versions = await repo.ruleVersions(this.db);
      const changed = versions.size !== this.ruleVersions.size || [...versions].some(([id, v]) => this.ruleVersions.get(id) !== v);
      if (changed) await this.loadRules();
      await this.service.sweep(this.rules, now);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'alarm sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  /** Saves evaluation states that changed meaningfully since the last save. */
  async persist(): Promise<void> {
    const dirty: { ruleId: number; deviceId: number; version: number; state: unknown }[] = [];
    for (const b of this.bindings.values()) {
      if (!b.evaluation.dirty) continue;
      b.evaluation.dirty = false;
      // Only the hub that evaluates a device saves its state (a stale copy must not overwrite it).
      if (!this.evaluatesHere(b.device.id)) continue;
      dirty.push({ ruleId: b.rule.id, deviceId: b.device.id, version: b.rule.version, state: b.evaluation.state });
    }
    if (!dirty.length) return;
    try {
      await repo.saveEvaluationStates(this.db, dirty);
    } catch (err) {
      for (const d of dirty) {
        const b = this.bindings.get(key(d.ruleId, d.deviceId));
        if (b) b.evaluation.dirty = true;
      }
      this.logger.warn({ err: (err as Error).message }, 'could not save alarm evaluation state');
    }
  }

  stats(): { rules: number; bindings: number; pending: number; ownership: EngineOwnershipStats | null } & AlarmEngine['counters'] {
    return { rules: this.rules.size, bindings: this.bindings.size, pending: this.pending, ...this.counters, ownership: this.ownershipStats() };
  }

  /** Null when this hub evaluates every device alone (no evaluation ownership across hubs). */
  private ownershipStats(): EngineOwnershipStats | null {
    const ownership = this.ownership;
    if (!ownership) return null;
    const { liveHubs, forwarded, received, rejected, expired, publishFailures } = ownership.stats();
    let boundDevices = 0;
    let ownedDevices = 0;
    // An unbound device keeps its (empty) entry; only devices some rule watches count.
    for (const [deviceId, entry] of this.byDevice) {
      if (!entry.all.length) continue;
      boundDevices += 1;
      if (ownership.owns(deviceId)) ownedDevices += 1;
    }
    return { hubId: ownership.hubId, liveHubs, boundDevices, ownedDevices, forwardedIn: received, forwardedOut: forwarded, rejected, expired, publishFailures };
  }
}

/** Inputs to forward, grouped by the hub that evaluates their device. */
class Outbox {
  readonly byOwner = new Map<string, AlarmInput[]>();

  add(owner: string, input: AlarmInput): void {
    const list = this.byOwner.get(owner);
    if (list) list.push(input);
    else this.byOwner.set(owner, [input]);
  }
}

/** Holds an input for later, dropping the oldest beyond MAX_HELD_INPUTS. */
function keep(list: HeldInput[], held: HeldInput): void {
  list.push(held);
  if (list.length > MAX_HELD_INPUTS) list.shift();
}

/** Notes the time of an input about to be evaluated for a binding; returns the binding. */
function heard(b: Binding, ts: number | undefined): Binding {
  if (ts !== undefined && !(b.lastInputTs! >= ts)) b.lastInputTs = ts;
  return b;
}
