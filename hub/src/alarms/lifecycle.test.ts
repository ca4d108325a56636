import { describe, expect, it } from 'vitest';
import { alarmStates, transition, type AlarmState, type LifecycleAction } from './lifecycle.js';

describe('ISA-18.2 state machine', () => {
  const cases: [AlarmState, LifecycleAction, AlarmState | undefined, string | undefined][] = [
    ['normal', 'activate', 'unack', 'open'],
    ['normal', 'clear', undefined, undefined],
    ['normal', 'ack', undefined, undefined],
    ['unack', 'activate', undefined, undefined],
    ['unack', 'clear', 'rtn_unack', 'keep'],
    ['unack', 'ack', 'acked', 'keep'],
    ['acked', 'activate', undefined, undefined],
    ['acked', 'clear', 'normal', 'end'],
    ['acked', 'ack', undefined, undefined],
    ['rtn_unack', 'activate', 'unack', 'keep'],
    ['rtn_unack', 'clear', undefined, undefined],
    ['rtn_unack', 'ack', 'normal', 'end'],
  ];

  it.each(cases)('%s --%s--> %s (episode %s)', (from, action, to, episode) => {
    const t = transition(from, action);
    expect(t?.to).toBe(to);
    expect(t?.episode).toBe(episode);
  });

  it('covers every state and action', () => {
    expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(alarmStates));
    expect(cases).toHaveLength(alarmStates.length * 3);
  });
});
