import { describe, expect, it } from 'vitest';
import { maskEmail, maskNationalId, maskPhone, nationalIdProblem, normaliseNationalId, residentIdCheckChar } from './personal-data.js';

describe('personal data', () => {
  it('computes the GB 11643 check character, X included', () => {
    // The standard's own example number.
    expect(residentIdCheckChar('11010519491231002')).toBe('X');
    expect(nationalIdProblem('11010519491231002X', 'resident_id')).toBeNull();
    expect(nationalIdProblem('110105194912310021', 'resident_id')).toMatch(/check digit/);
    expect(nationalIdProblem('110105194913310029', 'resident_id')).toMatch(/date of birth/);
    expect(nationalIdProblem('1101051949', 'resident_id')).toMatch(/18 characters/);
    expect(nationalIdProblem('E1234567', 'passport')).toBeNull();
    expect(nationalIdProblem('E1', 'passport')).toMatch(/5 to 32/);
  });

  it('normalises spacing, hyphens and case, so one number has one blind index', () => {
    expect(normaliseNationalId(' 110105 19491231-002x ')).toBe('11010519491231002X');
  });

  it('masks keeping only what a receipt shows', () => {
    expect(maskNationalId('11010519491231002X')).toBe('110***********002X');
    expect(maskNationalId('E1234567')).toBe('******67');
    expect(maskPhone('138 1234 5678')).toBe('138****5678');
    expect(maskEmail('zhang.wei@example.com')).toBe('z***@example.com');
    expect(maskEmail('nonsense')).toBe('***');
  });
});
