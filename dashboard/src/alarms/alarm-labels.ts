import { type AlarmCategory, type AlarmPriority, type AlarmState, type ShiftLogKind } from '../api/hub-api.ts';
import { type MessageKey } from '../i18n/en.ts';
import { formatRelative } from '../i18n/format.ts';
import { isMessageKey, type Locale, type Translate } from '../i18n/i18n-context.tsx';

/** Words for the alarm vocabulary; raw codes fall through unchanged when a newer hub sends one we do not know. */

export const priorityLabel: Record<AlarmPriority, MessageKey> = {
  critical: 'alarms.priority.critical',
  high: 'alarms.priority.high',
  medium: 'alarms.priority.medium',
  low: 'alarms.priority.low',
};

export const stateLabel: Record<AlarmState, MessageKey> = {
  unack: 'alarms.state.unack',
  acked: 'alarms.state.acked',
  rtn_unack: 'alarms.state.rtn_unack',
  normal: 'alarms.state.normal',
};

export const categoryLabel: Record<AlarmCategory, MessageKey> = {
  maintenance: 'alarms.category.maintenance',
  security: 'alarms.category.security',
};

export const shiftLogKindLabel: Record<ShiftLogKind, MessageKey> = {
  note: 'shiftLog.kind.note',
  handover: 'shiftLog.kind.handover',
  patrol: 'shiftLog.kind.patrol',
};

/**
 * Disposition codes offered on acknowledgement: what the operator found. Exactly the
 * hub's list (dispositionCodes in hub/src/alarms/lifecycle.ts), which refuses any other.
 */
export const dispositions = ['real-fault', 'false-alarm', 'nuisance', 'test', 'duplicate', 'other'] as const;
export type Disposition = (typeof dispositions)[number];

export const dispositionLabel: Record<Disposition, MessageKey> = {
  'real-fault': 'alarms.disposition.realFault',
  'false-alarm': 'alarms.disposition.falseAlarm',
  nuisance: 'alarms.disposition.nuisance',
  test: 'alarms.disposition.test',
  duplicate: 'alarms.disposition.duplicate',
  other: 'alarms.disposition.other',
};

/** Codes stored before the hub fixed its list: still named in alarm histories. */
const legacyDispositionLabel: Record<string, MessageKey> = {
  investigating: 'alarms.disposition.investigating',
  dispatched: 'alarms.disposition.dispatched',
  'resolved-on-site': 'alarms.disposition.resolvedOnSite',
  'maintenance-required': 'alarms.disposition.maintenanceRequired',
};

export function dispositionText(t: Translate, code: string): string {
  if ((dispositions as readonly string[]).includes(code)) return t(dispositionLabel[code as Disposition]);
  return legacyDispositionLabel[code] ? t(legacyDispositionLabel[code]) : code;
}

/** Shelve durations offered, in minutes (the hub allows 1 to 1440). */
export const shelveDurations = [15, 30, 60, 120, 240, 480, 720, 1440] as const;

export function durationText(t: Translate, minutes: number): string {
  return minutes < 60 ? t('alarms.shelve.minutes', { n: minutes }) : t('alarms.shelve.hours', { n: minutes / 60 });
}

const transitionKeys: Record<string, MessageKey> = {
  activate: 'alarms.action.activate',
  clear: 'alarms.action.clear',
  ack: 'alarms.action.ack',
  shelve: 'alarms.action.shelve',
  unshelve: 'alarms.action.unshelve',
  comment: 'alarms.action.comment',
  realarm: 'alarms.action.realarm',
  escalate: 'alarms.action.escalate',
  'out-of-service': 'alarms.action.outOfService',
  'return-to-service': 'alarms.action.returnToService',
  'activate-silent': 'alarms.action.activateSilent',
  'clear-silent': 'alarms.action.clearSilent',
};

export function transitionText(t: Translate, action: string): string {
  const key = transitionKeys[action];
  return key ? t(key) : action;
}

export function workOrderStatusText(t: Translate, status: string): string {
  const key = `alarms.woStatus.${status}`;
  return isMessageKey(key) ? t(key) : status;
}

/**
 * "3 min ago", never "in 1 sec": the page's clock ticks every few seconds and may run a
 * little behind the hub's, so a time just stamped by the hub is shown as now.
 */
export function formatAge(locale: Locale, iso: string, now: number): string {
  const then = Date.parse(iso);
  return formatRelative(locale, iso, Number.isNaN(then) ? now : Math.max(now, then));
}
