import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import type { ImprovementPlanService, PlanRow } from './improvement-plans.service.js';
import { previousPeriod, type QualityPeriod } from './quality-period.js';
import { surveyGroups, type SurveyGroup } from './satisfaction-groups.js';
import type { CampaignResults, SurveyService } from './surveys.service.js';

/** A group's satisfaction this period beside the previous one. */
export interface TrendLine {
  key: string;
  name?: string;
  count: number;
  average: number | null;
  previousCount: number;
  previousAverage: number | null;
  /** average − previousAverage, null when either is missing. */
  delta: number | null;
}

export interface SatisfactionReport {
  period: QualityPeriod;
  previousPeriod: QualityPeriod;
  building: string | null;
  requests: { created: number; closed: number; rejected: number; byChannel: { key: string; count: number }[] };
  overall: TrendLine;
  byCategory: TrendLine[];
  byBuilding: TrendLine[];
  byStaff: TrendLine[];
  /** The periodic surveys about this period. */
  campaigns: CampaignResults[];
  openImprovementPlans: PlanRow[];
}

const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round((a - b) * 100) / 100);

/** Lines of both periods, by key: a group present in only one of them still shows. */
function trend(now: SurveyGroup[], before: SurveyGroup[]): TrendLine[] {
  const keys = [...new Set([...now, ...before].map((g) => g.key))].sort((a, b) => a.localeCompare(b));
  return keys.map((key) => {
    const a = now.find((g) => g.key === key);
    const b = before.find((g) => g.key === key);
    const name = a?.name ?? b?.name;
    return {
      key,
      ...(name !== undefined ? { name } : {}),
      count: a?.count ?? 0,
      average: a?.average ?? null,
      previousCount: b?.count ?? 0,
      previousAverage: b?.average ?? null,
      delta: delta(a?.average ?? null, b?.average ?? null),
    };
  });
}

/**
 * The periodic satisfaction report (a month or a quarter): requests taken and closed,
 * request-survey averages overall and by category, building and staff with the trend
 * against the previous period of the same length, the periodic survey campaigns about
 * the period, and the improvement plans still open. As JSON, or CSV for spreadsheets.
 */
export class SatisfactionReportService {
  constructor(
    private readonly db: Database,
    private readonly surveys: SurveyService,
    private readonly plans: ImprovementPlanService,
  ) {}

  async report(user: SessionUser, period: QualityPeriod, q: { building?: string }): Promise<SatisfactionReport> {
    if (q.building !== undefined && !canSeeBuilding(user, q.building)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no building ${q.building}`);
    const previous = previousPeriod(period);
    const scope = { building: q.building, userBuildings: user.buildings };
    const [now, before, requests, campaigns, plans] = await Promise.all([
      surveyGroups(this.db, { from: period.from, to: period.to, ...scope }),
      surveyGroups(this.db, { from: previous.from, to: previous.to, ...scope }),
      this.requestCounts(user, period, q.building),
      this.surveys.list(user, { period: period.label }),
      this.plans.list(user, { status: ['open', 'in_progress'] }),
    ]);
    return {
      period,
      previousPeriod: previous,
      building: q.building ?? null,
      requests,
      overall: trend([{ key: 'all', count: now.count, average: now.average }], [{ key: 'all', count: before.count, average: before.average }])[0],
      byCategory: trend(now.byCategory, before.byCategory),
      byBuilding: trend(now.byBuilding, before.byBuilding),
      byStaff: trend(now.byStaff, before.byStaff),
      campaigns: await Promise.all(campaigns.filter((c) => q.building === undefined || c.building_id === null || c.building_id === q.building).map((c) => this.surveys.results(user, c.id))),
      openImprovementPlans: plans.filter((p) => q.building === undefined || p.building_id === null || p.building_id === q.building),
    };
  }

  /** The report as one CSV table: a row per score line, then one per open improvement plan. */
  async csv(user: SessionUser, period: QualityPeriod, q: { building?: string }): Promise<{ filename: string; body: string }> {
    const r = await this.report(user, period, q);
    const header = ['section', 'key', 'name', 'count', 'average', 'previous_count', 'previous_average', 'delta', 'status', 'due_date', 'overdue', 'owner'];
    const lines = [header.join(',')];
    const scoreRow = (section: string, l: TrendLine) => [section, l.key, l.name ?? '', l.count, l.average ?? '', l.previousCount, l.previousAverage ?? '', l.delta ?? '', '', '', '', ''];
    const rows: (string | number)[][] = [
      ['requests', 'created', '', r.requests.created, '', '', '', '', '', '', '', ''],
      ['requests', 'closed', '', r.requests.closed, '', '', '', '', '', '', '', ''],
      ['requests', 'rejected', '', r.requests.rejected, '', '', '', '', '', '', '', ''],
      scoreRow('overall', r.overall),
      ...r.byCategory.map((l) => scoreRow('category', l)),
      ...r.byBuilding.map((l) => scoreRow('building', l)),
      ...r.byStaff.map((l) => scoreRow('staff', l)),
      ...r.campaigns.flatMap((c) => c.byDimension.map((d) => [`campaign ${c.campaign.id}`, d.dimension, c.campaign.title, d.count, d.average ?? '', '', '', '', '', '', '', ''])),
      ...r.openImprovementPlans.map((p) => ['improvement_plan', p.id, p.title, '', '', '', '', '', p.status, p.due_date, p.overdue ? 'yes' : 'no', p.owner_name]),
    ];
    // Numbers as they are (a negative delta is not a formula); text defused.
    for (const row of rows) lines.push(row.map((v) => (typeof v === 'number' ? String(v) : csvCell(v))).join(','));
    const filename = `satisfaction-${period.label}${q.building ? `-${q.building}` : ''}.csv`.replace(/[^A-Za-z0-9_.-]/g, '_');
    return { filename, body: `${lines.join('\r\n')}\r\n` };
  }

  private async requestCounts(user: SessionUser, period: QualityPeriod, building: string | undefined): Promise<SatisfactionReport['requests']> {
    const args: unknown[] = [period.from, period.to];
    const where: string[] = [];
    if (building !== undefined) where.push(`r.building_id = $${args.push(building)}`);
    if (user.buildings.length) where.push(`r.building_id = ANY($${args.push(user.buildings)}::text[])`);
    const and = where.map((w) => ` AND ${w}`).join('');
    const { rows } = await this.db.query<{ created: number; closed: number; rejected: number }>(
      `SELECT count(*) FILTER (WHERE r.created_at >= $1 AND r.created_at < $2)::int AS created,
              count(*) FILTER (WHERE r.status = 'closed' AND r.closed_at >= $1 AND r.closed_at < $2)::int AS closed,
              count(*) FILTER (WHERE r.status = 'rejected' AND r.closed_at >= $1 AND r.closed_at < $2)::int AS rejected
         FROM service_requests r WHERE TRUE${and}`,
      args,
    );
    const byChannel = await this.db.query<{ key: string; count: number }>(
      `SELECT r.channel AS key, count(*)::int AS count FROM service_requests r WHERE r.created_at >= $1 AND r.created_at < $2${and} GROUP BY 1 ORDER BY 1`,
      args,
    );
    return { ...rows[0], byChannel: byChannel.rows };
  }
}

/** RFC 4180 quoting; a leading = + - @ is defused so a spreadsheet never runs text as a formula. */
function csvCell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
