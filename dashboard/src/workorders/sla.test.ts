import { describe, expect, it } from 'vitest';
import { formatCountdown } from '../i18n/format.ts';
import { isBreached, secondsUntil, slaState } from './sla.ts';
import { at, workOrder } from './work-order.fixture.ts';

describe('SLA clocks', () => {
  it('runs the accept-by clock until the work order is accepted', () => {
    const state = slaState(workOrder({ status: 'assigned' }), at('2026-05-01T12:01:00.000Z'));
    expect(state).toEqual({ kind: 'running', phase: 'accept', dueAt: at('2026-05-01T12:05:00.000Z'), remainingSec: 240, breached: false });
    expect(slaState(workOrder({ status: 'open', assignee: null }), at('2026-05-01T12:01:00.000Z'))).toMatchObject({ phase: 'accept' });
  });

  it('switches to the resolve-by clock once accepted, also while in progress or on hold', () => {
    for (const status of ['accepted', 'in_progress', 'on_hold'] as const) {
      const state = slaState(workOrder({ status, acceptedAt: '2026-05-01T12:02:00.000Z' }), at('2026-05-01T13:00:00.000Z'));
      expect(state).toMatchObject({ kind: 'running', phase: 'resolve', remainingSec: 3 * 3600, breached: false });
    }
  });

  it('rounds time left up and overdue time down, and is breached from the due instant', () => {
    const due = at('2026-05-01T12:05:00.000Z');
    expect(secondsUntil(due, due - 1)).toEqual({ remainingSec: 1, breached: false });
    expect(secondsUntil(due, due - 1000)).toEqual({ remainingSec: 1, breached: false });
    expect(secondsUntil(due, due - 1001)).toEqual({ remainingSec: 2, breached: false });
    expect(secondsUntil(due, due)).toEqual({ remainingSec: 0, breached: true });
    expect(secondsUntil(due, due + 999)).toEqual({ remainingSec: 0, breached: true });
    expect(secondsUntil(due, due + 61_500)).toEqual({ remainingSec: -61, breached: true });
  });

  it('counts as breached when the hub flagged it even if this clock says otherwise', () => {
    const wo = workOrder({ status: 'assigned', acceptBreachedAt: '2026-05-01T12:05:00.000Z' });
    expect(slaState(wo, at('2026-05-01T12:04:00.000Z'))).toMatchObject({ phase: 'accept', remainingSec: 60, breached: true });
  });

  it('judges finished work by when it was resolved, and cancelled work not at all', () => {
    const late = workOrder({ status: 'closed', resolvedAt: '2026-05-01T16:00:01.000Z' });
    const onTime = workOrder({ status: 'resolved', resolvedAt: '2026-05-01T15:59:59.000Z' });
    expect(slaState(late, at('2026-05-02T00:00:00.000Z'))).toEqual({ kind: 'finished', outcome: 'breached', dueAt: at('2026-05-01T16:00:00.000Z') });
    expect(slaState(onTime, at('2026-05-02T00:00:00.000Z'))).toMatchObject({ kind: 'finished', outcome: 'met' });
    expect(slaState(workOrder({ status: 'cancelled' }), at('2026-05-02T00:00:00.000Z'))).toEqual({ kind: 'none' });
    expect(isBreached(late, 0)).toBe(true);
    expect(isBreached(onTime, 0)).toBe(false);
  });
});

describe('countdown text', () => {
  it('reads like a clock, with hours only when needed and days in words', () => {
    expect(formatCountdown('en', 0)).toBe('00:00');
    expect(formatCountdown('en', 59)).toBe('00:59');
    expect(formatCountdown('en', 299)).toBe('04:59');
    expect(formatCountdown('en', 3 * 3600 + 4 * 60 + 5)).toBe('3:04:05');
    expect(formatCountdown('en', 2 * 86_400 + 3600 + 5)).toBe('2 days 01:00:05');
    expect(formatCountdown('zh-CN', 2 * 86_400 + 3600 + 5)).toBe('2天 01:00:05');
  });

  it('shows the magnitude of overdue time', () => {
    expect(formatCountdown('en', -61)).toBe('01:01');
  });
});
