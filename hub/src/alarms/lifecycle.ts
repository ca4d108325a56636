/**
 * The ISA-18.2 alarm state machine, as a pure function. The process side moves an
 * alarm on activation and clearing; the operator side on acknowledgement:
 *
 *   normal ──activate──▶ unack ──ack──▶ acked ──clear──▶ normal
 *                          │  ▲                ▲
 *                       clear  activate        │
 *                          ▼  │                │
 *                        rtn_unack ───ack──────┘
 *
 * An episode opens with the first activation from normal and ends when the alarm
 * is back to normal. Shelving, suppression by design and out-of-service are flags
 * kept beside the state, handled by the alarm service.
 */

export const alarmStates = ['normal', 'unack', 'acked', 'rtn_unack'] as const;
export type AlarmState = (typeof alarmStates)[number];
export type LifecycleAction = 'activate' | 'clear' | 'ack';

export interface Transition {
  to: AlarmState;
  /** open: a new episode starts; end: the current one ends; keep: it goes on. */
  episode: 'open' | 'end' | 'keep';
}

const table: Record<LifecycleAction, Partial<Record<AlarmState, Transition>>> = {
  activate: {
    normal: { to: 'unack', episode: 'open' },
    rtn_unack: { to: 'unack', episode: 'keep' },
  },
  clear: {
    unack: { to: 'rtn_unack', episode: 'keep' },
    acked: { to: 'normal', episode: 'end' },
  },
  ack: {
    unack: { to: 'acked', episode: 'keep' },
    rtn_unack: { to: 'normal', episode: 'end' },
  },
};

/** The transition, or undefined when the action changes nothing in this state. */
export function transition(state: AlarmState, action: LifecycleAction): Transition | undefined {
  return table[action][state];
}

/** Whether the alarm still needs someone: active or unacknowledged. */
export function isStanding(state: AlarmState): boolean {
  return state !== 'normal';
}

/**
 * What the operator found, given on acknowledgement (ISA-18.2 §16 / EEMUA 191 alarm
 * performance review: the disposition of each alarm is what tells a real alarm from
 * a bad one). The codes are the contract with the dashboard's acknowledge dialog:
 * - real-fault: the condition is real and needs (or got) action;
 * - false-alarm: no such condition (a failed sensor, wrong wiring, bad logic);
 * - nuisance: real but needless (chattering, a set point too tight, an expected state);
 * - test: testing or commissioning;
 * - duplicate: the same cause is already being handled through another alarm;
 * - other: none of these; a note saying what is required.
 * False alarms and nuisance alarms are the "bad actors" the KPIs count.
 */
export const dispositionCodes = ['real-fault', 'false-alarm', 'nuisance', 'test', 'duplicate', 'other'] as const;
export type DispositionCode = (typeof dispositionCodes)[number];
