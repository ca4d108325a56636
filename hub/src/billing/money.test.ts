import { describe, expect, it } from 'vitest';
import { WardenError } from '../http/errors.js';
import { billStatus } from './ledger.service.js';
import { apportion, displayYuan, fenOf, formatYuan, parseYuan } from './money.js';
import { chineseAmount } from './receipt-pdf.js';

describe('money in fen', () => {
  it('parses yuan text exactly, to the fen, without passing through a float', () => {
    expect(parseYuan('1234.5')).toBe(123450);
    expect(parseYuan('0.07')).toBe(7);
    expect(parseYuan(' 12 ')).toBe(1200);
    expect(parseYuan('-0.05')).toBe(-5);
    // 0.1 + 0.2 in floats is 0.30000000000000004; here it is 30 fen.
    expect(parseYuan('0.1') + parseYuan('0.2')).toBe(parseYuan('0.3'));
    expect(parseYuan('9999999999999.99')).toBe(999999999999999);
  });

  it('refuses what is not an amount to the fen, naming the field', () => {
    for (const bad of ['1.234', '1,000', 'abc', '', '1e3', '.5', '12.']) {
      try {
        parseYuan(bad, 'body.amount');
        expect.unreachable(`"${bad}" was accepted`);
      } catch (err) {
        expect(err).toBeInstanceOf(WardenError);
        expect((err as WardenError).code).toBe('WARDEN_ERR_VALIDATION');
        expect((err as WardenError).message).toContain('body.amount');
      }
    }
  });

  it('formats fen as yuan and for display', () => {
    expect(formatYuan(123450)).toBe('1234.50');
    expect(formatYuan(5)).toBe('0.05');
    expect(formatYuan(-5)).toBe('-0.05');
    expect(formatYuan(0)).toBe('0.00');
    expect(displayYuan(123456789)).toBe('¥1,234,567.89');
    expect(displayYuan(-100)).toBe('-¥1.00');
    expect(() => formatYuan(1.5)).toThrow(RangeError);
  });

  it('reads bigint columns as fen and refuses what is not a safe integer', () => {
    expect(fenOf('123')).toBe(123);
    expect(fenOf(null)).toBe(0);
    expect(fenOf(undefined)).toBe(0);
    expect(() => fenOf('1.5')).toThrow(RangeError);
    expect(() => fenOf('99999999999999999999')).toThrow(RangeError);
  });
});

describe('apportion', () => {
  it('splits exactly: shares always add up to the total', () => {
    expect(apportion(100, [1n, 1n, 1n])).toEqual([34, 33, 33]);
    expect(apportion(10, [1n, 2n, 3n, 4n])).toEqual([1, 2, 3, 4]);
    for (const total of [0, 1, 7, 99, 10_001, 123_456_789]) {
      const weights = [3n, 7n, 11n, 0n, 13n];
      const shares = apportion(total, weights);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
      expect(shares[3]).toBe(0);
    }
  });

  it('gives the leftover fen to the largest remainders, ties to the earlier weight', () => {
    // 5 × (1/4, 1/4, 1/2) = 1.25, 1.25, 2.5: floors 1, 1, 2, one fen left for the largest remainder (0.5).
    expect(apportion(5, [1n, 1n, 2n])).toEqual([1, 1, 3]);
    // 2 over three equal weights: the first two get the fen.
    expect(apportion(2, [5n, 5n, 5n])).toEqual([1, 1, 0]);
  });

  it('splits negative totals symmetrically, and nothing over no weight', () => {
    expect(apportion(-100, [1n, 1n, 1n])).toEqual([-34, -33, -33]);
    expect(apportion(100, [0n, 0n])).toEqual([0, 0]);
    expect(apportion(100, [])).toEqual([]);
    expect(() => apportion(100, [1n, -1n])).toThrow(RangeError);
  });

  it('stays exact with weights far beyond a float (exact decimals as bigint)', () => {
    const shares = apportion(Number.MAX_SAFE_INTEGER, [10n ** 30n, 10n ** 30n + 1n]);
    expect(shares[0] + shares[1]).toBe(Number.MAX_SAFE_INTEGER);
    expect(shares[1]).toBeGreaterThanOrEqual(shares[0]);
  });
});

describe('chineseAmount (大写金额)', () => {
  it.each([
    [123450, '壹仟贰佰叁拾肆元伍角整'],
    [0, '零元整'],
    [100, '壹元整'],
    [1000, '壹拾元整'],
    [105, '壹元零伍分'],
    [155, '壹元伍角伍分'],
    [50, '伍角整'],
    [5, '伍分'],
    [100100, '壹仟零壹元整'],
    [1001000, '壹万零壹拾元整'],
    [10000000, '壹拾万元整'],
    [100000000, '壹佰万元整'],
    [10001000000, '壹亿零壹万元整'],
    [10000000000, '壹亿元整'],
    [1000100, '壹万零壹元整'],
    [12003400, '壹拾贰万零叁拾肆元整'],
    [1234567899, '壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角玖分'],
    [-2500, '负贰拾伍元整'],
  ])('%i fen → %s', (fen, words) => {
    expect(chineseAmount(fen)).toBe(words);
  });

  it('refuses what is not fen', () => {
    expect(() => chineseAmount(0.5)).toThrow(RangeError);
  });
});

describe('bill status', () => {
  it('derives void, paid, partial and open from the balances', () => {
    expect(billStatus({ voided: true, outstandingFen: 100, paidFen: 0 })).toBe('void');
    expect(billStatus({ voided: false, outstandingFen: 0, paidFen: 100 })).toBe('paid');
    expect(billStatus({ voided: false, outstandingFen: -5, paidFen: 105 })).toBe('paid');
    expect(billStatus({ voided: false, outstandingFen: 40, paidFen: 60 })).toBe('partial');
    expect(billStatus({ voided: false, outstandingFen: 100, paidFen: 0 })).toBe('open');
  });
});
