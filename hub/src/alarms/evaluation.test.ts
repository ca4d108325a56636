import { describe, expect, it } from 'vitest';
import { initialState, isArmed, restoreState, RuleEvaluation, type Decision } from './evaluation.js';
import { ruleDefinitionSchema, type RuleDefinition } from './rule-schema.js';

/** A rule evaluation driven by a fake clock: every input carries the time it happens at. */
function evaluation(definition: unknown, start = 1_000_000) {
  const def: RuleDefinition = ruleDefinitionSchema.parse(definition);
  const ev = new RuleEvaluation(def, initialState(def, start));
  let now = start;
  const decisions: Decision[] = [];
  const keep = (d: Decision | undefined) => {
    if (d) decisions.push(d);
    return d?.type;
  };
  return {
    ev,
    decisions,
    at: (t: number) => (now = start + t),
    point: (metric: string, value: number | boolean | string, t?: number) => {
      if (t !== undefined) now = start + t;
      return keep(ev.onPoint(metric, value, now, now));
    },
    event: (kind: string, t?: number, data?: Record<string, unknown>) => {
      if (t !== undefined) now = start + t;
      return keep(ev.onEvent({ kind, data }, now));
    },
    online: (online: boolean, t?: number) => {
      if (t !== undefined) now = start + t;
      return keep(ev.onOnline(online, now));
    },
    tick: (t: number) => {
      now = start + t;
      return keep(ev.tick(now));
    },
  };
}

describe('threshold with deadband', () => {
  const rule = { condition: { kind: 'threshold', metric: 'temp', op: '>', value: 80, deadband: 5 } };

  it('raises above the limit and returns only below limit minus deadband', () => {
    const e = evaluation(rule);
    expect(e.point('temp', 79.9)).toBeUndefined();
    expect(e.point('temp', 80.1)).toBe('raise');
    // Noise around the limit does not chatter.
    expect(e.point('temp', 79)).toBeUndefined();
    expect(e.point('temp', 81)).toBeUndefined();
    expect(e.point('temp', 75.5)).toBeUndefined();
    expect(e.point('temp', 74.9)).toBe('clear');
    expect(e.point('temp', 79)).toBeUndefined();
    expect(e.point('temp', 80.5)).toBe('raise');
    expect(e.decisions.map((d) => d.type)).toEqual(['raise', 'clear', 'raise']);
  });

  it('ignores other metrics and non-numeric values; low limits mirror high ones', () => {
    const e = evaluation({ condition: { kind: 'threshold', metric: 'level', op: '<=', value: 20, deadband: 2 } });
    expect(e.point('temp', 5)).toBeUndefined();
    expect(e.point('level', 'n/a')).toBeUndefined();
    expect(e.point('level', 20)).toBe('raise');
    expect(e.point('level', 21.9)).toBeUndefined();
    expect(e.point('level', 22.1)).toBe('clear');
  });

  it('keeps the reading that raised it as the trigger', () => {
    const e = evaluation(rule);
    e.point('temp', 70, 0);
    e.point('temp', 91.5, 1000);
    expect(e.decisions[0]).toMatchObject({ type: 'raise', trigger: { metric: 'temp', value: 91.5 } });
  });
});

describe('on-delay and off-delay', () => {
  const rule = { condition: { kind: 'threshold', metric: 'p', op: '<', value: 300 }, onDelaySec: 10, offDelaySec: 5 };

  it('raises only if the condition holds for the whole on-delay', () => {
    const e = evaluation(rule);
    expect(e.point('p', 250, 0)).toBeUndefined();
    expect(e.tick(9_999)).toBeUndefined();
    expect(e.point('p', 320, 9_999)).toBeUndefined(); // back in time: the delay restarts
    expect(e.tick(20_000)).toBeUndefined();
    expect(e.point('p', 240, 21_000)).toBeUndefined();
    expect(e.tick(30_999)).toBeUndefined();
    expect(e.tick(31_000)).toBe('raise');
  });

  it('returns only after the condition stayed clear for the off-delay', () => {
    const e = evaluation(rule);
    e.point('p', 250, 0);
    expect(e.tick(10_000)).toBe('raise');
    expect(e.point('p', 310, 11_000)).toBeUndefined();
    expect(e.point('p', 290, 15_000)).toBeUndefined(); // relapse within the off-delay: stays active
    expect(e.tick(40_000)).toBeUndefined();
    expect(e.point('p', 310, 41_000)).toBeUndefined();
    expect(e.tick(45_999)).toBeUndefined();
    expect(e.tick(46_000)).toBe('clear');
    expect(e.decisions.map((d) => d.type)).toEqual(['raise', 'clear']);
  });

  it('a reading that arrives after the delay has passed decides at once', () => {
    const e = evaluation(rule);
    e.point('p', 250, 0);
    expect(e.point('p', 250, 12_000)).toBe('raise');
  });
});

describe('rate of change', () => {
  it('raises on a fall faster than the limit over the window, and returns when it slows', () => {
    const e = evaluation({ condition: { kind: 'rate', metric: 'level', windowSec: 60, fallPerMin: 2 } });
    expect(e.point('level', 80, 0)).toBeUndefined();
    expect(e.point('level', 79.5, 30_000)).toBeUndefined(); // -1/min
    expect(e.point('level', 77, 60_000)).toBe('raise'); // -3/min over the minute
    expect(e.point('level', 76, 90_000)).toBeUndefined(); // 79.5→76 over 60 s: -3.5/min
    expect(e.point('level', 76, 150_000)).toBe('clear'); // flat over the last minute
  });

  it('raises on a rise and ignores out-of-order samples', () => {
    const e = evaluation({ condition: { kind: 'rate', metric: 't', windowSec: 120, risePerMin: 1 } });
    e.point('t', 20, 0);
    expect(e.point('t', 99, -5_000)).toBeUndefined();
    expect(e.point('t', 23, 60_000)).toBe('raise');
  });
});

describe('state', () => {
  it('matches a discrete value, and notEquals its opposite', () => {
    const e = evaluation({ condition: { kind: 'state', metric: 'status', equals: 'fault' } });
    expect(e.point('status', 'moving')).toBeUndefined();
    expect(e.point('status', 'fault')).toBe('raise');
    expect(e.point('status', 'idle')).toBe('clear');
    const n = evaluation({ condition: { kind: 'state', metric: 'running', notEquals: true } });
    expect(n.point('running', true)).toBeUndefined();
    expect(n.point('running', false)).toBe('raise');
  });
});

describe('stale / no data', () => {
  it('raises when a metric is silent longer than maxAgeSec, from the start too, and returns on the next reading', () => {
    const e = evaluation({ condition: { kind: 'stale', metric: 'level', maxAgeSec: 60 } });
    expect(e.tick(60_000)).toBeUndefined();
    expect(e.tick(60_001)).toBe('raise'); // never heard since the rule started
    expect(e.point('level', 50, 61_000)).toBe('clear');
    expect(e.point('other', 1, 100_000)).toBeUndefined(); // another metric does not count
    expect(e.tick(121_001)).toBe('raise');
  });

  it('without a metric any reading counts', () => {
    const e = evaluation({ condition: { kind: 'stale', maxAgeSec: 10 } });
    e.point('a', 1, 5_000);
    expect(e.tick(14_000)).toBeUndefined();
    e.point('b', 1, 14_000);
    expect(e.tick(24_001)).toBe('raise');
  });
});

describe('offline', () => {
  it('follows the device online state, with an on-delay against short drops', () => {
    const e = evaluation({ condition: { kind: 'offline' }, onDelaySec: 60 });
    expect(e.online(false, 0)).toBeUndefined();
    expect(e.online(true, 30_000)).toBeUndefined();
    expect(e.tick(90_000)).toBeUndefined();
    expect(e.online(false, 100_000)).toBeUndefined();
    expect(e.tick(160_000)).toBe('raise');
    expect(e.online(true, 170_000)).toBe('clear');
  });
});

describe('event patterns', () => {
  it('door forced: raised by the event, returned by the door closing', () => {
    const e = evaluation({ condition: { kind: 'event', raise: ['door.forced'], clear: ['door.closed'] } });
    expect(e.event('door.granted')).toBeUndefined();
    expect(e.event('door.forced')).toBe('raise');
    expect(e.event('door.forced')).toBeUndefined();
    expect(e.event('door.closed')).toBe('clear');
  });

  it('tamper with auto-clear, and a data match', () => {
    const e = evaluation({ condition: { kind: 'event', raise: ['sensor.alarm'], match: { type: 'smoke' }, autoClearSec: 30 } });
    expect(e.event('sensor.alarm', 0, { type: 'leak' })).toBeUndefined();
    expect(e.event('sensor.alarm', 1_000, { type: 'smoke' })).toBe('raise');
    expect(e.tick(30_999)).toBeUndefined();
    expect(e.tick(31_000)).toBe('clear');
  });

  it('door held open longer than N s (timer from door.opened), and the controller’s own held-open event', () => {
    const e = evaluation({ condition: { kind: 'heldOpen', seconds: 30 } });
    e.event('door.opened', 0);
    expect(e.tick(29_999)).toBeUndefined();
    expect(e.event('door.closed', 29_999)).toBeUndefined();
    e.event('door.opened', 40_000);
    expect(e.tick(70_000)).toBe('raise');
    expect(e.event('door.closed', 75_000)).toBe('clear');
    expect(e.event('door.heldOpen', 80_000)).toBe('raise');
  });

  it('N denied swipes in M minutes at one door', () => {
    const e = evaluation({ condition: { kind: 'count', event: 'door.denied', count: 3, withinSec: 60 } });
    expect(e.event('door.denied', 0)).toBeUndefined();
    expect(e.event('door.denied', 30_000)).toBeUndefined();
    expect(e.event('door.denied', 70_000)).toBeUndefined(); // the first fell out of the window
    expect(e.event('door.granted', 71_000)).toBeUndefined();
    expect(e.event('door.denied', 80_000)).toBe('raise'); // 30 s, 70 s, 80 s
    expect(e.tick(90_000)).toBeUndefined();
    expect(e.tick(90_001)).toBe('clear'); // 30 s + 60 s: the window holds two now
  });

  it('motion counts only while the zone is armed by schedule', () => {
    // 2026-11-27 is a Friday; 13:30 UTC is 21:30 in UTC+8, 14:30 UTC is 22:30.
    const evening = Date.UTC(2026, 10, 27, 13, 30);
    const e = evaluation({ condition: { kind: 'armedEvent', raise: ['camera.motionStart'], clear: ['camera.motionStop'], schedule: { utcOffsetMin: 480, windows: [{ days: [5], from: '22:00', to: '06:00' }] }, autoClearSec: 60 } }, evening);
    expect(e.event('camera.motionStart', 0)).toBeUndefined(); // 21:30: disarmed
    expect(e.event('camera.motionStart', 3_600_000)).toBe('raise'); // 22:30: armed
    expect(e.event('camera.motionStop', 3_610_000)).toBe('clear');
    expect(e.event('camera.motionStart', 3_700_000)).toBe('raise');
    expect(e.tick(3_760_000)).toBe('clear'); // auto-clear after 60 s without a stop
  });

  it('an overnight schedule arms the listed evening and the next morning only', () => {
    const schedule = { utcOffsetMin: 480, windows: [{ days: [5], from: '22:00', to: '06:00' }] };
    const local = (d: number, h: number, m = 0) => Date.UTC(2026, 10, d, h, m) - 480 * 60_000;
    expect(isArmed(schedule, local(27, 22, 0))).toBe(true); // Friday 22:00
    expect(isArmed(schedule, local(28, 5, 59))).toBe(true); // Saturday 05:59
    expect(isArmed(schedule, local(28, 6, 0))).toBe(false);
    expect(isArmed(schedule, local(28, 23, 0))).toBe(false); // Saturday evening is not listed
    expect(isArmed(schedule, local(27, 3, 0))).toBe(false); // Friday morning belongs to Thursday night
    expect(isArmed({ utcOffsetMin: 480, windows: [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00' }] }, local(27, 12))).toBe(true);
  });
});

describe('combinations', () => {
  const running = { kind: 'state', metric: 'running', equals: true };
  const lowPressure = { kind: 'threshold', metric: 'pressure', op: '<', value: 300, deadband: 50 };

  it('all: every condition must hold', () => {
    const e = evaluation({ condition: { kind: 'all', conditions: [running, lowPressure] } });
    expect(e.point('pressure', 100)).toBeUndefined(); // pump stopped: low pressure is normal
    expect(e.point('running', true)).toBe('raise');
    expect(e.point('pressure', 340)).toBeUndefined(); // within the deadband
    expect(e.point('pressure', 360)).toBe('clear');
    expect(e.point('pressure', 100)).toBe('raise');
    expect(e.point('running', false)).toBe('clear');
  });

  it('any: one is enough', () => {
    const e = evaluation({ condition: { kind: 'any', conditions: [{ kind: 'event', raise: ['door.tamper'], clear: ['door.closed'] }, { kind: 'offline' }] } });
    expect(e.online(false)).toBe('raise');
    expect(e.event('door.tamper')).toBeUndefined();
    expect(e.online(true)).toBeUndefined();
    expect(e.event('door.closed')).toBe('clear');
  });
});

describe('state recovery', () => {
  it('a restored state resumes a pending on-delay and a held-open timer', () => {
    const def = ruleDefinitionSchema.parse({ condition: { kind: 'heldOpen', seconds: 30 }, onDelaySec: 5 });
    const first = new RuleEvaluation(def, initialState(def, 0));
    first.onEvent({ kind: 'door.opened' }, 1_000);
    expect(first.dirty).toBe(true);
    const saved = JSON.parse(JSON.stringify(first.state)) as unknown;
    const second = new RuleEvaluation(def, restoreState(def, saved, 20_000));
    expect(second.tick(31_000)).toBeUndefined(); // condition true now, on-delay 5 s
    expect(second.tick(36_000)).toMatchObject({ type: 'raise' });
  });

  it('a state of another shape (the rule changed) starts afresh; staleness restarts from the restore', () => {
    const def = ruleDefinitionSchema.parse({ condition: { kind: 'stale', maxAgeSec: 10 } });
    expect(restoreState(def, { leaves: [{ on: true }, { on: false }], raw: true, active: true }, 5).leaves).toEqual([{ on: false, lastAt: 5 }]);
    const restored = restoreState(def, { leaves: [{ on: false, lastAt: 1 }], raw: false, active: false, dueAt: null, trigger: null }, 100_000);
    expect(new RuleEvaluation(def, restored).tick(105_000)).toBeUndefined();
  });
});

describe('rule validation', () => {
  it('names what is wrong', () => {
    const bad = ruleDefinitionSchema.safeParse({ condition: { kind: 'threshold', metric: 'x', op: '!=', value: 'hot' }, onDelaySec: -1 });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['onDelaySec']));
    expect(ruleDefinitionSchema.safeParse({ condition: { kind: 'rate', metric: 'x' } }).error?.issues[0].message).toMatch(/risePerMin, fallPerMin/);
    expect(ruleDefinitionSchema.safeParse({ condition: { kind: 'all', conditions: [{ kind: 'offline' }] } }).success).toBe(false);
  });
});
