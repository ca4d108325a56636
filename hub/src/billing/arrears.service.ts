import type pg from 'pg';
import type { Logger } from 'pino';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type Role, type SessionUser } from '../auth/roles.js';
import { inTransaction, type Database, type Queryable } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/index.js';
import { maskEmail } from '../records/personal-data.js';
import { invalidField } from '../records/records-errors.js';
import type { Mailer } from './mailer.js';
import { fenOf, type Fen } from './money.js';
import { arrearsWarning, escalationStep, reminder, type LadderAction, type WarningReason } from './notice-templates.js';
import { ARREARS_SWEEP_LOCK, insertNotice, scrubContacts, withRunLock, type NoticeService } from './notices.service.js';

// ------------------------------------------------------------------ documented defaults
/** The ladder of a site without its own policy: days since the oldest unpaid bill fell due. */
export const DEFAULT_LADDER: readonly LadderStep[] = [
  { afterDays: 15, action: 'reminder' },
  { afterDays: 45, action: 'call' },
  { afterDays: 90, action: 'visit' },
  { afterDays: 180, action: 'lawyer_letter' },
];
/** Managers are warned from ¥5,000 owed … */
export const DEFAULT_WARN_AMOUNT_FEN: Fen = 500_000;
/** … or from 90 days overdue. */
export const DEFAULT_WARN_AGE_DAYS = 90;
/** A lawyer's letter gives this many days to pay. */
export const LETTER_DEADLINE_DAYS = 15;
/** A reminder that reached nobody is tried again after this long (once a day, not every sweep). */
const REMINDER_RETRY_HOURS = 24;

export const ageBuckets = ['0-30', '31-90', '91-180', '180+'] as const;
export type AgeBucket = (typeof ageBuckets)[number];

/** Days past due → bucket. A bill is in arrears from the day after its due date (age 1). */
export function bucketOf(ageDays: number): AgeBucket {
  if (ageDays <= 30) return '0-30';
  if (ageDays <= 90) return '31-90';
  if (ageDays <= 180) return '91-180';
  return '180+';
}

/** Who is warned of arrears on the live feed. */
const warningAudience: readonly Role[] = ['admin', 'manager'];

export interface LadderStep {
  afterDays: number;
  action: LadderAction;
}

export interface ArrearsPolicy {
  siteId: string;
  ladder: LadderStep[];
  warnAmountFen: Fen;
  warnAgeDays: number;
  /** No row for the site: the documented defaults. */
  isDefault: boolean;
  updatedBy: string | null;
  updatedAt: Date | null;
}

/** One bill with something still owed past its due date. */
interface OverdueBillRow {
  bill_id: number;
  number: string;
  period: string;
  due_on: string;
  as_of: string;
  age_days: number;
  outstanding_fen: number;
  unit_id: number;
  unit_number: string;
  building_id: string;
  building_name: string;
  site_id: string;
  owner_id: number | null;
  owner_name: string | null;
}

/** A unit's arrears: its overdue bills, oldest first. */
export interface UnitArrears {
  unitId: number;
  unitNumber: string;
  buildingId: string;
  buildingName: string;
  siteId: string;
  ownerId: number | null;
  ownerName: string | null;
  totalFen: Fen;
  buckets: Record<AgeBucket, Fen>;
  /** Age of the oldest unpaid bill. */
  ageDays: number;
  oldestDueOn: string;
  bills: { billId: number; number: string; period: string; dueOn: string; ageDays: number; outstandingFen: Fen }[];
}

/**
 * Bills with an outstanding amount past due, as of a date (ledger entries up to the end
 * of that day, where the estate is) or, with no date, as of `now` in each site's time
 * zone with every entry so far. Outstanding = the sum of the bill's ledger entries.
 */
async function overdueBills(db: Queryable, q: { asOf?: string; now: Date; buildings: string[]; buildingId?: string; unitId?: number }): Promise<OverdueBillRow[]> {
  const { rows } = await db.query<OverdueBillRow>(
    `WITH scope AS (
       SELECT b.id, b.number, b.period, b.due_on, b.unit_id, b.owner_id, b.building_id, bd.name AS building_name, s.id AS site_id,
              coalesce($1::date, ($2::timestamptz AT TIME ZONE s.timezone)::date) AS as_of,
              CASE WHEN $1::date IS NULL THEN 'infinity'::timestamptz ELSE (($1::date + 1)::timestamp AT TIME ZONE s.timezone) END AS cutoff
         FROM bills b JOIN buildings bd ON bd.id = b.building_id JOIN sites s ON s.id = bd.site_id
        WHERE ($3::text IS NULL OR b.building_id = $3)
          AND (cardinality($4::text[]) = 0 OR b.building_id = ANY($4::text[]))
          AND ($5::bigint IS NULL OR b.unit_id = $5)
     ), due AS (
       SELECT sc.*, (SELECT coalesce(sum(l.amount_fen), 0) FROM ledger_entries l WHERE l.bill_id = sc.id AND l.at < sc.cutoff)::bigint AS outstanding_fen
         FROM scope sc WHERE sc.due_on < sc.as_of
     )
     SELECT d.id AS bill_id, d.number, d.period, to_char(d.due_on, 'YYYY-MM-DD') AS due_on, to_char(d.as_of, 'YYYY-MM-DD') AS as_of,
            (d.as_of - d.due_on) AS age_days, d.outstanding_fen, d.unit_id, u.number AS unit_number, d.building_id, d.building_name, d.site_id,
            o.id AS owner_id, o.name AS owner_name
       FROM due d JOIN units u ON u.id = d.unit_id
       -- The bill's addressee; for a bill made without one, the unit's owner today.
       LEFT JOIN LATERAL (SELECT c.owner_id FROM current_unit_owners c WHERE c.unit_id = d.unit_id AND c.role = 'owner' ORDER BY c.from_date LIMIT 1) cur ON true
       LEFT JOIN owners o ON o.id = coalesce(d.owner_id, cur.owner_id)
      WHERE d.outstanding_fen > 0
      ORDER BY d.building_id, u.number, d.due_on, d.id`,
    [q.asOf ?? null, q.now, q.buildingId ?? null, q.buildings, q.unitId ?? null],
  );
  return rows;
}

function byUnit(rows: OverdueBillRow[]): UnitArrears[] {
  const units = new Map<number, UnitArrears>();
  for (const r of rows) {
    let u = units.get(r.unit_id);
    if (!u) {
      u = {
        unitId: r.unit_id,
        unitNumber: r.unit_number,
        buildingId: r.building_id,
        buildingName: r.building_name,
        siteId: r.site_id,
        ownerId: r.owner_id,
        ownerName: r.owner_name,
        totalFen: 0,
        buckets: { '0-30': 0, '31-90': 0, '91-180': 0, '180+': 0 },
        ageDays: r.age_days,
        oldestDueOn: r.due_on,
        bills: [],
      };
      units.set(r.unit_id, u);
    }
    const fen = fenOf(r.outstanding_fen);
    u.totalFen += fen;
    u.buckets[bucketOf(r.age_days)] += fen;
    // Rows come oldest first per unit: the first is the oldest unpaid bill.
    u.bills.push({ billId: r.bill_id, number: r.number, period: r.period, dueOn: r.due_on, ageDays: r.age_days, outstandingFen: fen });
  }
  return [...units.values()];
}

export interface ActionRow {
  id: number;
  unit_id: number;
  unit_number: string;
  building_id: string;
  building_name: string;
  bill_id: number;
  bill_number: string;
  step: number;
  action: LadderAction;
  status: 'due' | 'done';
  amount_fen: number;
  age_days: number;
  due_at: Date;
  done_at: Date | null;
  done_by: string | null;
  outcome: string | null;
  details: LetterDetails | null;
}

/** What a lawyer's letter states, fixed when the rung is taken. */
export interface LetterDetails {
  ownerName: string | null;
  unit: { building: string; number: string };
  bills: { number: string; period: string; dueOn: string; outstandingFen: Fen }[];
  totalFen: Fen;
  ageDays: number;
  asOf: string;
  deadline: string;
}

export interface WarningRow {
  id: number;
  unit_id: number;
  unit_number: string;
  building_id: string;
  reason: WarningReason;
  amount_fen: number;
  age_days: number;
  raised_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  cleared_at: Date | null;
}

export interface SweepResult {
  actionsCreated: number;
  remindersSent: number;
  warningsRaised: number;
  warningsCleared: number;
}

export interface ArrearsOptions {
  /** Addresses that get every arrears warning (BILLING_MANAGER_EMAILS). */
  managerEmails: readonly string[];
}

const actionSelect = `
  SELECT a.*, u.number AS unit_number, u.building_id, bd.name AS building_name, b.number AS bill_number
    FROM arrears_actions a JOIN units u ON u.id = a.unit_id JOIN buildings bd ON bd.id = u.building_id JOIN bills b ON b.id = a.bill_id`;

/**
 * Arrears: ageing, the escalation ladder per site and the managers' warnings. The sweep
 * (hourly, and on demand) is idempotent: rungs are unique per unit, bill and step, a
 * unit has at most one open warning, and sweeps on several hubs queue behind one lock
 * so reminders and warning e-mails go out once.
 */
export class ArrearsService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly notices: NoticeService,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    private readonly options: ArrearsOptions,
  ) {}

  /** Each unit's arrears split by age, as of a date (default: today where the estate is). */
  async ageing(user: SessionUser, q: { asOf?: string; buildingId?: string; bucket?: AgeBucket }): Promise<{ asOf: string; buckets: Record<AgeBucket, Fen>; units: UnitArrears[] }> {
    if (q.buildingId !== undefined && !canSeeBuilding(user, q.buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `building ${q.buildingId} is not yours`);
    const asOf = q.asOf ?? (await this.today(this.db));
    const units = byUnit(await overdueBills(this.db, { asOf, now: new Date(), buildings: user.buildings, buildingId: q.buildingId }));
    const buckets = { '0-30': 0, '31-90': 0, '91-180': 0, '180+': 0 };
    for (const u of units) for (const b of ageBuckets) buckets[b] += u.buckets[b];
    return { asOf, buckets, units: q.bucket ? units.filter((u) => u.buckets[q.bucket!] > 0) : units };
  }

  /** Today's date in the estate's time zone (its first site's). */
  private async today(db: Queryable): Promise<string> {
    const { rows } = await db.query<{ d: string }>(`SELECT to_char(now() AT TIME ZONE coalesce((SELECT timezone FROM sites ORDER BY id LIMIT 1), 'Asia/Shanghai'), 'YYYY-MM-DD') AS d`);
    return rows[0].d;
  }

  async policies(db: Queryable = this.db): Promise<ArrearsPolicy[]> {
    const { rows } = await db.query<{ site_id: string; ladder: LadderStep[] | null; warn_amount_fen: number | null; warn_age_days: number | null; updated_by: string | null; updated_at: Date | null }>(
      `SELECT s.id AS site_id, p.ladder, p.warn_amount_fen, p.warn_age_days, p.updated_by, p.updated_at
         FROM sites s LEFT JOIN arrears_policies p ON p.site_id = s.id ORDER BY s.id`,
    );
    return rows.map((r) =>
      r.ladder === null
        ? { siteId: r.site_id, ladder: [...DEFAULT_LADDER], warnAmountFen: DEFAULT_WARN_AMOUNT_FEN, warnAgeDays: DEFAULT_WARN_AGE_DAYS, isDefault: true, updatedBy: null, updatedAt: null }
        : { siteId: r.site_id, ladder: r.ladder, warnAmountFen: fenOf(r.warn_amount_fen), warnAgeDays: r.warn_age_days!, isDefault: false, updatedBy: r.updated_by, updatedAt: r.updated_at },
    );
  }

  async setPolicy(user: SessionUser, p: { siteId: string; ladder: LadderStep[]; warnAmountFen: Fen; warnAgeDays: number }, ip?: string): Promise<ArrearsPolicy> {
    // A rung is taken when its day comes: the ladder climbs, one rung a day at most.
    p.ladder.forEach((step, i) => {
      if (i > 0 && step.afterDays <= p.ladder[i - 1].afterDays) throw invalidField(`body.ladder.${i}.afterDays`, `must be later than the step before (${p.ladder[i - 1].afterDays} days)`);
    });
    if (user.buildings.length) throw new WardenError('WARDEN_ERR_FORBIDDEN', 'a site-wide policy is set by someone not limited to some buildings');
    await this.db.transaction(async (tx) => {
      const site = await tx.query('SELECT 1 FROM sites WHERE id = $1', [p.siteId]);
      if (!site.rowCount) throw invalidField('body.siteId', `no site ${p.siteId}`);
      await tx.query(
        `INSERT INTO arrears_policies (site_id, ladder, warn_amount_fen, warn_age_days, updated_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (site_id) DO UPDATE SET ladder = EXCLUDED.ladder, warn_amount_fen = EXCLUDED.warn_amount_fen, warn_age_days = EXCLUDED.warn_age_days, updated_by = EXCLUDED.updated_by, updated_at = now()`,
        [p.siteId, JSON.stringify(p.ladder), p.warnAmountFen, p.warnAgeDays, user.username],
      );
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'billing.arrears_policy.set', targetType: 'site', targetId: p.siteId, ip, details: { ladder: p.ladder, warnAmountFen: p.warnAmountFen, warnAgeDays: p.warnAgeDays } });
    });
    return (await this.policies()).find((x) => x.siteId === p.siteId)!;
  }

  /**
   * Takes the ladder's rungs that have come due, sends due reminders, raises and clears
   * warnings. For each unit the ladder runs on its oldest unpaid bill: when that bill is
   * paid, the next oldest starts its own ladder.
   */
  async sweep(now: Date = new Date()): Promise<SweepResult> {
    return withRunLock(this.db, ARREARS_SWEEP_LOCK, async (client) => {
      const result: SweepResult = { actionsCreated: 0, remindersSent: 0, warningsRaised: 0, warningsCleared: 0 };
      const policies = new Map((await this.policies(client)).map((p) => [p.siteId, p]));
      const units = byUnit(await overdueBills(client, { now, buildings: [] }));
      const { rows: taken } = await client.query<{ bill_id: number; step: number }>('SELECT bill_id, step FROM arrears_actions WHERE bill_id = ANY($1::bigint[])', [units.map((u) => u.bills[0].billId)]);
      const takenSteps = new Set(taken.map((t) => `${t.bill_id}:${t.step}`));
      const { rows: open } = await client.query<{ id: number; unit_id: number; building_id: string }>('SELECT id, unit_id, building_id FROM arrears_warnings WHERE cleared_at IS NULL');
      const openByUnit = new Map(open.map((w) => [w.unit_id, w]));
      let liveId: number | undefined;

      for (const unit of units) {
        const policy = policies.get(unit.siteId)!;
        const oldest = unit.bills[0];
        for (const [i, step] of policy.ladder.entries()) {
          if (step.afterDays > unit.ageDays || takenSteps.has(`${oldest.billId}:${i + 1}`)) continue;
          const details = step.action === 'lawyer_letter' ? letterDetails(unit) : null;
          const inserted = await client.query(
            `INSERT INTO arrears_actions (unit_id, bill_id, step, action, status, amount_fen, age_days, due_at, details)
             VALUES ($1, $2, $3, $4, 'due', $5, $6, $7, $8) ON CONFLICT (unit_id, bill_id, step) DO NOTHING`,
            [unit.unitId, oldest.billId, i + 1, step.action, unit.totalFen, unit.ageDays, now, details && JSON.stringify(details)],
          );
          result.actionsCreated += inserted.rowCount ?? 0;
        }
        const reason = warningReason(unit, policy);
        if (reason && !openByUnit.has(unit.unitId)) {
          const raised = await this.raiseWarning(client, unit, reason, policy);
          if (raised) {
            result.warningsRaised++;
            liveId = raised;
          }
        }
      }

      const inArrears = new Map(units.map((u) => [u.unitId, u]));
      for (const w of open) {
        const unit = inArrears.get(w.unit_id);
        if (unit && warningReason(unit, policies.get(unit.siteId)!)) continue;
        liveId = await inTransaction(client, async () => {
          await client.query('UPDATE arrears_warnings SET cleared_at = $2 WHERE id = $1 AND cleared_at IS NULL', [w.id, now]);
          return appendLiveEvent(client, { type: 'billing.arrears_warning', buildingId: w.building_id, audience: warningAudience, data: { warningId: w.id, unitId: w.unit_id, state: 'cleared', amountFen: unit?.totalFen ?? 0 } });
        });
        result.warningsCleared++;
      }
      if (liveId !== undefined) this.bus.emit('live.appended', { lastId: liveId });

      // A unit that owes nothing overdue any more needs no call, visit or letter.
      await client.query(
        `UPDATE arrears_actions SET status = 'done', done_at = $2, done_by = 'system', outcome = 'arrears paid'
          WHERE status = 'due' AND NOT (unit_id = ANY($1::bigint[]))`,
        [[...inArrears.keys()], now],
      );
      result.remindersSent = await this.sendDueReminders(client, inArrears, now);
      if (result.actionsCreated || result.warningsRaised || result.warningsCleared) this.logger.info(result, 'arrears sweep');
      return result;
    });
  }

  /** Opens the unit's warning with its live event in one transaction, then e-mails the managers. Undefined if one was open already. */
  private async raiseWarning(client: pg.PoolClient, unit: UnitArrears, reason: WarningReason, policy: ArrearsPolicy): Promise<number | undefined> {
    const liveId = await inTransaction(client, async () => {
      const { rows } = await client.query<{ id: number }>(
        `INSERT INTO arrears_warnings (unit_id, building_id, reason, amount_fen, age_days) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (unit_id) WHERE cleared_at IS NULL DO NOTHING RETURNING id`,
        [unit.unitId, unit.buildingId, reason, unit.totalFen, unit.ageDays],
      );
      if (!rows[0]) return undefined;
      return appendLiveEvent(client, {
        type: 'billing.arrears_warning',
        buildingId: unit.buildingId,
        audience: warningAudience,
        data: { warningId: rows[0].id, state: 'raised', unitId: unit.unitId, unitNumber: unit.unitNumber, buildingId: unit.buildingId, reason, amountFen: unit.totalFen, ageDays: unit.ageDays },
      });
    });
    if (liveId === undefined) return undefined;
    const text = arrearsWarning({ unit: { building: unit.buildingName, number: unit.unitNumber }, amountFen: unit.totalFen, ageDays: unit.ageDays, reason, warnAmountFen: policy.warnAmountFen, warnAgeDays: policy.warnAgeDays });
    for (const to of await this.managerAddresses(client, unit.buildingId)) {
      const sent = await this.mailer.send({ to, subject: text.subject, text: text.text });
      await insertNotice(client, {
        purpose: 'warning',
        channel: 'email',
        unit_id: unit.unitId,
        recipient: maskEmail(to),
        subject: text.subject,
        status: sent.ok ? 'sent' : 'failed',
        error: sent.ok ? null : scrubContacts(sent.error),
        provider_id: sent.ok ? sent.id : null,
        actor: 'system',
      });
    }
    return liveId;
  }

  /** BILLING_MANAGER_EMAILS and every active manager with an e-mail in their staff record who may see the building. */
  private async managerAddresses(db: Queryable, buildingId: string): Promise<string[]> {
    const { rows } = await db.query<{ email: string }>(
      `SELECT DISTINCT s.email FROM staff s JOIN users u ON u.id = s.user_id
        WHERE u.role = 'manager' AND NOT u.disabled AND s.active AND s.email IS NOT NULL
          AND (NOT EXISTS (SELECT 1 FROM user_buildings ub WHERE ub.user_id = u.id)
               OR EXISTS (SELECT 1 FROM user_buildings ub WHERE ub.user_id = u.id AND ub.building_id = $1))`,
      [buildingId],
    );
    const all = new Map<string, string>();
    for (const a of [...this.options.managerEmails, ...rows.map((r) => r.email)]) all.set(a.toLowerCase(), a);
    return [...all.values()];
  }

  /**
   * Sends each due reminder by e-mail and SMS; one that reached the owner on some channel
   * is done. One that reached nobody stays on the work list and is tried again a day later.
   */
  private async sendDueReminders(client: Queryable, inArrears: Map<number, UnitArrears>, now: Date): Promise<number> {
    const { rows } = await client.query<{ id: number; unit_id: number; bill_id: number }>(
      `SELECT a.id, a.unit_id, a.bill_id FROM arrears_actions a
        WHERE a.action = 'reminder' AND a.status = 'due'
          AND NOT EXISTS (SELECT 1 FROM billing_notices n WHERE n.bill_id = a.bill_id AND n.purpose = 'reminder' AND n.channel IN ('email', 'sms')
                             AND n.at > $1::timestamptz - make_interval(hours => $2))
        ORDER BY a.id`,
      [now, REMINDER_RETRY_HOURS],
    );
    let sent = 0;
    for (const action of rows) {
      const unit = inArrears.get(action.unit_id);
      if (!unit) continue;
      const owner = unit.ownerId === null ? undefined : await this.notices.contact(client, unit.ownerId);
      if (!owner || (!owner.email && !owner.phone)) {
        await client.query('UPDATE arrears_actions SET outcome = $2 WHERE id = $1', [action.id, 'no e-mail or phone on record: call or write instead']);
        continue;
      }
      const text = reminder(owner.language, { ownerName: owner.name, unit: { building: unit.buildingName, number: unit.unitNumber }, totalFen: unit.totalFen, ageDays: unit.ageDays, bills: unit.bills });
      const deliveries = await this.notices.deliver(owner, text, ['email', 'sms']);
      for (const d of deliveries) {
        await this.notices.record(client, 'reminder', d, { unitId: unit.unitId, ownerId: owner.ownerId, billId: action.bill_id, language: owner.language, subject: text.subject, actor: 'system' });
      }
      const ok = deliveries.filter((d) => d.status === 'sent').map((d) => d.channel);
      if (ok.length) {
        sent++;
        await client.query(`UPDATE arrears_actions SET status = 'done', done_at = $2, done_by = 'system', outcome = $3 WHERE id = $1`, [action.id, now, `sent by ${ok.join(' and ')}`]);
      } else {
        await client.query('UPDATE arrears_actions SET outcome = $2 WHERE id = $1', [action.id, `not delivered: ${deliveries.map((d) => d.error).join('; ')}`]);
      }
    }
    return sent;
  }

  async actions(user: SessionUser, q: { status?: 'due' | 'done'; buildingId?: string; limit: number }): Promise<ActionRow[]> {
    const { rows } = await this.db.query<ActionRow>(
      `${actionSelect}
        WHERE ($1::text IS NULL OR a.status = $1) AND ($2::text IS NULL OR u.building_id = $2)
          AND (cardinality($3::text[]) = 0 OR u.building_id = ANY($3::text[]))
        ORDER BY a.due_at, a.id LIMIT $4`,
      [q.status ?? null, q.buildingId ?? null, user.buildings, q.limit],
    );
    return rows;
  }

  async action(user: SessionUser, id: number, db: Queryable = this.db): Promise<ActionRow> {
    const { rows } = await db.query<ActionRow>(`${actionSelect} WHERE a.id = $1`, [id]);
    if (!rows[0] || !canSeeBuilding(user, rows[0].building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no arrears action ${id}`);
    return rows[0];
  }

  /** A clerk records a rung as done (the call made, the visit paid, the letter sent) with its outcome. */
  async completeAction(user: SessionUser, id: number, outcome: string, ip?: string): Promise<ActionRow> {
    await this.db.transaction(async (tx) => {
      const action = await this.action(user, id, tx);
      const locked = await tx.query(`UPDATE arrears_actions SET status = 'done', done_at = now(), done_by = $2, outcome = $3 WHERE id = $1 AND status = 'due'`, [id, user.username, outcome]);
      if (!locked.rowCount) throw new WardenError('WARDEN_ERR_INVALID_TRANSITION', `arrears action ${id} is already done`);
      const channel = ({ reminder: 'letter', call: 'phone', visit: 'visit', lawyer_letter: 'letter' } as const)[action.action];
      const subject = escalationStep('zh-CN', { action: action.action, unit: { building: action.building_name, number: action.unit_number }, amountFen: fenOf(action.amount_fen), ageDays: action.age_days });
      await insertNotice(tx, { purpose: 'escalation', channel, unit_id: action.unit_id, bill_id: action.bill_id, subject, status: 'logged', note: outcome, actor: user.username });
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'billing.arrears_action.done', targetType: 'arrears_action', targetId: id, ip, details: { action: action.action, unitId: action.unit_id } });
    });
    return this.action(user, id);
  }

  /** A phone call to an owner about their arrears; it also completes the unit's due 'call' rung. */
  async logCall(user: SessionUser, input: { unitId: number; outcome: string; note?: string }, ip?: string): Promise<{ noticeId: number; actionsCompleted: number }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ building_id: string }>('SELECT building_id FROM units WHERE id = $1', [input.unitId]);
      if (!rows[0]) throw invalidField('body.unitId', `no unit ${input.unitId}`);
      if (!canSeeBuilding(user, rows[0].building_id)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `unit ${input.unitId} is not in your buildings`);
      const noticeId = await insertNotice(tx, { purpose: 'reminder', channel: 'phone', unit_id: input.unitId, subject: input.outcome, status: 'logged', note: input.note ?? null, actor: user.username });
      const done = await tx.query(`UPDATE arrears_actions SET status = 'done', done_at = now(), done_by = $2, outcome = $3 WHERE unit_id = $1 AND action = 'call' AND status = 'due'`, [input.unitId, user.username, input.outcome]);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'billing.arrears_call.logged', targetType: 'unit', targetId: input.unitId, ip, details: { noticeId } });
      return { noticeId, actionsCompleted: done.rowCount ?? 0 };
    });
  }

  async warnings(user: SessionUser, q: { open?: boolean; buildingId?: string }): Promise<WarningRow[]> {
    const { rows } = await this.db.query<WarningRow>(
      `SELECT w.*, u.number AS unit_number FROM arrears_warnings w JOIN units u ON u.id = w.unit_id
        WHERE ($1::boolean IS NULL OR (w.cleared_at IS NULL) = $1) AND ($2::text IS NULL OR w.building_id = $2)
          AND (cardinality($3::text[]) = 0 OR w.building_id = ANY($3::text[]))
        ORDER BY w.raised_at DESC, w.id DESC LIMIT 1000`,
      [q.open ?? null, q.buildingId ?? null, user.buildings],
    );
    return rows;
  }

  async acknowledge(user: SessionUser, id: number, ip?: string): Promise<WarningRow> {
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ building_id: string; acknowledged_at: Date | null }>('SELECT building_id, acknowledged_at FROM arrears_warnings WHERE id = $1 FOR UPDATE', [id]);
      if (!rows[0] || !canSeeBuilding(user, rows[0].building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no arrears warning ${id}`);
      if (rows[0].acknowledged_at) return;
      await tx.query('UPDATE arrears_warnings SET acknowledged_at = now(), acknowledged_by = $2 WHERE id = $1', [id, user.username]);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'billing.arrears_warning.acknowledged', targetType: 'arrears_warning', targetId: id, ip });
    });
    return (await this.warnings(user, {})).find((w) => w.id === id)!;
  }
}

function warningReason(unit: UnitArrears, policy: ArrearsPolicy): WarningReason | undefined {
  const amount = unit.totalFen >= policy.warnAmountFen;
  const age = unit.ageDays >= policy.warnAgeDays;
  return amount && age ? 'amount_and_age' : amount ? 'amount' : age ? 'age' : undefined;
}

function letterDetails(unit: UnitArrears): LetterDetails {
  const asOf = addDays(unit.oldestDueOn, unit.ageDays);
  return {
    ownerName: unit.ownerName,
    unit: { building: unit.buildingName, number: unit.unitNumber },
    bills: unit.bills.map((b) => ({ number: b.number, period: b.period, dueOn: b.dueOn, outstandingFen: b.outstandingFen })),
    totalFen: unit.totalFen,
    ageDays: unit.ageDays,
    asOf,
    deadline: addDays(asOf, LETTER_DEADLINE_DAYS),
  };
}

/** "2026-01-31" + 1 → "2026-02-01" (calendar arithmetic in UTC, free of the server's zone). */
function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
