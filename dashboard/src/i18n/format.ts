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

// Durations and shares (work orders, KPIs).

function unitFormat(locale: Locale, unit: 'day' | 'hour' | 'minute' | 'second', value: number): string {
  return cached(`u:${unit}:${locale}`, () => new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 0 })).format(value);
}

/** A span of time such as MTTR: the two largest units that matter ("1 hr 5 min", "1小时 5分钟", "42 sec"). */
export function formatDuration(locale: Locale, seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const parts: Array<['day' | 'hour' | 'minute' | 'second', number]> = [
    ['day', Math.floor(total / 86_400)],
    ['hour', Math.floor((total % 86_400) / 3_600)],
    ['minute', Math.floor((total % 3_600) / 60)],
    ['second', total % 60],
  ];
  const first = parts.findIndex(([, value]) => value > 0);
  if (first === -1) return unitFormat(locale, 'second', 0);
  return parts
    .slice(first, first + 2)
    .filter(([, value]) => value > 0)
    .map(([unit, value]) => unitFormat(locale, unit, value))
    .join(' ');
}

/**
 * A countdown that ticks each second, as a clock reads: "04:59", "1:04:59", "2 days 01:04:59".
 * Always the magnitude; the caller's words say whether it is time left or time overdue.
 */
export function formatCountdown(locale: Locale, seconds: number): string {
  const total = Math.max(0, Math.floor(Math.abs(seconds)));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const secs = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  const clock = hours > 0 || days > 0 ? `${days > 0 ? two(hours) : hours}:${two(minutes)}:${two(secs)}` : `${two(minutes)}:${two(secs)}`;
  return days > 0 ? `${unitFormat(locale, 'day', days)} ${clock}` : clock;
}

/** A share (0..1) as a percentage: 0.953 → "95.3%". */
export function formatPercent(locale: Locale, ratio: number): string {
  return cached(`p:${locale}`, () => new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 })).format(ratio);
}
