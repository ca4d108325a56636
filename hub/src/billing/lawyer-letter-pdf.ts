import type { LetterDetails } from './arrears.service.js';
import { displayYuan } from './money.js';
import { renderPdf } from './pdf-document.js';

/**
 * The lawyer's letter (律师函) of the last rung of the arrears ladder, in Chinese with an
 * English rendering below each part: who owes, for which unit, each unpaid bill, the
 * total, and the deadline. It states the debt as fixed when the rung was taken.
 */
export async function renderLawyerLetter(letter: LetterDetails, ref: string): Promise<Buffer> {
  const unit = `${letter.unit.building} ${letter.unit.number}`;
  const owner = letter.ownerName ?? '业主 / Owner';
  return renderPdf({ title: `律师函 Lawyer's letter ${ref}` }, (doc) => {
    doc.fontSize(18).text('律师函', { align: 'center' });
    doc.fontSize(12).text("Lawyer's letter", { align: 'center' });
    doc.moveDown();
    doc.fontSize(10).text(`编号 Ref.: ${ref}    日期 Date: ${letter.asOf}`);
    doc.moveDown();
    doc.fontSize(11).text(`致 To: ${owner}（${unit}）`);
    doc.moveDown(0.5);
    doc.text(`截至 ${letter.asOf}，您名下房屋 ${unit} 拖欠物业服务费用共计 ${displayYuan(letter.totalFen)}，最早一笔已逾期 ${letter.ageDays} 天，经多次催缴仍未缴纳。明细如下：`);
    doc.fontSize(9).text(`As of ${letter.asOf}, ${displayYuan(letter.totalFen)} in property fees for ${unit} is unpaid, the oldest amount ${letter.ageDays} days overdue, despite repeated reminders. Details:`);
    doc.moveDown(0.5);
    doc.fontSize(10);
    doc.text('账单编号 Bill  |  账期 Period  |  到期日 Due  |  欠费 Outstanding');
    for (const b of letter.bills) doc.text(`${b.number}  |  ${b.period}  |  ${b.dueOn}  |  ${displayYuan(b.outstandingFen)}`);
    doc.text(`合计 Total: ${displayYuan(letter.totalFen)}`);
    doc.moveDown();
    doc.fontSize(11).text(`请于 ${letter.deadline} 前缴清上述款项。逾期未缴，我方将依法提起诉讼，追讨欠款及相应违约金，由此产生的费用由您承担。`);
    doc.fontSize(9).text(`Please pay the above in full by ${letter.deadline}. Otherwise we will take legal action to recover the debt and late fees, at your cost.`);
    doc.moveDown(2);
    doc.fontSize(11).text('物业服务中心 The property management office', { align: 'right' });
  });
}
