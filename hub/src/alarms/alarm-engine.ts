import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { EventBus, HubEvents } from '../events/event-bus.js';
import * as repo from './alarm.repository.js';
import type { AlarmService } from './alarm.service.js';
import { initialState, restoreState, RuleEvaluation, type Decision } from './evaluation.js';
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
  private readonly options: Required<Omit<AlarmEngineOptions, 'now' | 'zoneSchedules'>>;
  private readonly zoneSchedules: ZoneScheduleSource | undefined;
  private ruleVersions = new Map<number, number>();
  private sweeping = false;
  private readonly learning = new Set<number>();
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
    service.onStillActive = (ruleId, deviceId) => {
      const b = this.bindings.get(key(ruleId, deviceId));
      if (b) this.enqueue(b, { type: 'raise', at: this.now(), trigger: b.evaluation.state.trigger });
      return Promise.resolve();
    };
  }

  async start(): Promise<void> {
    await this.loadRules();
    this.unsubscribe.push(
      this.bus.on('telemetry.points', (e) => this.onPoints(e)),
      this.bus.on('device.event', (e) => this.onEvent(e)),
      this.bus.on('device.online', (e) => this.onOnline(e.deviceId, e.online)),
      this.bus.on('agent.state', (e) => {
        if (!e.online) for (const d of this.devices.values()) if (d.agentId === e.agentId) this.onOnline(d.id, false);
      }),
      this.bus.on('device.birth', (e) => void this.onBirth(e.deviceId)),
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
    for (const off of this.unsubscribe.splice(0)) off();
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
    // Read through the binding at evaluation time: a later birth may move the device to another zone.
    const evaluation = new RuleEvaluation(rule.definition, state, {
      zoneSchedule: () => this.zoneSchedules?.scheduleFor(binding.device.buildingId, binding.device.zone ?? null),
    });
    if (evaluation.usesOnline() && !saved) evaluation.onOnline(device.online, now);
    const binding: Binding = { rule, device, evaluation, queue: Promise.resolve(), inFlight: 0 };
    this.bindings.set(k, binding);
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
   * split births and data) or registered after start. Bound once, in the background.
   */
  private learn(deviceId: number): void {
    if (this.devices.has(deviceId) || this.learning.has(deviceId)) return;
    this.learning.add(deviceId);
    void this.onBirth(deviceId).finally(() => this.learning.delete(deviceId));
  }

  private onPoints({ points, series }: HubEvents['telemetry.points']): void {
    const now = this.now();
    for (let i = 0; i < points.length; i++) {
      const entry = this.byDevice.get(series[i].deviceId);
      if (!entry) {
        this.learn(series[i].deviceId);
        continue;
      }
      const p = points[i];
      const list = entry.byMetric.get(p.metric);
      if (list) for (const b of list) this.decided(heard(b, p.ts), b.evaluation.onPoint(p.metric, p.value, p.ts, now));
      const any = entry.byMetric.get('*');
      if (any) for (const b of any) this.decided(heard(b, p.ts), b.evaluation.onPoint(p.metric, p.value, p.ts, now));
    }
  }

  private onEvent({ deviceId, event }: HubEvents['device.event']): void {
    if (event.historical) return; // replayed after an outage: kept in history, too late to alarm on
    const entry = this.byDevice.get(deviceId);
    if (!entry) return this.learn(deviceId);
    const now = this.now();
    for (const b of entry.events) this.decided(heard(b, event.ts), b.evaluation.onEvent({ kind: event.kind, data: event.data, ts: event.ts }, now));
  }

  private onOnline(deviceId: number, online: boolean): void {
    const device = this.devices.get(deviceId);
    if (device) device.online = online;
    const entry = this.byDevice.get(deviceId);
    if (!entry) return;
    const now = this.now();
    for (const b of entry.online) this.decided(b, b.evaluation.onOnline(online, now));
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
    // A change of its own still being applied is newer than what the event reports.
    if (!b || b.inFlight > 0 || b.evaluation.state.active === active) return;
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
    for (const b of this.timed) this.decided(b, b.evaluation.tick(now));
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
        // The evaluation believes the change happened; the next input that disagrees retries it.
        b.evaluation.state.active = !b.evaluation.state.active;
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

  stats(): { rules: number; bindings: number; pending: number } & AlarmEngine['counters'] {
    return { rules: this.rules.size, bindings: this.bindings.size, pending: this.pending, ...this.counters };
  }
}

/** Notes the time of an input about to be evaluated for a binding; returns the binding. */
function heard(b: Binding, ts: number | undefined): Binding {
  if (ts !== undefined && !(b.lastInputTs! >= ts)) b.lastInputTs = ts;
  return b;
}
