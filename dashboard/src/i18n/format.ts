import { type Locale } from './i18n-context.tsx';

/**
 * Locale-aware formatting of times and readings, on the platform's Intl (no library).
 * Formatters are cached: building Intl objects is the expensive part.
 */
const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>();

function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>(key: string, make: () => T): T {
  let formatter = cache.get(key);
  if (!formatter) {
    formatter = make();
    cache.set(key, formatter);
  }
  return formatter as T;
}

export function formatNumber(locale: Locale, value: number): string {
  // Readings: keep up to 2 decimals; large counters (meters) still readable.
  return cached(`n:${locale}`, () => new Intl.NumberFormat(locale, { maximumFractionDigits: 2 })).format(value);
}

export function formatTime(locale: Locale, iso: string | number): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return cached(`t:${locale}`, () => new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' })).format(date);
}

export function formatClock(locale: Locale, iso: string | number): string {
  const date = new Date(iso);
  return cached(`c:${locale}`, () => new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' })).format(date);
}

export function formatDateTime(locale: Locale, iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return cached(`dt:${locale}`, () => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' })).format(date);
}

const steps: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', Number.POSITIVE_INFINITY],
];

/** "3 minutes ago" / "3分钟前"; `now` is passed in so a list renders against one clock. */
export function formatRelative(locale: Locale, iso: string, now: number): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  let amount = (then - now) / 1000;
  const rtf = cached(`r:${locale}`, () => new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' }));
  for (const [unit, size] of steps) {
    // Round before comparing, so 59.6 s reads "1 min ago", not "60 sec ago".
    if (Math.abs(Math.round(amount)) < size) return rtf.format(Math.round(amount), unit);
    amount /= size;
  }
  return formatDateTime(locale, iso);
}
