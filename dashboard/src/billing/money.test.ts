import { describe, expect, it } from 'vitest';
import { fenToYuanText, formatFen, parseYuanToFen } from './money.ts';

describe('typed yuan to fen', () => {
  it('reads amounts exactly, whatever the float arithmetic would say', () => {
    expect(parseYuanToFen('1234.5')).toEqual({ ok: true, fen: 123450 });
    expect(parseYuanToFen('0.1')).toEqual({ ok: true, fen: 10 });
    expect(parseYuanToFen('0.29')).toEqual({ ok: true, fen: 29 });
    expect(parseYuanToFen('19.99')).toEqual({ ok: true, fen: 1999 });
    expect(parseYuanToFen('300')).toEqual({ ok: true, fen: 30000 });
    expect(parseYuanToFen('300.')).toEqual({ ok: true, fen: 30000 });
    expect(parseYuanToFen('.5')).toEqual({ ok: true, fen: 50 });
    expect(parseYuanToFen('007.07')).toEqual({ ok: true, fen: 707 });
  });

  it('accepts a currency sign, thousands grouping and full-width input', () => {
    expect(parseYuanToFen(' ¥1,234.56 ')).toEqual({ ok: true, fen: 123456 });
    expect(parseYuanToFen('￥12,345,678')).toEqual({ ok: true, fen: 1234567800 });
    expect(parseYuanToFen('１２３．４')).toEqual({ ok: true, fen: 12340 });
  });

  it('refuses what is not exactly an amount to the fen', () => {
    expect(parseYuanToFen('')).toEqual({ ok: false, error: 'empty' });
    expect(parseYuanToFen('  ¥ ')).toEqual({ ok: false, error: 'empty' });
    expect(parseYuanToFen('1.234')).toEqual({ ok: false, error: 'decimals' });
    expect(parseYuanToFen('12,34')).toEqual({ ok: false, error: 'format' });
    expect(parseYuanToFen('1e3')).toEqual({ ok: false, error: 'format' });
    expect(parseYuanToFen('-5')).toEqual({ ok: false, error: 'format' });
    expect(parseYuanToFen('abc')).toEqual({ ok: false, error: 'format' });
    expect(parseYuanToFen('0.00')).toEqual({ ok: false, error: 'zero' });
    expect(parseYuanToFen('100000000')).toEqual({ ok: false, error: 'tooLarge' });
    expect(parseYuanToFen('99999999.99')).toEqual({ ok: true, fen: 9_999_999_999 });
    expect(parseYuanToFen('1'.repeat(40))).toEqual({ ok: false, error: 'tooLarge' });
  });
});

describe('fen on the page', () => {
  it('formats with the yuan sign, grouping and two decimals', () => {
    expect(formatFen(123450)).toBe('¥1,234.50');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(-120000)).toBe('-¥1,200.00');
    expect(formatFen(123456789012)).toBe('¥1,234,567,890.12');
    expect(formatFen(1.5)).toBe('—');
  });

  it('turns fen back into the text a form starts with', () => {
    expect(fenToYuanText(123450)).toBe('1234.50');
    expect(fenToYuanText(7)).toBe('0.07');
    expect(parseYuanToFen(fenToYuanText(98765))).toEqual({ ok: true, fen: 98765 });
  });
});
