import { describe, expect, it } from 'vitest';
import { formatDate } from './labels.ts';

describe('dates on bills', () => {
  it('shows the calendar day the hub wrote, in the page language', () => {
    expect(formatDate('en', '2026-10-16')).toBe('Oct 16, 2026');
    expect(formatDate('zh-CN', '2026-10-16')).toBe('2026年10月16日');
    expect(formatDate('en', 'not a date')).toBe('not a date');
  });
});
