import { type Locale, type Translate } from '../i18n/i18n-context.tsx';
import { arrearsActionKinds, readingFlags, type ArrearsActionKind, type ArrearsWarning, type PaymentMethod } from './billing-api.ts';

/** Words and dates for the billing vocabulary. Unknown codes (a newer hub) show as they are. */

const ledgerKinds = ['charge', 'late_fee', 'payment', 'credit', 'credit_applied', 'refund', 'adjustment', 'reversal'] as const;

export function ledgerKindLabel(t: Translate, kind: string): string {
  return (ledgerKinds as readonly string[]).includes(kind) ? t(`billing.ledger.${kind as (typeof ledgerKinds)[number]}`) : kind;
}

export function methodLabel(t: Translate, method: PaymentMethod): string {
  return t(`billing.method.${method}`);
}

export function flagLabel(t: Translate, flag: string): string {
  return (readingFlags as readonly string[]).includes(flag) ? t(`billing.flag.${flag as (typeof readingFlags)[number]}`) : flag;
}

export function actionLabel(t: Translate, action: ArrearsActionKind | string): string {
  return (arrearsActionKinds as readonly string[]).includes(action) ? t(`billing.action.${action as ArrearsActionKind}`) : action;
}

const warningReasons = ['amount', 'age', 'amount_and_age'] as const;

export function warningReasonLabel(t: Translate, reason: ArrearsWarning['reason']): string {
  return (warningReasons as readonly string[]).includes(reason) ? t(`billing.warning.reason.${reason as (typeof warningReasons)[number]}`) : reason;
}

const dateFormats = new Map<Locale, Intl.DateTimeFormat>();

/**
 * A calendar date ('YYYY-MM-DD', as the hub writes due dates) in the page's language.
 * Read as a local date: `new Date('2026-10-16')` would be UTC midnight, the day before
 * west of Greenwich.
 */
export function formatDate(locale: Locale, iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  let format = dateFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
    dateFormats.set(locale, format);
  }
  return format.format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}
