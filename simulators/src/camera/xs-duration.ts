/**
 * xs:duration (ISO 8601, e.g. PT60S, PT1M30S, P1DT2H) as ONVIF uses it for
 * timeouts and termination times. Years and months are refused: their length
 * in milliseconds depends on the calendar, and no ONVIF timeout uses them.
 */
const durationRe = /^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of an xs:duration, or undefined if it is not one we accept. */
export function parseXsDuration(text: string): number | undefined {
  const m = durationRe.exec(text.trim());
  if (!m || text.trim().endsWith('T') || text.trim() === 'P') return undefined;
  const [, neg, d, h, min, s] = m;
  const ms = ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
  return neg ? -ms : ms;
}

/** `PT12.5S` style, as devices echo timeouts. */
export function formatXsDuration(ms: number): string {
  return `PT${Math.max(0, ms) / 1000}S`;
}

/**
 * A WS-BaseNotification termination time: either a duration from now or an
 * absolute xs:dateTime. Returns the absolute epoch ms, or undefined when unreadable.
 */
export function parseTerminationTime(text: string, now: number): number | undefined {
  const t = text.trim();
  if (t.startsWith('P') || t.startsWith('-P')) {
    const ms = parseXsDuration(t);
    return ms === undefined ? undefined : now + ms;
  }
  const abs = Date.parse(t);
  return Number.isNaN(abs) ? undefined : abs;
}
