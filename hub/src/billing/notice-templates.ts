import { displayYuan, type Fen } from './money.js';

/**
 * The texts of billing messages, in the owner's language. Amounts always through
 * displayYuan (exact, "¥1,234.50"); dates as YYYY-MM-DD, read the same in both languages.
 * An SMS is kept short (one or two 70-character Chinese segments): no greeting, no lines.
 */
export const noticeLanguages = ['zh-CN', 'en'] as const;
export type NoticeLanguage = (typeof noticeLanguages)[number];

export interface NoticeText {
  subject: string;
  /** The e-mail body. */
  text: string;
  /** The SMS. */
  sms: string;
}

/** "Tower A 101": how a unit is named in messages. */
export interface UnitName {
  building: string;
  number: string;
}

const unitText = (u: UnitName) => `${u.building} ${u.number}`;

export interface BillNoticeInput {
  ownerName: string;
  unit: UnitName;
  period: string;
  billNumber: string;
  totalFen: Fen;
  /** What is still owed on the bill (less than the total after a partial payment). */
  outstandingFen: Fen;
  dueOn: string;
  lines: { description: string; amountFen: Fen }[];
}

export function billNotice(lang: NoticeLanguage, b: BillNoticeInput): NoticeText {
  const lines = b.lines.map((l) => `  ${l.description}: ${displayYuan(l.amountFen)}`).join('\n');
  if (lang === 'en') {
    return {
      subject: `Bill ${b.billNumber} for ${b.period}: ${displayYuan(b.outstandingFen)} due by ${b.dueOn}`,
      text: `Dear ${b.ownerName},\n\nThe bill ${b.billNumber} for ${unitText(b.unit)}, period ${b.period}, is ${displayYuan(b.totalFen)}:\n${lines}\n\nAmount due: ${displayYuan(b.outstandingFen)}, by ${b.dueOn}.\nPlease pay at the property office, by bank transfer, WeChat Pay or Alipay.\n\nThe property management office`,
      sms: `[Property] Bill ${b.period} for ${unitText(b.unit)}: ${displayYuan(b.outstandingFen)} due by ${b.dueOn}.`,
    };
  }
  return {
    subject: `${b.period} 物业账单 ${b.billNumber}：应缴 ${displayYuan(b.outstandingFen)}，请于 ${b.dueOn} 前缴纳`,
    text: `尊敬的 ${b.ownerName}：\n\n您的房屋 ${unitText(b.unit)} ${b.period} 账单（编号 ${b.billNumber}）合计 ${displayYuan(b.totalFen)}：\n${lines}\n\n应缴金额：${displayYuan(b.outstandingFen)}，缴费截止日期：${b.dueOn}。\n可到物业服务中心缴纳，或通过银行转账、微信、支付宝缴纳。\n\n物业服务中心`,
    sms: `【物业】${unitText(b.unit)} ${b.period} 账单应缴 ${displayYuan(b.outstandingFen)}，请于 ${b.dueOn} 前缴纳。`,
  };
}

export interface OverdueBill {
  number: string;
  period: string;
  dueOn: string;
  outstandingFen: Fen;
}

export interface ReminderInput {
  ownerName: string;
  unit: UnitName;
  totalFen: Fen;
  /** Days since the oldest unpaid bill fell due. */
  ageDays: number;
  bills: OverdueBill[];
}

export function reminder(lang: NoticeLanguage, r: ReminderInput): NoticeText {
  if (lang === 'en') {
    const list = r.bills.map((b) => `  ${b.number} (${b.period}, due ${b.dueOn}): ${displayYuan(b.outstandingFen)}`).join('\n');
    return {
      subject: `Payment reminder: ${displayYuan(r.totalFen)} overdue for ${unitText(r.unit)}`,
      text: `Dear ${r.ownerName},\n\nOur records show ${displayYuan(r.totalFen)} unpaid for ${unitText(r.unit)}, the oldest ${r.ageDays} days overdue:\n${list}\n\nPlease pay at your earliest convenience; if you have already paid, please ignore this reminder.\n\nThe property management office`,
      sms: `[Property] ${unitText(r.unit)}: ${displayYuan(r.totalFen)} overdue (${r.ageDays} days). Please pay soon.`,
    };
  }
  const list = r.bills.map((b) => `  ${b.number}（${b.period}，${b.dueOn} 到期）：${displayYuan(b.outstandingFen)}`).join('\n');
  return {
    subject: `缴费提醒：${unitText(r.unit)} 欠费 ${displayYuan(r.totalFen)}`,
    text: `尊敬的 ${r.ownerName}：\n\n您的房屋 ${unitText(r.unit)} 尚有 ${displayYuan(r.totalFen)} 未缴，最早一笔已逾期 ${r.ageDays} 天：\n${list}\n\n请尽快缴纳；如已缴纳，请忽略本提醒。\n\n物业服务中心`,
    sms: `【物业】${unitText(r.unit)} 欠费 ${displayYuan(r.totalFen)}，已逾期 ${r.ageDays} 天，请尽快缴纳。`,
  };
}

export const ladderActions = ['reminder', 'call', 'visit', 'lawyer_letter'] as const;
export type LadderAction = (typeof ladderActions)[number];

const actionNames: Record<NoticeLanguage, Record<LadderAction, string>> = {
  'zh-CN': { reminder: '缴费提醒', call: '电话催缴', visit: '上门催缴', lawyer_letter: '律师函' },
  en: { reminder: 'Reminder', call: 'Phone call', visit: 'Visit', lawyer_letter: "Lawyer's letter" },
};

export interface EscalationInput {
  action: LadderAction;
  unit: UnitName;
  amountFen: Fen;
  ageDays: number;
}

/** The line a rung of the ladder shows on the clerks' work list (and logs as the notice subject). */
export function escalationStep(lang: NoticeLanguage, e: EscalationInput): string {
  const name = actionNames[lang][e.action];
  return lang === 'en'
    ? `${name}: ${unitText(e.unit)} owes ${displayYuan(e.amountFen)}, ${e.ageDays} days overdue`
    : `${name}：${unitText(e.unit)} 欠费 ${displayYuan(e.amountFen)}，逾期 ${e.ageDays} 天`;
}

export type WarningReason = 'amount' | 'age' | 'amount_and_age';

export interface ArrearsWarningInput {
  unit: UnitName;
  amountFen: Fen;
  ageDays: number;
  reason: WarningReason;
  warnAmountFen: Fen;
  warnAgeDays: number;
}

/** To the managers, in both languages in one message: a manager's language is not recorded. */
export function arrearsWarning(w: ArrearsWarningInput): Omit<NoticeText, 'sms'> {
  const zhWhy = { amount: `欠费金额达到 ${displayYuan(w.warnAmountFen)}`, age: `逾期达到 ${w.warnAgeDays} 天`, amount_and_age: `欠费金额达到 ${displayYuan(w.warnAmountFen)} 且逾期达到 ${w.warnAgeDays} 天` }[w.reason];
  const enWhy = { amount: `arrears reached ${displayYuan(w.warnAmountFen)}`, age: `arrears are ${w.warnAgeDays}+ days old`, amount_and_age: `arrears reached ${displayYuan(w.warnAmountFen)} and are ${w.warnAgeDays}+ days old` }[w.reason];
  return {
    subject: `欠费预警 Arrears warning: ${unitText(w.unit)} ${displayYuan(w.amountFen)}`,
    text:
      `欠费预警：${unitText(w.unit)} 欠费 ${displayYuan(w.amountFen)}，最早一笔逾期 ${w.ageDays} 天（${zhWhy}）。请在催缴工作列表中跟进。\n\n` +
      `Arrears warning: ${unitText(w.unit)} owes ${displayYuan(w.amountFen)}, the oldest bill ${w.ageDays} days overdue (${enWhy}). Please follow up on the arrears work list.\n`,
  };
}
