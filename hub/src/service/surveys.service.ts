import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { fieldError, fieldErrors, isUniqueViolation } from './quality-errors.js';
import { average } from './satisfaction-groups.js';

/** What a periodic survey asks owners to score, 1–5 each. */
export const surveyDimensions = ['overall', 'cleanliness', 'security', 'maintenance', 'staff_attitude'] as const;
export type SurveyDimension = (typeof surveyDimensions)[number];

export type CampaignStatus = 'scheduled' | 'open' | 'closed';

export interface CampaignRow {
  id: number;
  title: string;
  period: string;
  building_id: string | null;
  dimensions: SurveyDimension[];
  opens_at: Date;
  closes_at: Date;
  created_by: string;
  created_at: Date;
  invited: number;
  answered: number;
}

export interface CampaignInput {
  title: string;
  period: string;
  buildingId?: string;
  dimensions?: SurveyDimension[];
  closesAt?: Date;
}

export interface DimensionScore {
  dimension: string;
  count: number;
  average: number | null;
}

export interface CampaignResults {
  campaign: CampaignRow;
  invited: number;
  answered: number;
  responseRate: number | null;
  byDimension: DimensionScore[];
  byBuilding: { buildingId: string; invited: number; answered: number; responseRate: number | null; byDimension: DimensionScore[] }[];
  /** Free-text comments, without who wrote them. */
  comments: { buildingId: string; comment: string; answeredAt: Date }[];
}

/** How long a campaign stays open when its creator does not say. */
const DEFAULT_OPEN_DAYS = 14;

const CAMPAIGN_SELECT = `
  SELECT c.id::int AS id, c.title, c.period, c.building_id, c.dimensions, c.opens_at, c.closes_at, c.created_by, c.created_at,
         (SELECT count(*)::int FROM survey_invitations i WHERE i.campaign_id = c.id) AS invited,
         (SELECT count(*)::int FROM survey_answers a WHERE a.campaign_id = c.id) AS answered
    FROM survey_campaigns c`;

export const campaignStatus = (c: Pick<CampaignRow, 'opens_at' | 'closes_at'>, now: Date): CampaignStatus =>
  now < c.opens_at ? 'scheduled' : now < c.closes_at ? 'open' : 'closed';

const rate = (answered: number, invited: number) => (invited === 0 ? null : Math.round((answered / invited) * 10_000) / 10_000);

/**
 * Periodic satisfaction surveys: a campaign (a quarter's, a month's) is sent to the
 * owners of a building or of the estate; the invitations are recorded when it is
 * created (the owners holding a unit in its scope that day); each invited owner answers
 * once through the portal, scoring every dimension; results are analysed by dimension
 * and building.
 */
export class SurveyService {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(user: SessionUser, input: CampaignInput): Promise<CampaignRow> {
    const now = this.now();
    const buildingId = input.buildingId ?? null;
    if (buildingId !== null && !(await this.db.query('SELECT 1 FROM buildings WHERE id = $1', [buildingId])).rowCount) throw fieldError('body.buildingId', `no building ${buildingId}`);
    if (!canSeeBuilding(user, buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', buildingId ? `you may not work in building ${buildingId}` : 'you are limited to some buildings: name one');
    const closesAt = input.closesAt ?? new Date(now.getTime() + DEFAULT_OPEN_DAYS * 86_400_000);
    if (closesAt <= now) throw fieldError('body.closesAt', 'must be in the future');
    const dimensions = input.dimensions ?? [...surveyDimensions];

    return this.db.transaction(async (tx) => {
      const id = (await tx.query<{ id: number }>(
        `INSERT INTO survey_campaigns (title, period, building_id, dimensions, opens_at, closes_at, created_by, user_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $5) RETURNING id::int AS id`,
        [input.title, input.period, buildingId, dimensions, now, closesAt, user.username, user.id],
      )).rows[0].id;
      // An owner holding units in several buildings of the scope answers once; the answer counts for the lowest building id.
      const invited = (await tx.query(
        `INSERT INTO survey_invitations (campaign_id, owner_id, building_id, invited_at)
         SELECT $1, c.owner_id, min(u.building_id), $2
           FROM current_unit_owners c JOIN units u ON u.id = c.unit_id
          WHERE $3::text IS NULL OR u.building_id = $3
          GROUP BY c.owner_id`,
        [id, now, buildingId],
      )).rowCount ?? 0;
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'survey_campaign.create', targetType: 'survey_campaign', targetId: id, details: { period: input.period, buildingId, invited } });
      return (await tx.query<CampaignRow>(`${CAMPAIGN_SELECT} WHERE c.id = $1`, [id])).rows[0];
    });
  }

  /** Campaigns of the user's buildings and estate-wide ones, newest first. */
  async list(user: SessionUser, q: { period?: string }): Promise<CampaignRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.period) where.push(`c.period = $${args.push(q.period)}`);
    if (user.buildings.length) where.push(`(c.building_id IS NULL OR c.building_id = ANY($${args.push(user.buildings)}::text[]))`);
    return (await this.db.query<CampaignRow>(`${CAMPAIGN_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.id DESC LIMIT 500`, args)).rows;
  }

  /** Results by dimension and by building; users limited to some buildings see theirs only. */
  async results(user: SessionUser, id: number): Promise<CampaignResults> {
    const campaign = (await this.db.query<CampaignRow>(`${CAMPAIGN_SELECT} WHERE c.id = $1`, [id])).rows[0];
    if (!campaign || !(campaign.building_id === null || canSeeBuilding(user, campaign.building_id))) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no survey campaign ${id}`);
    const limit = user.buildings.length ? user.buildings : null;
    const args = [id, limit];
    const inScope = '($2::text[] IS NULL OR i.building_id = ANY($2::text[]))';
    const [scores, counts, comments] = await Promise.all([
      this.db.query<{ building_id: string | null; dimension: string; count: number; average: string | null }>(
        `SELECT i.building_id, s.dimension, count(*)::int AS count, round(avg(s.score), 2)::text AS average
           FROM survey_answer_scores s JOIN survey_invitations i USING (campaign_id, owner_id)
          WHERE s.campaign_id = $1 AND ${inScope}
          GROUP BY GROUPING SETS ((s.dimension), (i.building_id, s.dimension))
          ORDER BY i.building_id NULLS FIRST, s.dimension`,
        args,
      ),
      this.db.query<{ building_id: string; invited: number; answered: number }>(
        `SELECT i.building_id, count(*)::int AS invited, count(a.owner_id)::int AS answered
           FROM survey_invitations i LEFT JOIN survey_answers a USING (campaign_id, owner_id)
          WHERE i.campaign_id = $1 AND ${inScope}
          GROUP BY i.building_id ORDER BY i.building_id`,
        args,
      ),
      this.db.query<{ building_id: string; comment: string; answered_at: Date }>(
        `SELECT i.building_id, a.comment, a.answered_at
           FROM survey_answers a JOIN survey_invitations i USING (campaign_id, owner_id)
          WHERE a.campaign_id = $1 AND a.comment IS NOT NULL AND ${inScope}
          ORDER BY a.answered_at, i.building_id`,
        args,
      ),
    ]);
    // Dimensions in the campaign's order; a dimension nobody scored yet shows count 0.
    const dimensionsOf = (buildingId: string | null): DimensionScore[] =>
      campaign.dimensions.map((dimension) => {
        const r = scores.rows.find((s) => s.building_id === buildingId && s.dimension === dimension);
        return { dimension, count: r?.count ?? 0, average: average(r?.average ?? null) };
      });
    const invited = counts.rows.reduce((n, r) => n + r.invited, 0);
    const answered = counts.rows.reduce((n, r) => n + r.answered, 0);
    return {
      campaign,
      invited,
      answered,
      responseRate: rate(answered, invited),
      byDimension: dimensionsOf(null),
      byBuilding: counts.rows.map((r) => ({ buildingId: r.building_id, invited: r.invited, answered: r.answered, responseRate: rate(r.answered, r.invited), byDimension: dimensionsOf(r.building_id) })),
      comments: comments.rows.map((c) => ({ buildingId: c.building_id, comment: c.comment, answeredAt: c.answered_at })),
    };
  }

  // ------------------------------------------------------------ the owner's side

  /** The open campaigns the owner was invited to, and whether they answered. */
  async mine(user: SessionUser): Promise<(CampaignRow & { answered_at: Date | null })[]> {
    const me = await this.ownerOf(user);
    const { rows } = await this.db.query<CampaignRow & { answered_at: Date | null }>(
      `SELECT x.*, a.answered_at FROM (${CAMPAIGN_SELECT}) x
         JOIN survey_invitations i ON i.campaign_id = x.id AND i.owner_id = $1
         LEFT JOIN survey_answers a ON a.campaign_id = x.id AND a.owner_id = $1
        WHERE x.opens_at <= $2 AND x.closes_at > $2
        ORDER BY x.closes_at, x.id`,
      [me, this.now()],
    );
    return rows;
  }

  /** The owner answers an open campaign they were invited to, once, scoring every dimension it asks. */
  async answer(user: SessionUser, id: number, input: { scores: Partial<Record<SurveyDimension, number>>; comment?: string }): Promise<{ answeredAt: Date }> {
    const me = await this.ownerOf(user);
    const now = this.now();
    try {
      return await this.db.transaction(async (tx) => {
        const c = (await tx.query<{ dimensions: SurveyDimension[]; opens_at: Date; closes_at: Date }>(
          `SELECT c.dimensions, c.opens_at, c.closes_at FROM survey_campaigns c JOIN survey_invitations i ON i.campaign_id = c.id AND i.owner_id = $2 WHERE c.id = $1`,
          [id, me],
        )).rows[0];
        if (!c) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no survey campaign ${id} for you`);
        const status = campaignStatus(c, now);
        if (status !== 'open') throw new WardenError('WARDEN_ERR_INVALID_TRANSITION', `the survey is ${status}: answers are taken while it is open`, { from: status, allowedFrom: ['open'] });
        const issues = [
          ...c.dimensions.filter((d) => input.scores[d] === undefined).map((d) => ({ field: `body.scores.${d}`, message: 'score every dimension of the survey (1–5)' })),
          ...Object.keys(input.scores)
            .filter((d) => !c.dimensions.includes(d as SurveyDimension))
            .map((d) => ({ field: `body.scores.${d}`, message: 'this survey does not ask about it' })),
        ];
        if (issues.length) throw fieldErrors(issues);
        if ((await tx.query('SELECT 1 FROM survey_answers WHERE campaign_id = $1 AND owner_id = $2', [id, me])).rowCount) throw alreadyAnswered();
        await tx.query('INSERT INTO survey_answers (campaign_id, owner_id, user_id, comment, answered_at) VALUES ($1, $2, $3, $4, $5)', [id, me, user.id, input.comment ?? null, now]);
        await tx.query(
          `INSERT INTO survey_answer_scores (campaign_id, owner_id, dimension, score) SELECT $1, $2, d, s FROM unnest($3::text[], $4::int[]) AS x (d, s)`,
          [id, me, c.dimensions, c.dimensions.map((d) => input.scores[d])],
        );
        return { answeredAt: now };
      });
    } catch (err) {
      // Two answers at once: the primary key lets one in.
      if (isUniqueViolation(err)) throw alreadyAnswered();
      throw err;
    }
  }

  private async ownerOf(user: SessionUser): Promise<number> {
    const me = (await this.db.query<{ id: number }>('SELECT id::int AS id FROM owners WHERE user_id = $1', [user.id])).rows[0];
    if (!me) throw new WardenError('WARDEN_ERR_FORBIDDEN', 'your login is not linked to an owner record');
    return me.id;
  }
}

const alreadyAnswered = () => new WardenError('WARDEN_ERR_CONFLICT', 'you have already answered this survey');
