import { WardenError } from '../http/errors.js';

/**
 * Money is integer fen (1 yuan = 100 fen) everywhere: in the database (bigint), in
 * JavaScript (safe integers: up to ±90 trillion yuan), in the API. Yuan strings exist
 * only at the edges, parsed and formatted here without ever passing through a float.
 */
export type Fen = number;

const YUAN = /^(-)?(\d{1,13})(?:\.(\d{1,2}))?$/;

/** "1234.5" → 123450. Refuses anything that is not an exact amount to the fen. */
export function parseYuan(text: string, field = 'amount'): Fen {
  const m = YUAN.exec(text.trim());
  if (!m) throw new WardenError('WARDEN_ERR_VALIDATION', `${field}: "${text}" is not an amount in yuan with at most 2 decimals`, [{ path: field, message: 'expected an amount such as 1234.56' }]);
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}

/** 123450 → "1234.50"; -5 → "-0.05". */
export function formatYuan(fen: Fen): string {
  assertFen(fen);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** 123450 → "¥1,234.50" for notices and PDFs. */
export function displayYuan(fen: Fen): string {
  const [whole, cents] = formatYuan(Math.abs(fen)).split('.');
  return `${fen < 0 ? '-' : ''}¥${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
}

export function assertFen(fen: Fen): void {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`not an amount in fen: ${fen}`);
}

/** A bigint / numeric column as fen (pg returns int8 as a string). */
export function fenOf(value: string | number | bigint | null | undefined): Fen {
  if (value === null || value === undefined) return 0;
  const n = Number(value);
  assertFen(n);
  return n;
}

/**
 * Splits `total` fen over `weights` in proportion, exactly: the largest-remainder method
 * (each share rounded down, the fen left over go to the largest remainders, ties to the
 * earlier weight), so the shares always add up to the total.
 */
export function apportion(total: Fen, weights: readonly bigint[]): Fen[] {
  assertFen(total);
  const sum = weights.reduce((a, w) => a + w, 0n);
  if (weights.some((w) => w < 0n)) throw new RangeError('weights must not be negative');
  if (sum === 0n) return weights.map(() => 0);
  const t = BigInt(total);
  const shares = weights.map((w) => (t * w) / sum);
  const remainders = weights.map((w, i) => ({ i, r: (t * w) % sum }));
  let left = t - shares.reduce((a, s) => a + s, 0n);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    shares[i] += t < 0n ? -1n : 1n;
    left -= t < 0n ? -1n : 1n;
  }
  return shares.map(Number);
}
