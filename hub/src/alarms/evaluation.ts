import type { ArmingSchedule, LeafCondition, RuleDefinition } from './rule-schema.js';
import { leavesOf } from './rule-schema.js';

/**
 * Incremental evaluation of one rule for one device: pure, no I/O, time passed in.
 * Each input (a reading, an event, an online change, a clock tick) updates the
 * leaves it concerns, recombines them, and applies the on-/off-delay; the answer
 * is a decision ("raise" or "clear") exactly when the alarm's process state must
 * change. The whole state is plain JSON so the hub can store and recover it.
 */

export interface LeafState {
  on: boolean;
  /** stale: when something was last heard. */
  lastAt?: number;
  /** rate: [ts, value] samples in the window, oldest first. */
  samples?: [number, number][];
  /** heldOpen: since when the door is open. */
  openSince?: number;
  /** heldOpen: the device time of the newest door event applied (an older one arriving later is ignored). */
  doorTs?: number;
  /** count: times of the most recent events (at most `count` kept). */
  times?: number[];
  /** event/armedEvent: when it clears by itself. */
  until?: number;
}

/** What made the condition true, for the alarm's message. */
export interface Trigger {
  metric?: string;
  value?: number | boolean | string;
  event?: string;
  at: number;
}

export interface EvaluationState {
  leaves: LeafState[];
  /** The condition as of now, before delays. */
  raw: boolean;
  /** What the alarm's process state is (after delays). */
  active: boolean;
  /** When a pending change of `active` (on-/off-delay) falls due. */
  dueAt: number | null;
  trigger: Trigger | null;
}

/** `sourceTs`: the time of the reading or event that decided it (absent when time alone did). */
export type Decision = { type: 'raise'; at: number; trigger: Trigger | null; sourceTs?: number } | { type: 'clear'; at: number; sourceTs?: number };

export type PointValue = number | boolean | string;

export interface EventInput {
  kind: string;
  data?: Record<string, unknown>;
  /** When it happened (the device's time). */
  ts?: number;
}

export function initialState(definition: RuleDefinition, now: number): EvaluationState {
  const leaves = leavesOf(definition.condition).map((leaf): LeafState => (leaf.kind === 'stale' ? { on: false, lastAt: now } : { on: false }));
  return { leaves, raw: false, active: false, dueAt: null, trigger: null };
}

/** A stored state fits the definition if it has one slot per leaf. */
export function restoreState(definition: RuleDefinition, stored: unknown, now: number): EvaluationState {
  const fresh = initialState(definition, now);
  const s = stored as Partial<EvaluationState> | null;
  if (!s || !Array.isArray(s.leaves) || s.leaves.length !== fresh.leaves.length) return fresh;
  const leaves = leavesOf(definition.condition).map((leaf, i): LeafState => {
    const saved = s.leaves![i];
    // Silence while the hub was down is not the device's fault: staleness restarts from now.
    return leaf.kind === 'stale' ? { ...saved, lastAt: Math.max(saved.lastAt ?? 0, now) } : saved;
  });
  return { leaves, raw: !!s.raw, active: !!s.active, dueAt: s.dueAt ?? null, trigger: s.trigger ?? null };
}

const asNumber = (v: PointValue): number | undefined => (typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : undefined);

function thresholdOn(leaf: Extract<LeafCondition, { kind: 'threshold' }>, wasOn: boolean, v: number): boolean {
  const { op, value: limit, deadband } = leaf;
  const rising = op === '>' || op === '>=';
  if (wasOn && deadband > 0) return rising ? v > limit - deadband : v < limit + deadband;
  switch (op) {
    case '>':
      return v > limit;
    case '>=':
      return v >= limit;
    case '<':
      return v < limit;
    case '<=':
      return v <= limit;
  }
}

const MAX_RATE_SAMPLES = 600;

function rateOn(leaf: Extract<LeafCondition, { kind: 'rate' }>, state: LeafState, ts: number, v: number): boolean {
  const samples = (state.samples ??= []);
  const last = samples[samples.length - 1];
  if (last && ts <= last[0]) return state.on; // out of order or repeated: ignore
  samples.push([ts, v]);
  const horizon = ts - leaf.windowSec * 1000;
  // Keep one sample at or before the window start, so the window is fully spanned.
  while (samples.length > 2 && samples[1][0] <= horizon) samples.shift();
  if (samples.length > MAX_RATE_SAMPLES) samples.splice(1, samples.length - MAX_RATE_SAMPLES);
  const [t0, v0] = samples[0];
  if (ts - t0 <= 0) return false;
  const perMin = ((v - v0) / (ts - t0)) * 60_000;
  return (leaf.risePerMin !== undefined && perMin >= leaf.risePerMin) || (leaf.fallPerMin !== undefined && perMin <= -leaf.fallPerMin);
}

function stateOn(leaf: Extract<LeafCondition, { kind: 'state' }>, v: PointValue): boolean {
  if (leaf.equals !== undefined) return v === leaf.equals;
  if (leaf.notEquals !== undefined) return v !== leaf.notEquals;
  return false;
}

function matches(match: Record<string, string | number | boolean> | undefined, data: Record<string, unknown> | undefined): boolean {
  if (!match) return true;
  return Object.entries(match).every(([k, v]) => data?.[k] === v);
}

/** Whether the schedule arms the zone at `at` (epoch ms). A window with from > to runs past midnight. */
export function isArmed(schedule: ArmingSchedule, at: number): boolean {
  const local = new Date(at + schedule.utcOffsetMin * 60_000);
  const day = local.getUTCDay();
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  const toMin = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  return schedule.windows.some((w) => {
    const from = toMin(w.from);
    const to = toMin(w.to);
    if (from <= to) return w.days.includes(day) && minute >= from && minute < to;
    // Overnight: the evening part belongs to the listed day, the morning part to the day after.
    return (w.days.includes(day) && minute >= from) || (w.days.includes((day + 6) % 7) && minute < to);
  });
}

/** What an evaluation may ask of the world around its device (kept out of the state: it is not the rule's to store). */
export interface EvaluationContext {
  /** The arming schedule stored for the device's zone, for armedEvent leaves with `zoneSchedule: true`. */
  zoneSchedule?: () => ArmingSchedule | undefined;
}

export class RuleEvaluation {
  readonly leaves: LeafCondition[];
  private readonly combine: 'all' | 'any';
  /** Set when the state changed in a way worth storing (not every reading). */
  dirty = false;

  constructor(
    readonly definition: RuleDefinition,
    readonly state: EvaluationState,
    private readonly context: EvaluationContext = {},
  ) {
    this.leaves = leavesOf(definition.condition);
    this.combine = definition.condition.kind === 'all' ? 'all' : 'any';
  }

  /** Metrics whose readings this evaluation needs; '*' for any (stale without a metric). */
  metrics(): string[] {
    const out = new Set<string>();
    for (const leaf of this.leaves) {
      if (leaf.kind === 'threshold' || leaf.kind === 'rate' || leaf.kind === 'state') out.add(leaf.metric);
      if (leaf.kind === 'stale') out.add(leaf.metric ?? '*');
    }
    return [...out];
  }

  usesEvents(): boolean {
    return this.leaves.some((l) => l.kind === 'event' || l.kind === 'heldOpen' || l.kind === 'count' || l.kind === 'armedEvent');
  }

  usesOnline(): boolean {
    return this.leaves.some((l) => l.kind === 'offline');
  }

  /** Whether time alone can change the outcome (ticks needed). */
  isTimed(): boolean {
    return (
      this.definition.onDelaySec > 0 ||
      this.definition.offDelaySec > 0 ||
      this.leaves.some((l) => l.kind === 'stale' || l.kind === 'heldOpen' || l.kind === 'count' || (l.kind === 'event' && l.autoClearSec !== undefined) || l.kind === 'armedEvent')
    );
  }

  onPoint(metric: string, value: PointValue, ts: number, now: number): Decision | undefined {
    let trigger: Trigger | undefined;
    for (let i = 0; i < this.leaves.length; i++) {
      const leaf = this.leaves[i];
      const st = this.state.leaves[i];
      const before = st.on;
      switch (leaf.kind) {
        case 'threshold': {
          if (leaf.metric !== metric) continue;
          const v = asNumber(value);
          if (v === undefined) continue;
          st.on = thresholdOn(leaf, st.on, v);
          break;
        }
        case 'rate': {
          if (leaf.metric !== metric) continue;
          const v = asNumber(value);
          if (v === undefined) continue;
          st.on = rateOn(leaf, st, ts, v);
          break;
        }
        case 'state':
          if (leaf.metric !== metric) continue;
          st.on = stateOn(leaf, value);
          break;
        case 'stale':
          if (leaf.metric !== undefined && leaf.metric !== metric) continue;
          st.lastAt = now;
          st.on = false;
          break;
        default:
          continue;
      }
      if (st.on && !before) trigger = { metric, value, at: ts };
      if (st.on !== before) this.dirty = true;
    }
    return this.decide(now, trigger ?? (this.state.raw ? undefined : { metric, value, at: ts }), ts);
  }

  onEvent(event: EventInput, now: number): Decision | undefined {
    let trigger: Trigger | undefined;
    for (let i = 0; i < this.leaves.length; i++) {
      const leaf = this.leaves[i];
      const st = this.state.leaves[i];
      const before = st.on;
      switch (leaf.kind) {
        case 'event':
          if (leaf.raise.includes(event.kind as never) && matches(leaf.match, event.data)) {
            st.on = true;
            st.until = leaf.autoClearSec !== undefined ? now + leaf.autoClearSec * 1000 : undefined;
            this.dirty = true;
          } else if (leaf.clear.includes(event.kind as never)) {
            st.on = false;
            st.until = undefined;
          }
          break;
        case 'armedEvent':
          if (leaf.raise.includes(event.kind as never) && this.armed(leaf, now)) {
            st.on = true;
            st.until = now + leaf.autoClearSec * 1000;
            this.dirty = true;
          } else if (leaf.clear.includes(event.kind as never)) {
            st.on = false;
            st.until = undefined;
          }
          break;
        case 'heldOpen':
          if (event.kind !== 'door.opened' && event.kind !== 'door.heldOpen' && event.kind !== 'door.closed') break;
          // The events of one door can overtake each other on their way (forwarded between hubs, or over
          // several ingest connections): "closed" then a late "opened" must not start the timer again.
          if (event.ts !== undefined && st.doorTs !== undefined && event.ts < st.doorTs) break;
          if (event.ts !== undefined) st.doorTs = event.ts;
          if (event.kind === 'door.opened') {
            st.openSince ??= now;
            this.dirty = true;
          } else if (event.kind === 'door.heldOpen') {
            st.openSince ??= now;
            st.on = true;
          } else if (event.kind === 'door.closed') {
            st.openSince = undefined;
            st.on = false;
            this.dirty = true;
          }
          break;
        case 'count':
          if (event.kind === leaf.event) {
            const times = (st.times ??= []);
            times.push(now);
            if (times.length > leaf.count) times.splice(0, times.length - leaf.count);
            st.on = times.length >= leaf.count && now - times[0] <= leaf.withinSec * 1000;
            this.dirty = true;
          }
          break;
        default:
          continue;
      }
      if (st.on && !before) trigger = { event: event.kind, at: now };
      if (st.on !== before) this.dirty = true;
    }
    return this.decide(now, trigger, event.ts);
  }

  onOnline(online: boolean, now: number): Decision | undefined {
    let trigger: Trigger | undefined;
    for (let i = 0; i < this.leaves.length; i++) {
      if (this.leaves[i].kind !== 'offline') continue;
      const st = this.state.leaves[i];
      if (st.on !== !online) {
        st.on = !online;
        this.dirty = true;
        if (st.on) trigger = { event: 'offline', at: now };
      }
    }
    return this.decide(now, trigger);
  }

  /** Time passing: staleness, held-open doors, count windows, auto-clear, and pending delays. */
  tick(now: number): Decision | undefined {
    let trigger: Trigger | undefined;
    for (let i = 0; i < this.leaves.length; i++) {
      const leaf = this.leaves[i];
      const st = this.state.leaves[i];
      const before = st.on;
      switch (leaf.kind) {
        case 'stale':
          st.on = st.lastAt !== undefined && now - st.lastAt > leaf.maxAgeSec * 1000;
          break;
        case 'heldOpen':
          if (st.openSince !== undefined && now - st.openSince >= leaf.seconds * 1000) st.on = true;
          break;
        case 'count':
          if (st.on && st.times && now - st.times[0] > leaf.withinSec * 1000) st.on = false;
          break;
        case 'event':
        case 'armedEvent':
          if (st.on && st.until !== undefined && now >= st.until) {
            st.on = false;
            st.until = undefined;
          }
          break;
        default:
          continue;
      }
      if (st.on && !before) trigger = { event: leaf.kind, at: now };
      if (st.on !== before) this.dirty = true;
    }
    return this.decide(now, trigger);
  }

  private armed(leaf: Extract<LeafCondition, { kind: 'armedEvent' }>, now: number): boolean {
    const schedule = leaf.zoneSchedule ? this.context.zoneSchedule?.() : leaf.schedule;
    return schedule !== undefined && isArmed(schedule, now);
  }

  /**
   * Told from outside that the alarm is in the other state: decides from the inputs
   * already evaluated, as their next arrival would (after the delay, if any).
   */
  reconcile(now: number, sourceTs?: number): Decision | undefined {
    return this.decide(now, undefined, sourceTs);
  }

  private decide(now: number, trigger: Trigger | undefined, sourceTs?: number): Decision | undefined {
    const s = this.state;
    const leaves = s.leaves;
    const raw = this.combine === 'all' ? leaves.every((l) => l.on) : leaves.some((l) => l.on);
    if (raw !== s.raw) {
      s.raw = raw;
      this.dirty = true;
      if (raw && trigger) s.trigger = trigger;
      // A change back to what the alarm already shows cancels a pending delay; a new one starts it.
      s.dueAt = raw === s.active ? null : now + (raw ? this.definition.onDelaySec : this.definition.offDelaySec) * 1000;
    } else if (raw !== s.active && s.dueAt === null) {
      // Told from outside (recovery, a rule edit) that the alarm is in the other state.
      s.dueAt = now + (raw ? this.definition.onDelaySec : this.definition.offDelaySec) * 1000;
    } else if (raw === s.active) {
      s.dueAt = null;
    }
    if (s.dueAt === null || now < s.dueAt) return undefined;
    s.dueAt = null;
    s.active = raw;
    this.dirty = true;
    return raw ? { type: 'raise', at: now, trigger: s.trigger, sourceTs } : { type: 'clear', at: now, sourceTs };
  }
}
