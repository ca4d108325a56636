/**
 * Money on the page. Amounts travel as integer fen (the hub's `…Fen` fields); yuan exist
 * only as text: what a person types, parsed here to fen without ever becoming a float
 * (0.1 + 0.2 is not 0.3 in binary), and what is shown, formatted from the integer.
 */

/** The most a single amount typed here may be: ¥99,999,999.99 (well inside safe integers). */
export const MAX_TYPED_FEN = 9_999_999_999;

export type YuanParse = { ok: true; fen: number } | { ok: false; error: 'empty' | 'format' | 'decimals' | 'zero' | 'tooLarge' };

// Full-width digits and punctuation, as a Chinese input method types them.
const fullWidth = /[\uFF10-\uFF19\uFF0E\uFF0C]/g;
const grouped = /^\d{1,3}(,\d{3})+(\.\d*)?$/;
const plain = /^\d+(\.\d*)?$|^\.\d+$/;

/**
 * "1,234.5" → 123450 fen. Accepts an optional ¥/￥ sign, comma grouping (only where it
 * groups thousands) and full-width characters; refuses more than 2 decimals rather than
 * rounding someone's money, and zero or negative amounts (a payment is always positive).
 */
export function parseYuanToFen(input: string): YuanParse {
  let text = input.replace(fullWidth, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0)).trim();
  text = text.replace(/^[¥￥]\s*/, '');
  if (text === '') return { ok: false, error: 'empty' };
  if (grouped.test(text)) text = text.replace(/,/g, '');
  if (!plain.test(text)) return { ok: false, error: 'format' };
  const [whole = '', decimals = ''] = text.split('.');
  if (decimals.length > 2) return { ok: false, error: 'decimals' };
  const digits = `${whole.replace(/^0+/, '')}${decimals.padEnd(2, '0')}`.replace(/^0+/, '');
  if (digits === '') return { ok: false, error: 'zero' };
  // Compared as text length first: a 30-digit string must not be turned into a number at all.
  if (digits.length > String(MAX_TYPED_FEN).length || Number(digits) > MAX_TYPED_FEN) return { ok: false, error: 'tooLarge' };
  return { ok: true, fen: Number(digits) };
}

/**
 * 123450 → "¥1,234.50", in every locale (the estate's currency is the yuan whatever the
 * page's language; Intl's zh-CN and en currency forms differ in ways people trip over).
 */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) return '—';
  const abs = Math.abs(fen);
  const yuan = String(Math.trunc(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${fen < 0 ? '-' : ''}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

/** 123450 → "1234.50": a fen amount as the form's starting text (e.g. the outstanding amount). */
export function fenToYuanText(fen: number): string {
  const abs = Math.abs(fen);
  return `${fen < 0 ? '-' : ''}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
