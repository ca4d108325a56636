import { describe, expect, it } from 'vitest';
import { arrearsWarning, billNotice, escalationStep, reminder } from './notice-templates.js';

const unit = { building: 'Tower A', number: '1201' };
const bill = {
  ownerName: '张伟',
  unit,
  period: '2026-03',
  billNumber: 'B2026-03-000017',
  totalFen: 123_456,
  outstandingFen: 100_056,
  dueOn: '2026-04-15',
  lines: [
    { description: '物业管理费 Management fee', amountFen: 100_000 },
    { description: '电费 Electricity', amountFen: 23_456 },
  ],
};

describe('billing notice texts', () => {
  it('writes a bill notice in Chinese with exact amounts, the lines and the due date', () => {
    const t = billNotice('zh-CN', bill);
    expect(t.subject).toBe('2026-03 物业账单 B2026-03-000017：应缴 ¥1,000.56，请于 2026-04-15 前缴纳');
    expect(t.text).toContain('尊敬的 张伟');
    expect(t.text).toContain('合计 ¥1,234.56');
    expect(t.text).toContain('电费 Electricity: ¥234.56');
    expect(t.text).toContain('应缴金额：¥1,000.56，缴费截止日期：2026-04-15');
    expect(t.sms).toBe('【物业】Tower A 1201 2026-03 账单应缴 ¥1,000.56，请于 2026-04-15 前缴纳。');
  });

  it('writes the same bill notice in English', () => {
    const t = billNotice('en', bill);
    expect(t.subject).toBe('Bill B2026-03-000017 for 2026-03: ¥1,000.56 due by 2026-04-15');
    expect(t.text).toContain('Dear 张伟');
    expect(t.text).toContain('is ¥1,234.56:');
    expect(t.text).toContain('Amount due: ¥1,000.56, by 2026-04-15.');
    expect(t.sms).toBe('[Property] Bill 2026-03 for Tower A 1201: ¥1,000.56 due by 2026-04-15.');
  });

  it('lists every overdue bill in a reminder, with the total and the age of the oldest', () => {
    const input = {
      ownerName: 'Li Na',
      unit,
      totalFen: 600_000,
      ageDays: 47,
      bills: [
        { number: 'B1', period: '2026-01', dueOn: '2026-02-15', outstandingFen: 500_000 },
        { number: 'B2', period: '2026-02', dueOn: '2026-03-15', outstandingFen: 100_000 },
      ],
    };
    const zh = reminder('zh-CN', input);
    expect(zh.subject).toBe('缴费提醒：Tower A 1201 欠费 ¥6,000.00');
    expect(zh.text).toContain('B1（2026-01，2026-02-15 到期）：¥5,000.00');
    expect(zh.text).toContain('最早一笔已逾期 47 天');
    expect(zh.sms).toBe('【物业】Tower A 1201 欠费 ¥6,000.00，已逾期 47 天，请尽快缴纳。');
    const en = reminder('en', input);
    expect(en.text).toContain('B2 (2026-02, due 2026-03-15): ¥1,000.00');
    expect(en.sms).toBe('[Property] Tower A 1201: ¥6,000.00 overdue (47 days). Please pay soon.');
  });

  it('names each rung of the ladder in both languages', () => {
    const step = { action: 'lawyer_letter' as const, unit, amountFen: 5, ageDays: 181 };
    expect(escalationStep('zh-CN', step)).toBe('律师函：Tower A 1201 欠费 ¥0.05，逾期 181 天');
    expect(escalationStep('en', { ...step, action: 'call' })).toBe('Phone call: Tower A 1201 owes ¥0.05, 181 days overdue');
  });

  it('tells managers why a warning was raised, in both languages in one message', () => {
    const w = arrearsWarning({ unit, amountFen: 612_345, ageDays: 95, reason: 'amount_and_age', warnAmountFen: 500_000, warnAgeDays: 90 });
    expect(w.subject).toBe('欠费预警 Arrears warning: Tower A 1201 ¥6,123.45');
    expect(w.text).toContain('欠费金额达到 ¥5,000.00 且逾期达到 90 天');
    expect(w.text).toContain('arrears reached ¥5,000.00 and are 90+ days old');
    expect(arrearsWarning({ unit, amountFen: 100, ageDays: 120, reason: 'age', warnAmountFen: 500_000, warnAgeDays: 90 }).text).toContain('逾期达到 90 天');
  });
});
