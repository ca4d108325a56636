/** A door's behaviour, driven with fake timers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimulatedDoor, type DoorEvent, type DoorState } from './simulated-door.js';

const timing = { accessMs: 5_000, openTooLongMs: 10_000, walkUpMs: 1_000, passageMs: 3_000 };
const resident = { credential: 'CRED-1001', name: 'Resident 1001' };

let events: DoorEvent[];
let door: SimulatedDoor;

/** The state changes as "field=value" strings, in order. */
const changes = (): string[] =>
  events.flatMap((e) => (e.kind === 'state' ? [`${e.field}=${e.state[e.field as keyof DoorState]}`] : [e.kind]));

beforeEach(() => {
  vi.useFakeTimers();
  events = [];
  door = new SimulatedDoor('Door_1', 'Front door', timing, (e) => events.push(e));
});

afterEach(() => {
  door.dispose();
  vi.useRealTimers();
});

describe('simulated door', () => {
  it('lets a granted card through: unlock, open, shut, relock — no alarm', () => {
    door.swipe(resident, true);
    vi.advanceTimersByTime(1_000);
    expect(door.state).toMatchObject({ physical: 'Open', lock: 'Unlocked', mode: 'Accessed', alarm: 'Normal' });
    vi.advanceTimersByTime(3_000);
    expect(door.state.physical).toBe('Closed');
    vi.advanceTimersByTime(1_000);
    expect(door.state).toEqual({ physical: 'Closed', lock: 'Locked', mode: 'Locked', alarm: 'Normal', tamper: 'NotInTamper' });
    expect(changes()).toEqual(['accessGranted', 'lock=Unlocked', 'mode=Accessed', 'physical=Open', 'physical=Closed', 'lock=Locked', 'mode=Locked']);
  });

  it('reports a refused card without touching the lock', () => {
    door.swipe(resident, false, { reason: 'NotPermittedAtThisTime' });
    expect(events).toEqual([{ kind: 'accessDenied', cardholder: resident, reason: 'NotPermittedAtThisTime' }]);
    expect(door.state.lock).toBe('Locked');
  });

  it('raises DoorForcedOpen when opened while locked, until it shuts', () => {
    door.force(8_000);
    expect(door.state).toMatchObject({ physical: 'Open', lock: 'Locked', alarm: 'DoorForcedOpen' });
    vi.advanceTimersByTime(8_000);
    expect(door.state).toMatchObject({ physical: 'Closed', alarm: 'Normal' });
    expect(changes()).toEqual(['physical=Open', 'alarm=DoorForcedOpen', 'physical=Closed', 'alarm=Normal']);
  });

  it('raises DoorOpenTooLong when an access is held open past OpenTooLongTime, and relocks once shut', () => {
    door.swipe(resident, true, { holdOpenMs: 15_000 });
    vi.advanceTimersByTime(1_000 + 9_999);
    expect(door.state.alarm).toBe('Normal');
    vi.advanceTimersByTime(1);
    expect(door.state).toMatchObject({ physical: 'Open', alarm: 'DoorOpenTooLong' });
    vi.advanceTimersByTime(5_000);
    expect(door.state).toEqual({ physical: 'Closed', lock: 'Locked', mode: 'Locked', alarm: 'Normal', tamper: 'NotInTamper' });
  });

  it('honours AccessDoor timing overrides', () => {
    door.access(1_000, 2_000);
    door.open();
    vi.advanceTimersByTime(2_000);
    expect(door.state.alarm).toBe('DoorOpenTooLong');
    door.close();
    expect(door.state).toMatchObject({ lock: 'Locked', mode: 'Locked', alarm: 'Normal' });
  });

  it('stays unlocked for free passage without alarms, and locks only once shut', () => {
    door.unlock();
    door.open();
    vi.advanceTimersByTime(60_000);
    expect(door.state).toMatchObject({ physical: 'Open', lock: 'Unlocked', mode: 'Unlocked', alarm: 'Normal' });
    door.lock();
    expect(door.state).toMatchObject({ lock: 'Unlocked', mode: 'Locked' });
    door.close();
    expect(door.state).toMatchObject({ physical: 'Closed', lock: 'Locked', mode: 'Locked', alarm: 'Normal' });
  });

  it('reports tamper and its end', () => {
    door.setTamper(true);
    door.setTamper(true);
    door.setTamper(false);
    expect(changes()).toEqual(['tamper=TamperDetected', 'tamper=NotInTamper']);
  });
});
