import { assertFen, displayYuan, type Fen } from './money.js';
import { renderPdf } from './pdf-document.js';

const DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const PLACES = ['', '拾', '佰', '仟'];
const GROUPS = ['', '万', '亿', '万亿'];

/** 0 < n < 10000 in capital numerals, with 零 for the zeros inside it ("1005" → 壹仟零伍). */
function group(n: number): string {
  let out = '';
  let zero = false;
  for (let place = 3; place >= 0; place--) {
    const d = Math.trunc(n / 10 ** place) % 10;
    if (d === 0) {
      zero = out !== '';
      continue;
    }
    if (zero) out += '零';
    zero = false;
    out += DIGITS[d] + PLACES[place];
  }
  return out;
}

/**
 * An amount in Chinese capital numerals (大写金额), as written on receipts and cheques so
 * that it cannot be altered: 123450 fen → 壹仟贰佰叁拾肆元伍角整. The usage of the People's
 * Bank of China's rules for filling in payment documents: 整 after 元 or 角 when there are
 * no fen; 零 for zeros between digits and for a zero 角 before fen (壹元零伍分); 拾 is
 * written with its digit (壹拾元); 负 before a negative amount.
 */
export function chineseAmount(fen: Fen): string {
  assertFen(fen);
  if (fen === 0) return '零元整';
  const sign = fen < 0 ? '负' : '';
  const abs = Math.abs(fen);
  let yuan = Math.trunc(abs / 100);
  const jiao = Math.trunc(abs / 10) % 10;
  const cents = abs % 10;

  const groups: number[] = [];
  while (yuan > 0) {
    groups.push(yuan % 10000);
    yuan = Math.trunc(yuan / 10000);
  }
  let whole = '';
  let zero = false;
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i];
    if (g === 0) {
      zero = whole !== '';
      continue;
    }
    // A gap (an empty group, or a group under 1000 after a higher one) is read as 零.
    if (whole !== '' && (zero || g < 1000)) whole += '零';
    zero = false;
    whole += group(g) + GROUPS[i];
  }

  let out = whole ? `${whole}元` : '';
  if (jiao > 0) out += `${DIGITS[jiao]}角`;
  if (cents > 0) out += `${whole && jiao === 0 ? '零' : ''}${DIGITS[cents]}分`;
  else out += '整';
  return sign + out;
}

export const methodLabels: Record<string, { zh: string; en: string }> = {
  cash: { zh: '现金', en: 'Cash' },
  bank_transfer: { zh: '银行转账', en: 'Bank transfer' },
  wechat: { zh: '微信支付', en: 'WeChat Pay' },
  alipay: { zh: '支付宝', en: 'Alipay' },
  card: { zh: '银行卡', en: 'Card' },
  other: { zh: '其他', en: 'Other' },
};

export interface ReceiptDocument {
  number: string;
  issuedAt: Date;
  paidAt: Date;
  /** The estate's time zone: dates are printed as they were where the money was paid. */
  timezone: string;
  estate: string;
  building: string;
  unit: string;
  payer: string | null;
  amountFen: Fen;
  method: string;
  reference: string | null;
  bills: { number: string; period: string; amountFen: Fen }[];
  /** What this payment left as credit on the account. */
  creditFen: Fen;
  recordedBy: string;
  voided: { at: Date; by: string; reason: string } | null;
}

function localTime(at: Date, timezone: string): string {
  // The Swedish locale writes ISO-like "2026-11-27 15:04:05".
  return new Intl.DateTimeFormat('sv-SE', { timeZone: timezone, dateStyle: 'short', timeStyle: 'medium' }).format(at);
}

/** A bilingual (Chinese and English) receipt; a voided one carries a VOID watermark and the reason. */
export function renderReceiptPdf(r: ReceiptDocument): Promise<Buffer> {
  return renderPdf({ title: `收款收据 Receipt ${r.number}` }, (doc) => {
    const left = doc.page.margins.left;
    const width = doc.page.width - left - doc.page.margins.right;
    const row = (zh: string, en: string, value: string) => {
      const y = doc.y;
      doc.fontSize(10).fillColor('#555555').text(`${zh} ${en}`, left, y, { width: 190 });
      doc.fontSize(11).fillColor('#000000').text(value, left + 200, y, { width: width - 200 });
      doc.moveDown(0.4);
    };

    doc.fontSize(20).text('收款收据', { align: 'center' });
    doc.fontSize(12).text('Payment Receipt', { align: 'center' });
    doc.moveDown(1);
    row('收据编号', 'Receipt No.', r.number);
    row('开具日期', 'Issued', localTime(r.issuedAt, r.timezone));
    row('物业', 'Estate / building', `${r.estate} · ${r.building}`);
    row('房号', 'Unit', r.unit);
    row('付款人', 'Payer', r.payer ?? '—');
    row('金额', 'Amount', displayYuan(r.amountFen));
    row('大写', 'Amount in words', `人民币${chineseAmount(r.amountFen)}`);
    const method = methodLabels[r.method] ?? { zh: r.method, en: r.method };
    row('付款方式', 'Method', `${method.zh} ${method.en}`);
    row('参考号', 'Reference', r.reference ?? '—');
    row('付款时间', 'Paid at', localTime(r.paidAt, r.timezone));

    doc.moveDown(0.6);
    doc.fontSize(12).fillColor('#000000').text('所付账单 Bills paid', left);
    doc.moveDown(0.3);
    if (r.bills.length === 0) doc.fontSize(10).text('—', left);
    for (const b of r.bills) {
      const y = doc.y;
      doc.fontSize(10).text(b.number, left, y, { width: 200 });
      doc.text(b.period, left + 210, y, { width: 100 });
      doc.text(displayYuan(b.amountFen), left + 320, y, { width: width - 320, align: 'right' });
      doc.moveDown(0.2);
    }
    doc.moveDown(0.6);
    row('转入预存', 'Kept as credit', displayYuan(r.creditFen));
    row('经办人', 'Recorded by', r.recordedBy);

    if (r.voided) {
      doc.moveDown(0.6);
      doc.fontSize(12).fillColor('#cc0000').text(`已作废 VOID — ${localTime(r.voided.at, r.timezone)} ${r.voided.by}`, left);
      doc.fontSize(11).text(`作废原因 Reason: ${r.voided.reason}`, left, doc.y, { width });
      // The watermark across the page, drawn last so nothing covers it.
      doc.save();
      doc.rotate(-30, { origin: [doc.page.width / 2, doc.page.height / 2] });
      doc.fontSize(96).fillColor('#cc0000', 0.2).text('作废 VOID', 40, doc.page.height / 2 - 60, { width: doc.page.width - 80, align: 'center', lineBreak: false });
      doc.restore();
    }
  });
}
