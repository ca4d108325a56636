import { type WorkOrderKind, type WorkOrderPriority, type WorkOrderStatus } from '../api/hub-api.ts';
import { isMessageKey, type Translate } from '../i18n/i18n-context.tsx';
import { type Unsuitable } from './staff-choice.ts';

/** Words for the work-order vocabulary; anything the hub adds later shows as sent. */

export function statusLabel(t: Translate, status: WorkOrderStatus): string {
  return t(`wo.status.${status}`);
}

export function priorityLabel(t: Translate, priority: WorkOrderPriority): string {
  return t(`wo.priority.${priority}`);
}

export function kindLabel(t: Translate, kind: WorkOrderKind): string {
  return t(`wo.kind.${kind}`);
}

/** Trades are open-ended strings ("plumbing", "lift"…). */
export function tradeLabel(t: Translate, trade: string): string {
  const key = `wo.trade.${trade}`;
  return isMessageKey(key) ? t(key) : trade;
}

/** Timeline entries: lifecycle actions plus 'create', 'escalate', 'dispatch.none'. */
export function eventLabel(t: Translate, action: string): string {
  const key = `wo.event.${action}`;
  return isMessageKey(key) ? t(key) : action;
}

export function unsuitableLabel(t: Translate, reason: Unsuitable): string {
  return t(`wo.unsuitable.${reason}`);
}

/**
 * The hub words its warnings in English for logs and API users; the one it gives today
 * (resolving while the alarm is still active) is shown in the user's language.
 */
export function warningText(t: Translate, warning: string): string {
  if (/still (active|abnormal)/i.test(warning)) return t('wo.warning.stillAbnormal');
  return warning;
}

