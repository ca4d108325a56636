import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { ageBuckets, type ArrearsService } from './arrears.service.js';
import { apportion, displayYuan, fenOf, type Fen } from './money.js';
import { renderPdf } from './pdf-document.js';

export const reportNames = ['collection', 'ageing', 'income', 'utilities'] as const;
export type ReportName = (typeof reportNames)[number];

export interface ReportColumn {
  key: string;
  zh: string;
  en: string;
  /** fen: integer fen (yuan in the PDF); decimal: an exact decimal as a string. */
  kind: 'text' | 'int' | 'fen' | 'decimal';
}

export type ReportCell = string | number | null;

export interface Report {
  name: ReportName;
  title: { zh: string; en: string };
  /** What the report covers, e.g. { from: '2026-01', to: '2026-03', building: null }. */
  scope: Record<string, string | null>;
  columns: ReportColumn[];
  rows: Record<string, ReportCell>[];
}

export interface ReportQuery {
  from: string;
  to: string;
  buildingId?: string;
  /** Ageing only: the date the arrears are aged at. */
  asOf?: string;
}

const col = (key: string, zh: string, en: string, kind: ReportColumn['kind'] = 'text'): ReportColumn => ({ key, zh, en, kind });

/** collected ÷ due as a percentage with two decimals, rounded half up, computed exactly: "87.50". */
export function ratePct(collected: Fen, due: Fen): string | null {
  if (due <= 0) return null;
  const c = BigInt(collected);
  const d = BigInt(due);
  const hundredths = (c * 20000n + d) / (2n * d);
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')}`;
}

/**
 * The office's billing reports. All figures come from bills, their ledger entries and
 * the meter readings: nothing is kept aside that could drift from the ledger.
 *
 * - collection: per period and building, what was billed (bill totals), the late fees
 *   added, what has been collected against those bills (payments and credit applied, to
 *   date), what is still outstanding, and the rate collected ÷ (billed + late fees).
 * - ageing: each unit's arrears by age bucket (see ArrearsService).
 * - income: per period and fee item, billed = the item's bill lines; collected = each
 *   bill's collected amount split over its lines and its late fees in proportion to their
 *   amounts (apportion(): exact, adds up to the fen), summed per item. Late fees are an
 *   item of their own ("late_fee").
 * - utilities: per period, building and kind, the consumption of the period's readings
 *   (unit meters and shared-area meters apart), flagged readings not counted but shown.
 */
export class ReportService {
  constructor(
    private readonly db: Database,
    private readonly arrears: ArrearsService,
  ) {}

  async report(user: SessionUser, name: ReportName, q: ReportQuery): Promise<Report> {
    if (q.buildingId !== undefined && !canSeeBuilding(user, q.buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `building ${q.buildingId} is not yours`);
    const scope = [q.from, q.to, q.buildingId ?? null, user.buildings];
    switch (name) {
      case 'collection':
        return this.collection(q, scope);
      case 'ageing':
        return this.ageing(user, q);
      case 'income':
        return this.income(q, scope);
      case 'utilities':
        return this.utilities(q, scope);
    }
  }

  private async collection(q: ReportQuery, scope: unknown[]): Promise<Report> {
    const { rows } = await this.db.query<{ period: string; building_id: string; bills: number; billed_fen: number; late_fees_fen: number; collected_fen: number; outstanding_fen: number }>(
      `SELECT b.period, b.building_id, count(*)::int AS bills, sum(b.total_fen)::bigint AS billed_fen, sum(bb.late_fees_fen)::bigint AS late_fees_fen,
              sum(bb.paid_fen)::bigint AS collected_fen, sum(bb.outstanding_fen)::bigint AS outstanding_fen
         FROM bills b JOIN bill_balances bb ON bb.bill_id = b.id
        WHERE b.voided_at IS NULL AND b.period BETWEEN $1 AND $2 AND ($3::text IS NULL OR b.building_id = $3)
          AND (cardinality($4::text[]) = 0 OR b.building_id = ANY($4::text[]))
        GROUP BY b.period, b.building_id ORDER BY b.period, b.building_id`,
      scope,
    );
    return {
      name: 'collection',
      title: { zh: '收缴率', en: 'Collection rate' },
      scope: { from: q.from, to: q.to, building: q.buildingId ?? null },
      columns: [
        col('period', '账期', 'Period'),
        col('buildingId', '楼栋', 'Building'),
        col('bills', '账单数', 'Bills', 'int'),
        col('billedFen', '应收', 'Billed', 'fen'),
        col('lateFeesFen', '滞纳金', 'Late fees', 'fen'),
        col('collectedFen', '实收', 'Collected', 'fen'),
        col('outstandingFen', '未收', 'Outstanding', 'fen'),
        col('ratePct', '收缴率 %', 'Rate %', 'decimal'),
      ],
      rows: rows.map((r) => ({
        period: r.period,
        buildingId: r.building_id,
        bills: r.bills,
        billedFen: fenOf(r.billed_fen),
        lateFeesFen: fenOf(r.late_fees_fen),
        collectedFen: fenOf(r.collected_fen),
        outstandingFen: fenOf(r.outstanding_fen),
        ratePct: ratePct(fenOf(r.collected_fen), fenOf(r.billed_fen) + fenOf(r.late_fees_fen)),
      })),
    };
  }

  private async ageing(user: SessionUser, q: ReportQuery): Promise<Report> {
    const { asOf, units } = await this.arrears.ageing(user, { asOf: q.asOf, buildingId: q.buildingId });
    return {
      name: 'ageing',
      title: { zh: '欠费账龄', en: 'Arrears ageing' },
      scope: { asOf, building: q.buildingId ?? null },
      columns: [
        col('buildingId', '楼栋', 'Building'),
        col('unitNumber', '房号', 'Unit'),
        col('ownerName', '业主', 'Owner'),
        ...ageBuckets.map((b) => col(`fen_${b}`, `${b} 天`, `${b} days`, 'fen')),
        col('totalFen', '合计', 'Total', 'fen'),
        col('ageDays', '最长逾期天数', 'Oldest (days)', 'int'),
      ],
      rows: units.map((u) => ({
        buildingId: u.buildingId,
        unitNumber: u.unitNumber,
        ownerName: u.ownerName,
        ...Object.fromEntries(ageBuckets.map((b) => [`fen_${b}`, u.buckets[b]])),
        totalFen: u.totalFen,
        ageDays: u.ageDays,
      })),
    };
  }

  private async income(q: ReportQuery, scope: unknown[]): Promise<Report> {
    const { rows } = await this.db.query<{ bill_id: number; period: string; paid_fen: number; late_fees_fen: number; code: string; name: string; name_zh: string | null; amount_fen: number }>(
      `SELECT b.id AS bill_id, b.period, bb.paid_fen, bb.late_fees_fen, fi.code, fi.name, fi.name_zh, bl.amount_fen
         FROM bills b JOIN bill_balances bb ON bb.bill_id = b.id JOIN bill_lines bl ON bl.bill_id = b.id JOIN fee_items fi ON fi.id = bl.fee_item_id
        WHERE b.voided_at IS NULL AND b.period BETWEEN $1 AND $2 AND ($3::text IS NULL OR b.building_id = $3)
          AND (cardinality($4::text[]) = 0 OR b.building_id = ANY($4::text[]))
        ORDER BY b.id, bl.line_no`,
      scope,
    );
    const totals = new Map<string, { period: string; code: string; name: string; nameZh: string | null; billedFen: Fen; collectedFen: Fen }>();
    const add = (period: string, code: string, name: string, nameZh: string | null, billed: Fen, collected: Fen) => {
      const key = `${period}\u0000${code}`;
      const t = totals.get(key) ?? { period, code, name, nameZh, billedFen: 0, collectedFen: 0 };
      t.billedFen += billed;
      t.collectedFen += collected;
      totals.set(key, t);
    };
    for (let i = 0; i < rows.length; ) {
      const bill = rows[i];
      const lines = [];
      while (i < rows.length && rows[i].bill_id === bill.bill_id) lines.push(rows[i++]);
      const lateFees = fenOf(bill.late_fees_fen);
      // Negative lines (discounts) take no share: the weights must not be negative.
      const weights = [...lines.map((l) => BigInt(Math.max(0, fenOf(l.amount_fen)))), BigInt(Math.max(0, lateFees))];
      const shares = apportion(fenOf(bill.paid_fen), weights);
      lines.forEach((l, k) => add(bill.period, l.code, l.name, l.name_zh, fenOf(l.amount_fen), shares[k]));
      if (lateFees !== 0) add(bill.period, 'late_fee', 'Late fees', '滞纳金', lateFees, shares[lines.length]);
    }
    return {
      name: 'income',
      title: { zh: '按收费项目收入', en: 'Income by fee item' },
      scope: { from: q.from, to: q.to, building: q.buildingId ?? null },
      columns: [
        col('period', '账期', 'Period'),
        col('feeItem', '收费项目', 'Fee item'),
        col('name', '名称', 'Name'),
        col('billedFen', '应收', 'Billed', 'fen'),
        col('collectedFen', '实收', 'Collected', 'fen'),
      ],
      rows: [...totals.values()]
        .sort((a, b) => (a.period === b.period ? a.code.localeCompare(b.code) : a.period.localeCompare(b.period)))
        .map((t) => ({ period: t.period, feeItem: t.code, name: t.nameZh ? `${t.nameZh} ${t.name}` : t.name, billedFen: t.billedFen, collectedFen: t.collectedFen })),
    };
  }

  private async utilities(q: ReportQuery, scope: unknown[]): Promise<Report> {
    const { rows } = await this.db.query<{ period: string; building_id: string; kind: string; readings: number; flagged: number; unit_use: string; shared_use: string }>(
      `SELECT r.period, m.building_id, m.kind, count(*)::int AS readings, count(*) FILTER (WHERE r.status = 'flagged')::int AS flagged,
              coalesce(sum(r.consumption) FILTER (WHERE r.status <> 'flagged' AND m.unit_id IS NOT NULL), 0)::text AS unit_use,
              coalesce(sum(r.consumption) FILTER (WHERE r.status <> 'flagged' AND m.unit_id IS NULL), 0)::text AS shared_use
         FROM meter_readings r JOIN meters m ON m.id = r.meter_id
        WHERE r.period BETWEEN $1 AND $2 AND ($3::text IS NULL OR m.building_id = $3)
          AND (cardinality($4::text[]) = 0 OR m.building_id = ANY($4::text[]))
        GROUP BY r.period, m.building_id, m.kind ORDER BY r.period, m.building_id, m.kind`,
      scope,
    );
    return {
      name: 'utilities',
      title: { zh: '水电用量', en: 'Utility use' },
      scope: { from: q.from, to: q.to, building: q.buildingId ?? null },
      columns: [
        col('period', '账期', 'Period'),
        col('buildingId', '楼栋', 'Building'),
        col('kind', '类别', 'Kind'),
        col('unit', '单位', 'Unit'),
        col('readings', '读数', 'Readings', 'int'),
        col('flagged', '待核', 'Flagged', 'int'),
        col('unitConsumption', '户表用量', 'Units', 'decimal'),
        col('sharedConsumption', '公摊用量', 'Shared', 'decimal'),
      ],
      rows: rows.map((r) => ({
        period: r.period,
        buildingId: r.building_id,
        kind: r.kind,
        unit: r.kind === 'water' ? 'm³' : 'kWh',
        readings: r.readings,
        flagged: r.flagged,
        unitConsumption: r.unit_use,
        sharedConsumption: r.shared_use,
      })),
    };
  }
}

/** RFC 4180: CRLF line ends; a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(value: ReportCell): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The report as CSV: a UTF-8 BOM (so Excel reads the Chinese right), a header row of the JSON keys, the rows. */
export function reportCsv(report: Report): string {
  const lines = [report.columns.map((c) => csvField(c.key)).join(','), ...report.rows.map((r) => report.columns.map((c) => csvField(r[c.key] ?? null)).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The report as a simple bilingual table; fen shown in yuan. */
export async function reportPdf(report: Report): Promise<Buffer> {
  return renderPdf({ title: `${report.title.zh} ${report.title.en}` }, (doc) => {
    const left = doc.page.margins.left;
    const width = doc.page.width - left - doc.page.margins.right;
    const cell = width / report.columns.length;
    doc.fontSize(14).text(`${report.title.zh} ${report.title.en}`);
    doc.fontSize(9).text(Object.entries(report.scope).map(([k, v]) => `${k}: ${v ?? '—'}`).join('    '));
    doc.moveDown();
    const row = (cells: string[], size: number) => {
      if (doc.y > doc.page.height - doc.page.margins.bottom - 30) doc.addPage();
      const y = doc.y;
      let bottom = y;
      doc.fontSize(size);
      cells.forEach((text, i) => {
        doc.text(text, left + i * cell, y, { width: cell - 4 });
        bottom = Math.max(bottom, doc.y);
      });
      doc.x = left;
      doc.y = bottom + 2;
    };
    row(report.columns.map((c) => `${c.zh}\n${c.en}`), 8);
    for (const r of report.rows) {
      row(report.columns.map((c) => {
        const v = r[c.key] ?? null;
        if (v === null) return '';
        return c.kind === 'fen' ? displayYuan(Number(v)) : String(v);
      }), 8);
    }
    if (report.rows.length === 0) doc.fontSize(9).text('无数据 No data');
  });
}
