import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type Role, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { fieldError } from './quality-errors.js';
import { parsePeriod } from './quality-period.js';
import { surveyGroups } from './satisfaction-groups.js';
import { categories, type Category } from './service-request.types.js';

export const findingTypes = ['category', 'building', 'staff'] as const;
export type FindingType = (typeof findingTypes)[number];
export const planStatuses = ['open', 'in_progress', 'done'] as const;
export type PlanStatus = (typeof planStatuses)[number];

/** Who opens plans and may move any of them; the plan's owner moves their own. */
export const planManagerRoles: readonly Role[] = ['admin', 'manager'];

export interface PlanRow {
  id: number;
  title: string;
  finding_type: FindingType;
  finding_key: string;
  finding_period: string | null;
  finding_count: number | null;
  finding_average: string | null;
  building_id: string | null;
  owner_user_id: number;
  owner_name: string;
  actions: string[];
  due_date: string;
  status: PlanStatus;
  overdue: boolean;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  done_at: Date | null;
}

export interface PlanNoteRow {
  id: number;
  at: Date;
  actor: string;
  from_status: string | null;
  to_status: string | null;
  note: string;
}

export interface PlanInput {
  title: string;
  finding: { type: FindingType; key: string; period?: string };
  ownerUserId: number;
  actions: string[];
  dueDate: string;
  note?: string;
}

/**
 * The lifecycle: open → in_progress → done, and back from done to in_progress when the
 * problem comes back. "Overdue" is not a status people set: it is derived (not done and
 * the due date, a calendar day in UTC, has passed) so it can never be forgotten.
 */
const allowedMoves: Record<PlanStatus, readonly PlanStatus[]> = { open: ['in_progress', 'done'], in_progress: ['done'], done: ['in_progress'] };

const PLAN_SELECT = `
  SELECT p.id::int AS id, p.title, p.finding_type, p.finding_key, p.finding_period, p.finding_count, p.finding_average::text AS finding_average,
         p.building_id, p.owner_user_id::int AS owner_user_id, u.display_name AS owner_name, p.actions, to_char(p.due_date, 'YYYY-MM-DD') AS due_date,
         p.status, (p.status <> 'done' AND p.due_date < ($1::timestamptz AT TIME ZONE 'UTC')::date) AS overdue,
         p.created_by, p.created_at, p.updated_at, p.done_at
    FROM improvement_plans p JOIN users u ON u.id = p.owner_user_id`;

/**
 * Improvement plans: opened from a low-scoring finding (a category, a building or a
 * member of staff), with an owner, actions and a due date; moved through their status
 * with progress notes; each change audited.
 */
export class ImprovementPlanService {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(user: SessionUser, input: PlanInput): Promise<PlanRow> {
    const buildingId = await this.checkFinding(user, input.finding.type, input.finding.key);
    const owner = (await this.db.query<{ role: string; disabled: boolean }>('SELECT role, disabled FROM users WHERE id = $1', [input.ownerUserId])).rows[0];
    if (!owner || owner.disabled) throw fieldError('body.ownerUserId', `no user ${input.ownerUserId}`);
    if (owner.role === 'owner') throw fieldError('body.ownerUserId', 'a plan is owned by a member of staff, not an owner');
    if (input.dueDate < this.now().toISOString().slice(0, 10)) throw fieldError('body.dueDate', 'must not be in the past');

    // The evidence: the finding's satisfaction over the period named, measured now, not typed in.
    let evidence: { count: number; average: number | null } | null = null;
    if (input.finding.period !== undefined) {
      const p = parsePeriod(input.finding.period);
      const groups = await surveyGroups(this.db, { from: p.from, to: p.to, userBuildings: user.buildings });
      const list = input.finding.type === 'category' ? groups.byCategory : input.finding.type === 'building' ? groups.byBuilding : groups.byStaff;
      const g = list.find((x) => x.key === input.finding.key);
      evidence = { count: g?.count ?? 0, average: g?.average ?? null };
    }

    return this.db.transaction(async (tx) => {
      const now = this.now();
      const id = (await tx.query<{ id: number }>(
        `INSERT INTO improvement_plans (title, finding_type, finding_key, finding_period, finding_count, finding_average, building_id, owner_user_id, actions, due_date, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id::int AS id`,
        [input.title, input.finding.type, input.finding.key, input.finding.period ?? null, evidence?.count ?? null, evidence?.average ?? null, buildingId, input.ownerUserId, input.actions, input.dueDate, user.username, now],
      )).rows[0].id;
      await insertNote(tx, { planId: id, user, from: null, to: 'open', note: input.note ?? 'plan opened', at: now });
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'improvement_plan.create', targetType: 'improvement_plan', targetId: id, details: { finding: input.finding, ownerUserId: input.ownerUserId, dueDate: input.dueDate } });
      return (await selectPlan(tx, id, now))!;
    });
  }

  async list(user: SessionUser, q: { status?: PlanStatus[]; overdue?: boolean; owner?: 'me' }): Promise<PlanRow[]> {
    const now = this.now();
    const args: unknown[] = [now];
    const where: string[] = [];
    if (q.status?.length) where.push(`p.status = ANY($${args.push(q.status)}::text[])`);
    if (q.overdue !== undefined) where.push(`(p.status <> 'done' AND p.due_date < ($1::timestamptz AT TIME ZONE 'UTC')::date) = $${args.push(q.overdue)}`);
    if (q.owner === 'me') where.push(`p.owner_user_id = $${args.push(user.id)}`);
    if (user.buildings.length) where.push(`(p.building_id IS NULL OR p.building_id = ANY($${args.push(user.buildings)}::text[]))`);
    return (await this.db.query<PlanRow>(`${PLAN_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY p.due_date, p.id LIMIT 500`, args)).rows;
  }

  async get(user: SessionUser, id: number): Promise<{ plan: PlanRow; notes: PlanNoteRow[] }> {
    const plan = await this.visible(this.db, user, id);
    return { plan, notes: await listNotes(this.db, id) };
  }

  /** A progress note, optionally moving the status; by a manager or the plan's owner. */
  async progress(user: SessionUser, id: number, input: { note: string; status?: PlanStatus }): Promise<{ plan: PlanRow; notes: PlanNoteRow[] }> {
    await this.db.transaction(async (tx) => {
      const plan = await this.visible(tx, user, id, true);
      if (!planManagerRoles.includes(user.role) && plan.owner_user_id !== user.id) throw new WardenError('WARDEN_ERR_FORBIDDEN', 'only the plan owner or a manager records progress');
      const to = input.status !== undefined && input.status !== plan.status ? input.status : null;
      if (to !== null && !allowedMoves[plan.status].includes(to)) {
        throw new WardenError('WARDEN_ERR_INVALID_TRANSITION', `cannot move a plan that is ${plan.status} to ${to}`, { from: plan.status, to, allowedFrom: planStatuses.filter((s) => allowedMoves[s].includes(to)) });
      }
      const now = this.now();
      if (to !== null) {
        await tx.query(`UPDATE improvement_plans SET status = $2::text, updated_at = $3::timestamptz, done_at = CASE WHEN $2::text = 'done' THEN $3::timestamptz END WHERE id = $1`, [id, to, now]);
      } else {
        await tx.query('UPDATE improvement_plans SET updated_at = $2 WHERE id = $1', [id, now]);
      }
      await insertNote(tx, { planId: id, user, from: to === null ? null : plan.status, to, note: input.note, at: now });
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'improvement_plan.progress', targetType: 'improvement_plan', targetId: id, details: to === null ? {} : { from: plan.status, to } });
    });
    return this.get(user, id);
  }

  /** Checks the finding names something that exists and the user may work on; returns the building it concerns. */
  private async checkFinding(user: SessionUser, type: FindingType, key: string): Promise<string | null> {
    switch (type) {
      case 'category':
        if (!categories.includes(key as Category)) throw fieldError('body.finding.key', `a request category: ${categories.join(', ')}`);
        return null;
      case 'building':
        if (!(await this.db.query('SELECT 1 FROM buildings WHERE id = $1', [key])).rowCount) throw fieldError('body.finding.key', `no building ${key}`);
        if (!canSeeBuilding(user, key)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `you may not work in building ${key}`);
        return key;
      case 'staff':
        if (!/^\d+$/.test(key) || !(await this.db.query('SELECT 1 FROM staff WHERE id = $1', [Number(key)])).rowCount) throw fieldError('body.finding.key', `no staff member ${key}`);
        return null;
    }
  }

  private async visible(db: Queryable, user: SessionUser, id: number, lock = false): Promise<PlanRow> {
    const plan = (await db.query<PlanRow>(`${PLAN_SELECT} WHERE p.id = $2${lock ? ' FOR UPDATE OF p' : ''}`, [this.now(), id])).rows[0];
    if (!plan || !(plan.building_id === null || canSeeBuilding(user, plan.building_id))) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no improvement plan ${id}`);
    return plan;
  }
}

async function selectPlan(db: Queryable, id: number, now: Date): Promise<PlanRow | undefined> {
  return (await db.query<PlanRow>(`${PLAN_SELECT} WHERE p.id = $2`, [now, id])).rows[0];
}

async function insertNote(tx: Queryable, n: { planId: number; user: SessionUser; from: string | null; to: string | null; note: string; at: Date }): Promise<void> {
  await tx.query('INSERT INTO improvement_plan_notes (plan_id, at, user_id, actor, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7)', [n.planId, n.at, n.user.id, n.user.username, n.from, n.to, n.note]);
}

async function listNotes(db: Queryable, id: number): Promise<PlanNoteRow[]> {
  return (await db.query<PlanNoteRow>('SELECT id::int AS id, at, actor, from_status, to_status, note FROM improvement_plan_notes WHERE plan_id = $1 ORDER BY at, id', [id])).rows;
}
