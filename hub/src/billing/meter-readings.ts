/**
 * The checks a meter's period reading goes through before it is billed (README.md,
 * "Reading checks"). Pure: register values in, consumption and flags out, so every rule
 * is unit-tested without a database.
 *
 * Register values and consumption are exact decimals with 3 places (numeric(14, 3)),
 * carried as strings and computed here as integers of thousandths (bigint): a float
 * would turn 1234.567 − 1234.560 into 0.006999….
 */

export const readingFlags = ['rollover', 'replaced', 'missing', 'estimated', 'negative', 'implausible'] as const;
export type ReadingFlag = (typeof readingFlags)[number];

/** How far consumption may exceed the usual before it looks like a leak or a misread. */
export const IMPLAUSIBLE_FACTOR = 10n;
/** Earlier periods averaged into the usual consumption, and how many it needs at least. */
export const USUAL_PERIODS = 6;
export const USUAL_MIN_PERIODS = 2;

const DECIMAL = /^(-)?(\d{1,15})(?:\.(\d+))?$/;

/** "12.5" at scale 3 → 12500n. Refuses more decimals than the scale (never rounds input). */
export function parseDecimal(text: string, scale: number): bigint {
  const m = DECIMAL.exec(text.trim());
  if (!m || (m[3] ?? '').length > scale) throw new RangeError(`not a decimal with at most ${scale} places: ${text}`);
  const value = BigInt(m[2]) * 10n ** BigInt(scale) + BigInt((m[3] ?? '').padEnd(scale, '0') || '0');
  return m[1] ? -value : value;
}

/** 12500n at scale 3 → "12.500" (the way PostgreSQL prints numeric(14, 3)). */
export function formatDecimal(value: bigint, scale: number): string {
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  const unit = 10n ** BigInt(scale);
  const whole = (abs / unit).toString();
  return scale === 0 ? `${sign}${whole}` : `${sign}${whole}.${(abs % unit).toString().padStart(scale, '0')}`;
}

/** n / d rounded half away from zero, like PostgreSQL's round() on numeric. */
function divRound(n: bigint, d: bigint): bigint {
  const negative = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (an * 2n + ad) / (ad * 2n);
  return negative ? -q : q;
}

const milli = (text: string) => parseDecimal(text, 3);
const show = (value: bigint) => formatDecimal(value, 3);

/** The mean of the given consumptions to 3 places, or null with fewer than USUAL_MIN_PERIODS. */
export function usualOf(history: readonly string[]): string | null {
  const recent = history.slice(0, USUAL_PERIODS);
  if (recent.length < USUAL_MIN_PERIODS) return null;
  return show(divRound(recent.reduce((sum, v) => sum + milli(v), 0n), BigInt(recent.length)));
}

export interface ReadingInput {
  /** Register at the period start (the last reading at or before it, if near enough), or null. */
  start: string | null;
  /** Register at the period end, likewise. */
  end: string | null;
  /** The register wraps to zero after this value; null if it never wraps. */
  rolloverAt: string | null;
  /** Consumption = register difference × multiplier (a current-transformer ratio); 4 places. */
  multiplier: string;
  /** Set when the meter was replaced during the period: `start` is the old register's, `end` the new one's. */
  replaced: { oldFinal: string; newInitial: string } | null;
  /** Consumption of earlier good periods (ok, confirmed, corrected), newest first. */
  history: readonly string[];
}

export interface ReadingAssessment {
  consumption: string | null;
  usual: string | null;
  source: 'telemetry' | 'estimated';
  flags: ReadingFlag[];
  status: 'ok' | 'flagged';
}

/** Applies the reading checks; any flag means a clerk confirms or corrects before billing. */
export function assessReading(input: ReadingInput): ReadingAssessment {
  const usual = usualOf(input.history);
  if (input.start === null || input.end === null) {
    // No register near a boundary: bill the usual consumption if there is one, flagged as an estimate.
    return { consumption: usual, usual, source: 'estimated', flags: usual === null ? ['missing'] : ['missing', 'estimated'], status: 'flagged' };
  }
  const flags: ReadingFlag[] = [];
  const start = milli(input.start);
  const end = milli(input.end);
  let registered: bigint;
  if (input.replaced) {
    flags.push('replaced');
    registered = milli(input.replaced.oldFinal) - start + (end - milli(input.replaced.newInitial));
  } else if (end >= start) {
    registered = end - start;
  } else if (input.rolloverAt !== null) {
    flags.push('rollover');
    registered = milli(input.rolloverAt) - start + end;
  } else {
    registered = end - start;
  }
  if (registered < 0n) flags.push('negative');
  const consumption = divRound(registered * parseDecimal(input.multiplier, 4), 10_000n);
  if (consumption >= 0n && usual !== null && milli(usual) > 0n && consumption > IMPLAUSIBLE_FACTOR * milli(usual)) flags.push('implausible');
  return { consumption: show(consumption), usual, source: 'telemetry', flags, status: flags.length ? 'flagged' : 'ok' };
}

/**
 * Consumption of a corrected reading: given outright, or end − start (× multiplier) of the
 * corrected register values. Null when it cannot be worked out or would be negative.
 */
export function correctedConsumption(values: { start: string | null; end: string | null; consumption?: string; multiplier: string }): string | null {
  if (values.consumption !== undefined) return milli(values.consumption) < 0n ? null : show(milli(values.consumption));
  if (values.start === null || values.end === null) return null;
  const registered = milli(values.end) - milli(values.start);
  if (registered < 0n) return null;
  return show(divRound(registered * parseDecimal(values.multiplier, 4), 10_000n));
}
