import { type AlarmCategory, type AlarmEventData, type AlarmPriority, type AlarmView } from '../api/hub-api.ts';
import { type LiveMessage } from '../live/live-client.ts';

/**
 * The console's alarm state: every alarm it may show, keyed by alarm id, changed by
 * live events in batches. Pure functions over an immutable state object, so React can
 * compare by reference and the logic is tested without a browser.
 *
 * Each live `alarm.*` event carries the whole AlarmView after the change, so applying
 * an event is a replacement, never a merge, and applying events in id order always
 * converges on the hub's state. An alarm's newest applied live id is kept: an event
 * delivered twice (a replay around a reconnect) or late is ignored.
 */

export const priorityRank: Record<AlarmPriority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** The three console tabs, as the hub defines its list views (GET /api/alarms?view=). */
export const consoleViews = ['standing', 'shelved', 'suppressed'] as const;
export type ConsoleView = (typeof consoleViews)[number];

export const alarmEventTypes = ['alarm.raised', 'alarm.changed', 'alarm.realarm', 'alarm.escalated'] as const;
export const workOrderEventTypes = ['workorder.created', 'workorder.changed', 'workorder.escalated'] as const;

export interface AlarmStoreState {
  readonly alarms: ReadonlyMap<number, AlarmView>;
  /** Newest live event id applied, per alarm. */
  readonly liveIds: ReadonlyMap<number, number>;
  /** Bumped by every change, for cheap memo keys. */
  readonly version: number;
}

export function emptyAlarmState(): AlarmStoreState {
  return { alarms: new Map(), liveIds: new Map(), version: 0 };
}

export function isShelved(alarm: AlarmView, now: number): boolean {
  return alarm.shelvedUntil !== null && Date.parse(alarm.shelvedUntil) > now;
}

/** Same rules as the hub's list views (alarm.repository listAlarms); the views overlap as they do there. */
export function inView(alarm: AlarmView, view: ConsoleView, now: number): boolean {
  switch (view) {
    case 'standing':
      return alarm.state !== 'normal' && !isShelved(alarm, now) && !alarm.outOfService;
    case 'shelved':
      return isShelved(alarm, now);
    case 'suppressed':
      return alarm.suppressed || alarm.outOfService;
  }
}

/** Whether the console has any reason to keep the alarm; normal, unflagged alarms are dropped. */
export function isKept(alarm: AlarmView, now: number): boolean {
  return consoleViews.some((view) => inView(alarm, view, now));
}

/**
 * raisedAt as epoch ms, parsed once per alarm object: sorting 500 standing alarms on every
 * live batch compares each one about ten times, and Date.parse was most of the sort's cost.
 */
const raisedMs = new WeakMap<AlarmView, number>();
function raisedTime(alarm: AlarmView): number {
  let ms = raisedMs.get(alarm);
  if (ms === undefined) {
    ms = alarm.raisedAt === null ? Number.NEGATIVE_INFINITY : Date.parse(alarm.raisedAt);
    raisedMs.set(alarm, ms);
  }
  return ms;
}

/** Priority, then newest raised first, then id: the hub's order, so a reload never reshuffles rows. */
export function compareAlarms(a: AlarmView, b: AlarmView): number {
  const byPriority = priorityRank[a.priority] - priorityRank[b.priority];
  if (byPriority !== 0) return byPriority;
  const ta = raisedTime(a);
  const tb = raisedTime(b);
  if (ta !== tb) return tb - ta;
  return a.alarmId - b.alarmId;
}

/**
 * Replaces the alarms with a fresh load (the union of the hub's standing, shelved and
 * suppressed lists), then re-applies the live events received while it loaded: the
 * load may predate some of them, and replaying an event the load already reflects is
 * harmless because events carry whole views and are applied in order.
 */
export function loadSnapshot(views: readonly AlarmView[], replay: readonly LiveMessage[], now: number, previous?: AlarmStoreState): AlarmStoreState {
  const alarms = new Map<number, AlarmView>();
  for (const view of views) if (isKept(view, now)) alarms.set(view.alarmId, view);
  const loaded: AlarmStoreState = { alarms, liveIds: new Map(), version: (previous?.version ?? 0) + 1 };
  return replay.length ? applyLiveBatch(loaded, replay, now).state : loaded;
}

function isAlarmEventData(data: unknown): data is AlarmEventData {
  if (typeof data !== 'object' || data === null) return false;
  const { alarmId, priority, state } = data as Record<string, unknown>;
  return typeof alarmId === 'number' && typeof priority === 'string' && priority in priorityRank && typeof state === 'string';
}

interface WorkOrderEventData {
  workOrder: { id: number; number: string; status: string };
}

function isWorkOrderEventData(data: unknown): data is WorkOrderEventData {
  if (typeof data !== 'object' || data === null) return false;
  const wo = (data as { workOrder?: unknown }).workOrder;
  if (typeof wo !== 'object' || wo === null) return false;
  const { id, number, status } = wo as Record<string, unknown>;
  return typeof id === 'number' && typeof number === 'string' && typeof status === 'string';
}

/** Events after which the alarm sounds: it (re)entered active-unacknowledged, or re-alarmed. */
function annunciates(message: LiveMessage<AlarmEventData>): boolean {
  const { data } = message;
  if (data.state !== 'unack') return false;
  return message.type === 'alarm.raised' || message.type === 'alarm.realarm' || (message.type === 'alarm.changed' && data.action === 'activate');
}

export interface BatchResult {
  state: AlarmStoreState;
  /** Alarms that just became (or re-alarmed as) standing unacknowledged: what the sound is for. */
  annunciated: AlarmView[];
  /** Events applied (not ignored as duplicates or foreign types). */
  applied: number;
}

/**
 * Applies a batch of live messages in order, copying the maps once per batch rather
 * than once per event: a burst of hundreds of events costs one copy.
 */
export function applyLiveBatch(state: AlarmStoreState, messages: readonly LiveMessage[], now: number): BatchResult {
  let alarms: Map<number, AlarmView> | null = null;
  let liveIds: Map<number, number> | null = null;
  const annunciated = new Map<number, AlarmView>();
  let applied = 0;

  for (const message of messages) {
    if ((alarmEventTypes as readonly string[]).includes(message.type)) {
      if (!isAlarmEventData(message.data)) continue;
      const { action: _action, actor: _actor, note: _note, ...view } = message.data;
      const seen = (liveIds ?? state.liveIds).get(view.alarmId);
      if (seen !== undefined && message.id <= seen) continue;
      alarms ??= new Map(state.alarms);
      liveIds ??= new Map(state.liveIds);
      liveIds.set(view.alarmId, message.id);
      if (isKept(view, now)) alarms.set(view.alarmId, view);
      else alarms.delete(view.alarmId);
      if (annunciates(message as LiveMessage<AlarmEventData>) && inView(view, 'standing', now)) annunciated.set(view.alarmId, view);
      else annunciated.delete(view.alarmId);
      applied += 1;
    } else if ((workOrderEventTypes as readonly string[]).includes(message.type)) {
      if (!isWorkOrderEventData(message.data)) continue;
      const wo = message.data.workOrder;
      for (const [id, alarm] of alarms ?? state.alarms) {
        if (alarm.workOrderId !== wo.id || (alarm.workOrderStatus === wo.status && alarm.workOrderNumber === wo.number)) continue;
        alarms ??= new Map(state.alarms);
        alarms.set(id, { ...alarm, workOrderNumber: wo.number, workOrderStatus: wo.status });
        applied += 1;
      }
    }
  }

  if (!alarms) return { state, annunciated: [], applied: 0 };
  return { state: { alarms, liveIds: liveIds ?? state.liveIds, version: state.version + 1 }, annunciated: [...annunciated.values()], applied };
}

/**
 * The answer to one of our own actions (ack, shelve…), applied at once so the console
 * does not wait for the live echo. Skipped if a live event for the alarm arrived since
 * the request left: that event is as new or newer than this answer.
 */
export function applyLocal(state: AlarmStoreState, view: AlarmView, liveIdBefore: number | undefined, now: number): AlarmStoreState {
  if (state.liveIds.get(view.alarmId) !== liveIdBefore) return state;
  const alarms = new Map(state.alarms);
  if (isKept(view, now)) alarms.set(view.alarmId, view);
  else alarms.delete(view.alarmId);
  return { ...state, alarms, version: state.version + 1 };
}

export interface AlarmFilter {
  view: ConsoleView;
  /** null: every building the user may see. */
  building: string | null;
  category: AlarmCategory | null;
  /** From the estate overview: only alarms of these devices (a floor, one device); null: no limit. */
  deviceIds: ReadonlySet<number> | null;
}

function matches(alarm: AlarmView, filter: Omit<AlarmFilter, 'view'>): boolean {
  if (filter.building !== null && alarm.buildingId !== filter.building) return false;
  if (filter.category !== null && alarm.category !== filter.category) return false;
  if (filter.deviceIds !== null && !filter.deviceIds.has(alarm.deviceId)) return false;
  return true;
}

/** The rows of one tab, filtered and in console order. */
export function selectAlarms(state: AlarmStoreState, filter: AlarmFilter, now: number): AlarmView[] {
  const rows: AlarmView[] = [];
  for (const alarm of state.alarms.values()) if (inView(alarm, filter.view, now) && matches(alarm, filter)) rows.push(alarm);
  return rows.sort(compareAlarms);
}

export interface ViewCounts {
  standing: number;
  shelved: number;
  suppressed: number;
  /** Standing and unacknowledged (unack or rtn_unack), by priority: the console's headline. */
  unackByPriority: Record<AlarmPriority, number>;
}

export function countAlarms(state: AlarmStoreState, filter: Omit<AlarmFilter, 'view'>, now: number): ViewCounts {
  const counts: ViewCounts = { standing: 0, shelved: 0, suppressed: 0, unackByPriority: { critical: 0, high: 0, medium: 0, low: 0 } };
  for (const alarm of state.alarms.values()) {
    if (!matches(alarm, filter)) continue;
    for (const view of consoleViews) if (inView(alarm, view, now)) counts[view] += 1;
    if (inView(alarm, 'standing', now) && alarm.state !== 'acked') counts.unackByPriority[alarm.priority] += 1;
  }
  return counts;
}

/**
 * For the estate overview: each device with a standing alarm, and its highest priority.
 * Given the previous answer, returns that same object when nothing changed, so the
 * overview (thousands of tiles) skips re-rendering on alarm events that do not move a colour.
 */
export function devicePriorities(state: AlarmStoreState, now: number, previous?: ReadonlyMap<number, AlarmPriority>): ReadonlyMap<number, AlarmPriority> {
  const byDevice = new Map<number, AlarmPriority>();
  for (const alarm of state.alarms.values()) {
    if (!inView(alarm, 'standing', now)) continue;
    const current = byDevice.get(alarm.deviceId);
    if (current === undefined || priorityRank[alarm.priority] < priorityRank[current]) byDevice.set(alarm.deviceId, alarm.priority);
  }
  if (previous && previous.size === byDevice.size && [...byDevice].every(([id, p]) => previous.get(id) === p)) return previous;
  return byDevice;
}

/** The highest priority among standing unacknowledged alarms, if any (for the repeating reminder tone). */
export function highestUnacknowledged(state: AlarmStoreState, now: number): AlarmPriority | null {
  let best: AlarmPriority | null = null;
  for (const alarm of state.alarms.values()) {
    if (alarm.state === 'acked' || !inView(alarm, 'standing', now)) continue;
    if (best === null || priorityRank[alarm.priority] < priorityRank[best]) best = alarm.priority;
  }
  return best;
}
