import { describe, expect, it } from 'vitest';
import { type AlarmPriority, type AlarmView } from '../api/hub-api.ts';
import { type LiveConnectionState, type LiveMessage } from '../live/live-client.ts';
import { AlarmFeed, type LiveSource } from './alarm-feed.ts';
import { AlarmSounder } from './alarm-sound.ts';
import {
  applyLiveBatch,
  applyLocal,
  compareAlarms,
  countAlarms,
  devicePriorities,
  emptyAlarmState,
  highestUnacknowledged,
  loadSnapshot,
  priorityRank,
  selectAlarms,
  type AlarmFilter,
} from './alarm-store.ts';

const NOW = Date.parse('2025-06-01T08:00:00Z');
const priorities: AlarmPriority[] = ['critical', 'high', 'medium', 'low'];
const noFilter: Omit<AlarmFilter, 'view'> = { building: null, category: null, deviceIds: null };
const standing: AlarmFilter = { view: 'standing', ...noFilter };

function alarm(id: number, overrides: Partial<AlarmView> = {}): AlarmView {
  return {
    alarmId: id,
    ruleId: 1,
    ruleName: 'Pump pressure low',
    priority: priorities[id % 4],
    category: id % 2 ? 'security' : 'maintenance',
    deviceId: 1000 + (id % 50),
    deviceName: `Device ${id}`,
    deviceType: 'pump',
    buildingId: `b${id % 3}`,
    location: null,
    state: 'unack',
    active: true,
    shelvedUntil: null,
    shelvedBy: null,
    shelveReason: null,
    suppressed: false,
    outOfService: false,
    episodeId: id,
    message: `alarm ${id}`,
    value: null,
    // Distinct raise times, spread over the last ~8 hours.
    raisedAt: new Date(NOW - ((id * 7919) % 30_000) * 1000).toISOString(),
    clearedAt: null,
    ackedAt: null,
    ackedBy: null,
    endedAt: null,
    activations: 1,
    realarms: 0,
    escalatedAt: null,
    workOrderId: null,
    workOrderNumber: null,
    workOrderStatus: null,
    changedAt: new Date(NOW).toISOString(),
    ...overrides,
  };
}

function event(id: number, type: string, view: AlarmView, action = 'activate'): LiveMessage {
  return { id, type, data: { ...view, action, actor: 'system', note: null } };
}

/** Sorted by priority, then newest raised first, then id. */
function isConsoleOrder(rows: AlarmView[]): boolean {
  return rows.every((row, i) => i === 0 || compareAlarms(rows[i - 1], row) < 0);
}

describe('alarm store', () => {
  it('moves an alarm to its new place when a live event re-raises it later, though its old view was sorted before', () => {
    const views = [alarm(1, { priority: 'high', raisedAt: new Date(NOW - 60_000).toISOString() }), alarm(2, { priority: 'high', raisedAt: new Date(NOW - 30_000).toISOString() })];
    let state = loadSnapshot(views, [], NOW);
    expect(selectAlarms(state, standing, NOW).map((a) => a.alarmId)).toEqual([2, 1]);
    // The same alarm re-raised (a new episode): a new view with a newer raisedAt, newest first.
    state = applyLiveBatch(state, [event(10, 'alarm.raised', { ...views[0], raisedAt: new Date(NOW - 1_000).toISOString() })], NOW).state;
    expect(selectAlarms(state, standing, NOW).map((a) => a.alarmId)).toEqual([1, 2]);
    // An alarm without a raise time sorts after those with one, as on the hub.
    state = applyLiveBatch(state, [event(11, 'alarm.changed', { ...alarm(3, { priority: 'high' }), raisedAt: null })], NOW).state;
    expect(selectAlarms(state, standing, NOW).map((a) => a.alarmId)).toEqual([1, 2, 3]);
  });

  it('keeps 500 alarms in console order through a burst of 2000 live updates, applying each alarm’s newest event', () => {
    const views = Array.from({ length: 500 }, (_, i) => alarm(i + 1));
    let state = loadSnapshot(views, [], NOW);
    expect(state.alarms.size).toBe(500);
    const first = selectAlarms(state, standing, NOW);
    expect(first).toHaveLength(500);
    expect(isConsoleOrder(first)).toBe(true);
    expect(first[0].priority).toBe('critical');
    expect(first.at(-1)?.priority).toBe('low');

    // A burst: every alarm changes four times (ack, re-prioritised by rule edit, comment, clear),
    // interleaved as the hub would stream them.
    const burst: LiveMessage[] = [];
    let liveId = 100;
    const expected = new Map<number, AlarmView>();
    for (let round = 0; round < 4; round++) {
      for (const view of views) {
        const next =
          round === 0
            ? { ...view, state: 'acked' as const, ackedBy: 'guard' }
            : round === 1
              ? { ...view, state: 'acked' as const, priority: priorities[(view.alarmId + 1) % 4] }
              : round === 2
                ? { ...expected.get(view.alarmId)! }
                : view.alarmId % 5 === 0
                  ? { ...expected.get(view.alarmId)!, state: 'normal' as const, active: false }
                  : { ...expected.get(view.alarmId)! };
        expected.set(view.alarmId, next);
        burst.push(event(++liveId, 'alarm.changed', next, ['ack', 'rule', 'comment', 'clear'][round]));
      }
    }
    const started = performance.now();
    const result = applyLiveBatch(state, burst, NOW);
    const elapsed = performance.now() - started;
    state = result.state;
    expect(result.applied).toBe(2000);
    expect(result.annunciated).toEqual([]);
    // Cleared and acknowledged alarms (every fifth) leave the console.
    expect(state.alarms.size).toBe(400);
    const rows = selectAlarms(state, standing, NOW);
    expect(rows).toHaveLength(400);
    expect(isConsoleOrder(rows)).toBe(true);
    for (const row of rows) expect(row).toEqual(expected.get(row.alarmId));
    expect(rows.every((r) => r.state === 'acked')).toBe(true);
    // Generous bound: the point is one copy per batch, not per event.
    expect(elapsed).toBeLessThan(500);
  });

  it('ignores events delivered twice or late, by live id per alarm', () => {
    let state = loadSnapshot([alarm(1), alarm(2)], [], NOW);
    const acked = { ...alarm(1), state: 'acked' as const };
    state = applyLiveBatch(state, [event(10, 'alarm.changed', acked, 'ack')], NOW).state;
    const version = state.version;

    // A replay of the same event, and an older one for the same alarm, change nothing.
    const replay = applyLiveBatch(state, [event(10, 'alarm.changed', acked, 'ack'), event(9, 'alarm.changed', alarm(1), 'activate')], NOW);
    expect(replay.applied).toBe(0);
    expect(replay.state).toBe(state);
    expect(replay.state.version).toBe(version);
    expect(state.alarms.get(1)?.state).toBe('acked');

    // Within one batch too: the duplicate is skipped, the newer event wins.
    const cleared = { ...acked, state: 'normal' as const, active: false };
    const batch = applyLiveBatch(state, [event(11, 'alarm.changed', cleared, 'clear'), event(11, 'alarm.changed', cleared, 'clear'), event(10, 'alarm.changed', acked, 'ack')], NOW);
    expect(batch.applied).toBe(1);
    expect(batch.state.alarms.has(1)).toBe(false);
    expect(batch.state.liveIds.get(1)).toBe(11);
  });

  it('annunciates newly raised and re-alarmed unacknowledged alarms, not acknowledged or shelved ones', () => {
    const state = loadSnapshot([alarm(2, { state: 'rtn_unack', active: false })], [], NOW);
    const shelved = alarm(3, { shelvedUntil: new Date(NOW + 60_000).toISOString() });
    const { annunciated, state: next } = applyLiveBatch(
      state,
      [
        event(1, 'alarm.raised', alarm(1)),
        event(2, 'alarm.changed', alarm(2), 'activate'),
        event(3, 'alarm.raised', shelved),
        event(4, 'alarm.changed', alarm(4, { state: 'acked' }), 'ack'),
        event(5, 'alarm.realarm', alarm(5), 'realarm'),
        event(6, 'alarm.raised', alarm(6)),
        event(7, 'alarm.changed', alarm(6, { state: 'acked' }), 'ack'),
      ],
      NOW,
    );
    expect(annunciated.map((a) => a.alarmId).sort()).toEqual([1, 2, 5]);
    expect(selectAlarms(next, { ...standing, view: 'shelved' }, NOW).map((a) => a.alarmId)).toEqual([3]);
  });

  it('files alarms under the hub’s views: standing, shelved (until expiry), suppressed or out of service', () => {
    const views = [
      alarm(1),
      alarm(2, { state: 'acked', shelvedUntil: new Date(NOW + 60_000).toISOString() }),
      alarm(3, { state: 'normal', active: false, suppressed: true }),
      alarm(4, { state: 'unack', outOfService: true }),
      alarm(5, { state: 'unack', suppressed: true }),
      alarm(6, { state: 'normal', active: false }),
      alarm(7, { shelvedUntil: new Date(NOW - 1).toISOString() }),
    ];
    const state = loadSnapshot(views, [], NOW);
    expect([...state.alarms.keys()].sort()).toEqual([1, 2, 3, 4, 5, 7]);
    const ids = (view: AlarmFilter['view']) => selectAlarms(state, { ...standing, view }, NOW).map((a) => a.alarmId).sort();
    expect(ids('standing')).toEqual([1, 5, 7]);
    expect(ids('shelved')).toEqual([2]);
    expect(ids('suppressed')).toEqual([3, 4, 5]);
    const counts = countAlarms(state, noFilter, NOW);
    expect({ standing: counts.standing, shelved: counts.shelved, suppressed: counts.suppressed }).toEqual({ standing: 3, shelved: 1, suppressed: 3 });
    // Once its shelve expires, alarm 2 is back on the console.
    expect(selectAlarms(state, standing, NOW + 120_000).map((a) => a.alarmId).sort()).toEqual([1, 2, 5, 7]);
  });

  it('filters by building, category and the devices picked in the estate overview', () => {
    const state = loadSnapshot(Array.from({ length: 60 }, (_, i) => alarm(i + 1)), [], NOW);
    const inB1 = selectAlarms(state, { ...standing, building: 'b1' }, NOW);
    expect(inB1.length).toBe(20);
    expect(inB1.every((a) => a.buildingId === 'b1')).toBe(true);
    const security = selectAlarms(state, { ...standing, category: 'security' }, NOW);
    expect(security.every((a) => a.category === 'security')).toBe(true);
    expect(security.length).toBe(30);
    const device = selectAlarms(state, { ...standing, deviceIds: new Set([1007]) }, NOW);
    expect(device.map((a) => a.alarmId)).toEqual([7, 57].sort((a, b) => compareAlarms(alarm(a), alarm(b))));
    expect(countAlarms(state, { ...noFilter, building: 'b1' }, NOW).standing).toBe(20);
  });

  it('gives each device the colour of its most urgent standing alarm', () => {
    const state = loadSnapshot(
      [
        alarm(1, { deviceId: 7, priority: 'low' }),
        alarm(2, { deviceId: 7, priority: 'high' }),
        alarm(3, { deviceId: 8, priority: 'critical', shelvedUntil: new Date(NOW + 60_000).toISOString() }),
        alarm(4, { deviceId: 9, priority: 'medium', state: 'acked' }),
      ],
      [],
      NOW,
    );
    expect(Object.fromEntries(devicePriorities(state, NOW))).toEqual({ 7: 'high', 9: 'medium' });
    expect(highestUnacknowledged(state, NOW)).toBe('high');
    expect(countAlarms(state, noFilter, NOW).unackByPriority).toEqual({ critical: 0, high: 1, medium: 0, low: 1 });
  });

  it('follows the linked work order’s status from work-order events', () => {
    const state = loadSnapshot([alarm(1, { workOrderId: 42, workOrderNumber: 'WO-42', workOrderStatus: 'open' }), alarm(2)], [], NOW);
    const { state: next, applied } = applyLiveBatch(
      state,
      [{ id: 5, type: 'workorder.changed', data: { action: 'assign', actor: 'guard', workOrder: { id: 42, number: 'WO-42', status: 'assigned' } } }],
      NOW,
    );
    expect(applied).toBe(1);
    expect(next.alarms.get(1)?.workOrderStatus).toBe('assigned');
    expect(next.alarms.get(2)).toBe(state.alarms.get(2));
  });

  it('applies the answer to our own action unless a live event for the alarm came first', () => {
    let state = loadSnapshot([alarm(1)], [], NOW);
    const acked = alarm(1, { state: 'acked' });
    state = applyLocal(state, acked, undefined, NOW);
    expect(state.alarms.get(1)?.state).toBe('acked');

    // The live stream already brought something newer (the alarm cleared): the answer is stale.
    const cleared = alarm(1, { state: 'normal', active: false });
    state = applyLiveBatch(state, [event(20, 'alarm.changed', cleared, 'clear')], NOW).state;
    expect(applyLocal(state, acked, 19, NOW)).toBe(state);
  });

  it('ignores frames that are not alarm or work-order events, or malformed', () => {
    const state = emptyAlarmState();
    const result = applyLiveBatch(state, [{ id: 1, type: 'shiftlog.created', data: {} }, { id: 2, type: 'alarm.raised', data: { alarmId: 'x' } }], NOW);
    expect(result.state).toBe(state);
    expect(priorityRank.critical).toBeLessThan(priorityRank.low);
  });
});

class FakeLive implements LiveSource {
  state: LiveConnectionState = 'connected';
  lastEventId: number | null = null;
  private readonly listeners = new Set<(message: LiveMessage) => void>();
  onMessage(listener: (message: LiveMessage) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  onState() {
    return () => {};
  }
  send(message: LiveMessage) {
    for (const listener of this.listeners) listener(message);
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('alarm feed', () => {
  it('applies a burst of live events in one batch per frame, with one notification', async () => {
    const live = new FakeLive();
    const frames: (() => void)[] = [];
    const feed = new AlarmFeed({ live, load: async () => Array.from({ length: 500 }, (_, i) => alarm(i + 1)), schedule: (flush) => (frames.push(flush), () => {}), now: () => NOW });
    feed.start();
    await Promise.resolve();
    await Promise.resolve();
    expect(feed.state.alarms.size).toBe(500);

    let notified = 0;
    feed.subscribe(() => (notified += 1));
    const sounded: number[] = [];
    feed.onAnnunciate((alarms) => sounded.push(alarms.length));
    for (let i = 0; i < 300; i++) live.send(event(1000 + i, 'alarm.changed', alarm((i % 500) + 1, { state: 'acked' }), 'ack'));
    live.send(event(2000, 'alarm.raised', alarm(501, { priority: 'critical', raisedAt: new Date(NOW).toISOString() })));
    expect(frames).toHaveLength(1);
    expect(notified).toBe(0);

    frames[0]();
    expect(notified).toBe(1);
    expect(sounded).toEqual([1]);
    expect(feed.state.alarms.size).toBe(501);
    const rows = selectAlarms(feed.state, standing, NOW);
    expect(rows[0].alarmId).toBe(501);
    expect(rows.filter((r) => r.state === 'acked')).toHaveLength(300);
    feed.stop();
  });

  it('replays events that arrive while loading over the answer, and reloads on live.reset', async () => {
    const live = new FakeLive();
    const loads: ReturnType<typeof deferred<AlarmView[]>>[] = [];
    const feed = new AlarmFeed({
      live,
      load: () => {
        const d = deferred<AlarmView[]>();
        loads.push(d);
        return d.promise;
      },
      schedule: () => () => {},
      now: () => NOW,
    });
    feed.start();
    expect(feed.status.loading).toBe(true);
    // Acknowledged on another console while our load was in flight; the load was read before it.
    live.send(event(50, 'alarm.changed', alarm(1, { state: 'acked' }), 'ack'));
    loads[0].resolve([alarm(1), alarm(2)]);
    await loads[0].promise;
    await Promise.resolve();
    expect(feed.status.loading).toBe(false);
    expect(feed.state.alarms.get(1)?.state).toBe('acked');
    feed.flush();
    expect(feed.state.alarms.get(1)?.state).toBe('acked');

    live.send({ id: 60, type: 'live.reset', data: { reason: 'pruned' } });
    expect(loads).toHaveLength(2);
    loads[1].resolve([alarm(2)]);
    await loads[1].promise;
    await Promise.resolve();
    expect([...feed.state.alarms.keys()]).toEqual([2]);
    feed.stop();
  });
});

describe('alarm sounder', () => {
  it('does not throw without Web Audio, honours mute and merges sounds closer than 1.5 s unless more urgent', () => {
    let now = NOW;
    const sounder = new AlarmSounder(false, () => now);
    expect(() => sounder.unlock()).not.toThrow();
    sounder.play('medium');
    sounder.play('low');
    sounder.play('critical');
    expect(sounder.played).toBe(2);
    now += 2_000;
    sounder.play('low');
    expect(sounder.played).toBe(3);
    sounder.muted = true;
    now += 2_000;
    sounder.play('critical');
    expect(sounder.played).toBe(3);
    expect(sounder.isUnavailable).toBe(true);
  });
});
