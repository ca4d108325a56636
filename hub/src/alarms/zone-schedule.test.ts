import { describe, expect, it } from 'vitest';
import { initialState, RuleEvaluation } from './evaluation.js';
import { ruleDefinitionSchema, ruleInputSchema, type ArmingSchedule } from './rule-schema.js';

/** armedEvent with `zoneSchedule: true`: the zone's stored schedule, asked at each event, decides. */
describe('motion while the zone is armed by its stored schedule', () => {
  const definition = ruleDefinitionSchema.parse({
    condition: { kind: 'armedEvent', raise: ['camera.motionStart'], clear: ['camera.motionStop'], zoneSchedule: true, autoClearSec: 60 },
  });
  // 2026-11-27 is a Friday; 13:30 UTC is 21:30 in UTC+8.
  const evening = Date.UTC(2026, 10, 27, 13, 30);
  const nights: ArmingSchedule = { utcOffsetMin: 480, windows: [{ days: [5], from: '22:00', to: '06:00' }] };

  const withZone = () => {
    let schedule: ArmingSchedule | undefined;
    let asked = 0;
    const ev = new RuleEvaluation(definition, initialState(definition, evening), {
      zoneSchedule: () => {
        asked += 1;
        return schedule;
      },
    });
    return { ev, set: (s: ArmingSchedule | undefined) => (schedule = s), asked: () => asked };
  };

  it('follows the schedule of the moment: none, then disarmed, then armed', () => {
    const z = withZone();
    expect(z.ev.onEvent({ kind: 'camera.motionStart' }, evening + 3_600_000)).toBeUndefined(); // 22:30 but the zone has no schedule
    z.set(nights);
    expect(z.ev.onEvent({ kind: 'camera.motionStart' }, evening)).toBeUndefined(); // 21:30: disarmed
    expect(z.ev.onEvent({ kind: 'camera.motionStart' }, evening + 3_600_000)).toEqual({ type: 'raise', at: evening + 3_600_000, trigger: { event: 'camera.motionStart', at: evening + 3_600_000 } });
    expect(z.ev.onEvent({ kind: 'camera.motionStop' }, evening + 3_610_000)?.type).toBe('clear');
    expect(z.asked()).toBe(3); // a stop clears whatever the schedule
  });

  it('asks nothing of the zone for a rule with its own schedule, and never arms without a context', () => {
    const own = ruleDefinitionSchema.parse({ condition: { kind: 'armedEvent', raise: ['camera.motionStart'], schedule: nights } });
    let asked = 0;
    const ev = new RuleEvaluation(own, initialState(own, evening), { zoneSchedule: () => (asked++, undefined) });
    expect(ev.onEvent({ kind: 'camera.motionStart' }, evening + 3_600_000)?.type).toBe('raise');
    expect(asked).toBe(0);
    const bare = new RuleEvaluation(definition, initialState(definition, evening));
    expect(bare.onEvent({ kind: 'camera.motionStart' }, evening + 3_600_000)).toBeUndefined();
  });

  it('takes either a schedule or zoneSchedule: true, never both or neither', () => {
    const rule = (condition: unknown) => ruleInputSchema.safeParse({ name: 'm', scope: { type: 'deviceType', id: 'camera' }, priority: 'high', category: 'security', definition: { condition } });
    const base = { kind: 'armedEvent', raise: ['camera.motionStart'] };
    expect(rule({ ...base, zoneSchedule: true }).success).toBe(true);
    expect(rule({ ...base, schedule: nights }).success).toBe(true);
    const issues = (condition: unknown) => rule(condition).error?.issues.map((i) => [i.path.join('.'), i.message]);
    const either = [['definition.condition.schedule', 'give either a schedule or zoneSchedule: true']];
    expect(issues(base)).toEqual(either);
    expect(issues({ ...base, schedule: nights, zoneSchedule: true })).toEqual(either);
    expect(issues({ ...base, zoneSchedule: false })).toEqual([['definition.condition', 'Invalid input']]);
  });
});
