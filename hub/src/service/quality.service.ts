import { recordAudit } from '../audit/index.js';
import type { SessionUser } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { average } from './satisfaction-groups.js';
import type { QualityPeriod } from './quality-period.js';

/**
 * The weights of the service-quality score (see qualityScore). Satisfaction weighs most:
 * it is what residents feel; SLA kept is what the company promised; reopened work is
 * the fix that did not hold.
 */
export const QUALITY_WEIGHTS = { satisfaction: 0.5, slaKept: 0.3, notReopened: 0.2 } as const;

export interface QualityInputs {
  /** Average survey score (1–5) of the closed requests the person served, or null if none was rated. */
  surveyAverage: number | null;
  /** Share of the person's resolved work orders that kept their SLA, or null if none. */
  slaKeptRatio: number | null;
  /** Share of the person's resolutions that were later reopened, or null if none. */
  reopenRate: number | null;
}

/**
 * score = 100 × (0.5·S + 0.3·K + 0.2·(1 − R)) / (sum of the weights of the measured parts)
 *
 *   S = (survey average − 1) / 4   the 1–5 survey scale mapped onto 0–1
 *   K = SLA kept ratio             resolved by the resolve deadline (and, once accepted, accepted by the accept deadline)
 *   R = reopen rate                resolutions later reopened (by a person or by the fault recurring)
 *
 * A part with nothing to measure (no rated request, no resolved work) is left out and
 * the others are re-weighted, so nobody is scored on what did not happen; with nothing
 * measured at all the score is null. Rounded to one decimal.
 */
export function qualityScore(q: QualityInputs): number | null {
  const parts: [weight: number, value: number][] = [];
  if (q.surveyAverage !== null) parts.push([QUALITY_WEIGHTS.satisfaction, (q.surveyAverage - 1) / 4]);
  if (q.slaKeptRatio !== null) parts.push([QUALITY_WEIGHTS.slaKept, q.slaKeptRatio]);
  if (q.reopenRate !== null) parts.push([QUALITY_WEIGHTS.notReopened, 1 - q.reopenRate]);
  if (!parts.length) return null;
  const weights = parts.reduce((n, [w]) => n + w, 0);
  const sum = parts.reduce((n, [w, v]) => n + w * v, 0);
  return Math.round((1000 * sum) / weights) / 10;
}

export interface StaffEvaluation {
  staffId: number;
  name: string;
  position: string | null;
  trades: string[];
  surveys: { count: number; average: number | null };
  workOrders: { resolved: number; slaKept: number; slaKeptRatio: number | null };
  resolutions: { count: number; reopened: number; reopenRate: number | null };
  score: number | null;
  reviews: ReviewRow[];
}

export interface ReviewRow {
  id: number;
  staff_id: number;
  period: string;
  rating: number | null;
  comment: string;
  reviewer: string;
  at: Date;
}

const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

/**
 * Service-quality evaluation of staff over a period, from what the records already hold:
 *
 * - surveys: ratings taken in the period of closed requests whose work order the person
 *   was assigned (the same attribution as the satisfaction analysis);
 * - SLA kept: work orders the person resolved in the period and still holds (the
 *   definition of the staff work records, GET /api/staff/:id/work-record);
 * - reopen rate: resolutions (work-order 'resolve' events) in the period made while the
 *   person was the assignee (the last 'assign' before them) that a later 'reopen' undid.
 *   Resolutions are read from the timeline because a reopen clears the assignee.
 *
 * Managers add written evaluations (with an optional 1–5 rating), each audited.
 */
export class QualityService {
  constructor(private readonly db: Database) {}

  async evaluate(user: SessionUser, period: QualityPeriod, q: { building?: string; staffId?: number }): Promise<StaffEvaluation[]> {
    const args: unknown[] = [period.from, period.to];
    const where = ['s.active'];
    if (q.staffId !== undefined) where.push(`s.id = $${args.push(q.staffId)}`);
    if (q.building !== undefined) where.push(inBuildings(`$${args.push([q.building])}::text[]`));
    if (user.buildings.length) where.push(inBuildings(`$${args.push(user.buildings)}::text[]`));
    const { rows } = await this.db.query<{
      id: number;
      name: string;
      position: string | null;
      trades: string[];
      survey_count: number;
      survey_average: string | null;
      resolved: number;
      sla_kept: number;
      resolutions: number;
      reopened: number;
    }>(
      `WITH surveys AS (
         SELECT w.assignee_id AS staff_id, count(*)::int AS n, round(avg(sv.score), 2)::text AS average
           FROM service_surveys sv
           JOIN service_requests r ON r.id = sv.request_id
           JOIN work_orders w ON w.id = r.work_order_id
          WHERE sv.at >= $1 AND sv.at < $2 AND w.assignee_id IS NOT NULL
          GROUP BY w.assignee_id),
       resolved AS (
         SELECT w.assignee_id AS staff_id, count(*)::int AS n,
                count(*) FILTER (WHERE w.resolved_at <= w.resolve_due_at AND (w.accepted_at IS NULL OR w.accepted_at <= w.accept_due_at))::int AS kept
           FROM work_orders w
          WHERE w.status IN ('resolved', 'closed') AND w.resolved_at >= $1 AND w.resolved_at < $2 AND w.assignee_id IS NOT NULL
          GROUP BY w.assignee_id),
       resolutions AS (
         SELECT (SELECT (a.details->>'staffId')::bigint FROM work_order_events a
                  WHERE a.work_order_id = e.work_order_id AND a.action = 'assign' AND a.id < e.id
                  ORDER BY a.id DESC LIMIT 1) AS staff_id,
                EXISTS (SELECT 1 FROM work_order_events x WHERE x.work_order_id = e.work_order_id AND x.action = 'reopen' AND x.id > e.id) AS reopened
           FROM work_order_events e
          WHERE e.action = 'resolve' AND e.at >= $1 AND e.at < $2),
       reopens AS (
         SELECT staff_id, count(*)::int AS n, count(*) FILTER (WHERE reopened)::int AS reopened FROM resolutions WHERE staff_id IS NOT NULL GROUP BY staff_id)
       SELECT s.id::int AS id, s.name, s.position, s.trades,
              coalesce(sv.n, 0) AS survey_count, sv.average AS survey_average,
              coalesce(rs.n, 0) AS resolved, coalesce(rs.kept, 0) AS sla_kept,
              coalesce(ro.n, 0) AS resolutions, coalesce(ro.reopened, 0) AS reopened
         FROM staff s
         LEFT JOIN surveys sv ON sv.staff_id = s.id
         LEFT JOIN resolved rs ON rs.staff_id = s.id
         LEFT JOIN reopens ro ON ro.staff_id = s.id
        WHERE ${where.join(' AND ')}
        ORDER BY lower(s.name), s.id`,
      args,
    );
    const reviews = await this.reviews(rows.map((r) => r.id), period.label);
    return rows.map((r): StaffEvaluation => {
      const surveyAverage = average(r.survey_average);
      const slaKeptRatio = ratio(r.sla_kept, r.resolved);
      const reopenRate = ratio(r.reopened, r.resolutions);
      return {
        staffId: r.id,
        name: r.name,
        position: r.position,
        trades: r.trades,
        surveys: { count: r.survey_count, average: surveyAverage },
        workOrders: { resolved: r.resolved, slaKept: r.sla_kept, slaKeptRatio },
        resolutions: { count: r.resolutions, reopened: r.reopened, reopenRate },
        score: qualityScore({ surveyAverage, slaKeptRatio, reopenRate }),
        reviews: reviews.filter((v) => v.staff_id === r.id),
      };
    });
  }

  /** A manager's written evaluation of a member of staff for a period; audited. */
  async addReview(user: SessionUser, staffId: number, input: { period: string; rating?: number; comment: string }): Promise<ReviewRow> {
    return this.db.transaction(async (tx) => {
      const args: unknown[] = [staffId];
      const visible = user.buildings.length ? ` AND ${inBuildings(`$${args.push(user.buildings)}::text[]`)}` : '';
      if (!(await tx.query(`SELECT 1 FROM staff s WHERE s.id = $1${visible}`, args)).rowCount) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no staff member ${staffId}`);
      const row = (await tx.query<ReviewRow>(
        `INSERT INTO staff_reviews (staff_id, period, rating, comment, user_id, reviewer) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id::int AS id, staff_id::int AS staff_id, period, rating, comment, reviewer, at`,
        [staffId, input.period, input.rating ?? null, input.comment, user.id, user.username],
      )).rows[0];
      // The comment is an opinion about a person: it stays in staff_reviews, the audit says who wrote one and when.
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'staff.review', targetType: 'staff', targetId: staffId, details: { reviewId: row.id, period: input.period, rating: input.rating ?? null } });
      return row;
    });
  }

  private async reviews(staffIds: number[], period: string): Promise<ReviewRow[]> {
    if (!staffIds.length) return [];
    return (await this.db.query<ReviewRow>(
      `SELECT id::int AS id, staff_id::int AS staff_id, period, rating, comment, reviewer, at FROM staff_reviews WHERE staff_id = ANY($1::bigint[]) AND period = $2 ORDER BY at, id`,
      [staffIds, period],
    )).rows;
  }
}

/** Staff working in one of these buildings, or estate-wide (no building of their own). */
function inBuildings(param: string): string {
  return `(NOT EXISTS (SELECT 1 FROM staff_buildings sb WHERE sb.staff_id = s.id)
           OR EXISTS (SELECT 1 FROM staff_buildings sb WHERE sb.staff_id = s.id AND sb.building_id = ANY(${param})))`;
}
