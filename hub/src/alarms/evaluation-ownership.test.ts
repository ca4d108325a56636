import { describe, expect, it } from 'vitest';
import { ownerAmong } from './evaluation-ownership.js';
import { initialState, RuleEvaluation } from './evaluation.js';
import { ruleDefinitionSchema } from './rule-schema.js';

const devices = Array.from({ length: 3000 }, (_, i) => i + 1);

describe('device ownership among live hubs (rendezvous hashing)', () => {
  it('names one owner per device, the same whatever order the hubs are listed in', () => {
    for (const d of devices.slice(0, 200)) {
      const owner = ownerAmong(['hub-a', 'hub-b', 'hub-c'], d);
      expect(['hub-a', 'hub-b', 'hub-c']).toContain(owner);
      expect(ownerAmong(['hub-c', 'hub-a', 'hub-b'], d)).toBe(owner);
    }
    expect(ownerAmong([], 1)).toBeUndefined();
  });

  it('spreads devices over the hubs', () => {
    const perHub = new Map<string, number>();
    for (const d of devices) {
      const owner = ownerAmong(['hub-a', 'hub-b', 'hub-c'], d)!;
      perHub.set(owner, (perHub.get(owner) ?? 0) + 1);
    }
    for (const n of perHub.values()) expect(n).toBeGreaterThan(devices.length / 3 / 1.3);
  });

  it('moves only the devices a joining hub wins, and only a leaving hub’s devices', () => {
    for (const d of devices) {
      const before = ownerAmong(['hub-a', 'hub-b'], d)!;
      const joined = ownerAmong(['hub-a', 'hub-b', 'hub-c'], d)!;
      if (joined !== before) expect(joined).toBe('hub-c');
      const left = ownerAmong(['hub-b', 'hub-c'], d)!;
      if (joined !== 'hub-a') expect(left).toBe(joined);
    }
  });
});

describe('held-open doors whose events arrive out of order', () => {
  const definition = ruleDefinitionSchema.parse({ condition: { kind: 'heldOpen', seconds: 10 } });

  it('does not start the timer on an "opened" older than the "closed" already applied', () => {
    const e = new RuleEvaluation(definition, initialState(definition, 0));
    expect(e.onEvent({ kind: 'door.closed', ts: 2_000 }, 2_010)).toBeUndefined();
    expect(e.onEvent({ kind: 'door.opened', ts: 1_000 }, 2_020)).toBeUndefined();
    expect(e.tick(60_000)).toBeUndefined();
    expect(e.state.active).toBe(false);
  });

  it('still raises for a door opened after it was last closed', () => {
    const e = new RuleEvaluation(definition, initialState(definition, 0));
    e.onEvent({ kind: 'door.closed', ts: 2_000 }, 2_010);
    e.onEvent({ kind: 'door.opened', ts: 3_000 }, 3_010);
    expect(e.tick(13_010)).toMatchObject({ type: 'raise' });
  });
});
