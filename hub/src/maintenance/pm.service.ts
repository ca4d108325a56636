import type { Logger } from 'pino';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import type { WorkOrderService } from '../workorders/index.js';
import { tradeForDevice, type Priority } from '../workorders/work-order.types.js';

export const pmKinds = ['calendar', 'usage'] as const;
export type PmKind = (typeof pmKinds)[number];
export const pmStatuses = ['ok', 'due', 'overdue'] as const;
export type PmStatus = (typeof pmStatuses)[number];

const DAY_MS = 86_400_000;
const DEFAULT_INTERVAL_MS = 60_000;
/** A usage plan is overdue once its reading has passed the due value by this share of the interval. */
export const USAGE_OVERDUE_TOLERANCE = 0.1;

export interface PmServiceOptions {
  now?: () => Date;
  /** How often the scheduler sweeps (default 60 s). */
  intervalMs?: number;
}

export interface PlanRow {
  id: number;
  equipment_id: number;
  title: string;
  description: string | null;
  trade: string;
  priority: Priority;
  kind: PmKind;
  interval_days: number | null;
  metric: string | null;
  interval_usage: number | null;
  last_done_at: Date | null;
  last_done_usage: number | null;
  next_due_at: Date | null;
  next_due_usage: number | null;
  lead_days: number;
  active: boolean;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

/** A plan with its equipment, the current reading of its metric and the open work order of its current occurrence. */
export interface PlanView extends PlanRow {
  equipment_code: string;
  equipment_name: string;
  building_id: string | null;
  device_id: number | null;
  usage_now: number | null;
  work_order_id: number | null;
  work_order_number: string | null;
  work_order_status: string | null;
  status: PmStatus;
  days_overdue: number | null;
  usage_overdue: number | null;
}

export interface PlanInput {
  equipmentId: number;
  title: string;
  description?: string | null;
  trade?: string;
  priority: Priority;
  kind: PmKind;
  intervalDays?: number;
  metric?: string;
  intervalUsage?: number;
  lastDoneAt?: string;
  lastDoneUsage?: number;
  /** The first due date / reading; default: last done (or now / the current reading) + interval. */
  nextDueAt?: string;
  nextDueUsage?: number;
  leadDays: number;
  active: boolean;
}

export interface PlanPatch {
  title?: string;
  description?: string | null;
  trade?: string;
  priority?: Priority;
  intervalDays?: number;
  intervalUsage?: number;
  nextDueAt?: string;
  nextDueUsage?: number;
  leadDays?: number;
  active?: boolean;
}

export interface SweepResult {
  opened: { planId: number; workOrderId: number; occurrence: string }[];
  advanced: number[];
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const fieldError = (field: string, message: string) => new WardenError('WARDEN_ERR_VALIDATION', `${field}: ${message}`, { issues: [{ field, message }] });

/** The scheduler's identity when it opens work orders through the work-order service. */
const schedulerUser = { id: null as unknown as number, username: 'pm-scheduler', displayName: 'Preventive maintenance', role: 'admin', buildings: [] } satisfies SessionUser;

const PLAN_VIEW_SQL = `
  SELECT p.*, p.id::int AS id, p.equipment_id::int AS equipment_id,
         e.code AS equipment_code, e.name AS equipment_name, e.building_id, e.device_id::int AS device_id, e.location AS equipment_location, e.type AS equipment_type,
         lv.value AS usage_now,
         o.work_order_id::int AS work_order_id, w.number AS work_order_number, w.status AS work_order_status
    FROM pm_plans p
    JOIN equipment e ON e.id = p.equipment_id
    LEFT JOIN device_metrics m ON p.kind = 'usage' AND m.device_id = e.device_id AND m.name = p.metric
    LEFT JOIN latest_values lv ON lv.series_id = m.id
    LEFT JOIN pm_occurrences o ON o.plan_id = p.id AND o.completed_at IS NULL
                              AND o.occurrence = CASE WHEN p.kind = 'calendar' THEN 'c:' || to_char(p.next_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') ELSE 'u:' || p.next_due_usage::text END
    LEFT JOIN work_orders w ON w.id = o.work_order_id`;

/** The key of a plan's current occurrence (the same SQL builds it in PLAN_VIEW_SQL). */
const occurrenceSql = `CASE WHEN kind = 'calendar' THEN 'c:' || to_char(next_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') ELSE 'u:' || next_due_usage::text END`;

type RawView = Omit<PlanView, 'status' | 'days_overdue' | 'usage_overdue'> & { equipment_location: string | null; equipment_type: string };

/**
 * Preventive maintenance: plans per piece of equipment, a scheduler that opens one
 * preventive work order per due occurrence (through the work-order service, so it is
 * dispatched like any other), and plans that advance when that work order is resolved.
 */
export class PmService {
  private readonly now: () => Date;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly workOrders: WorkOrderService,
    private readonly logger: Logger,
    options: PmServiceOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  }

  async start(): Promise<void> {
    this.unsubscribe = this.bus.on('workorder.changed', (e) => {
      if (e.status !== 'resolved' && e.status !== 'closed') return;
      this.advanceFinished(e.workOrderId).catch((err: Error) => this.logger.warn({ err: err.message, workOrderId: e.workOrderId }, 'advancing a preventive plan failed'));
    });
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep()
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'preventive maintenance sweep failed'))
        .finally(() => (this.sweeping = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  // ------------------------------------------------------------ scheduler

  /** Advances plans whose work orders were finished, then opens a work order for every due occurrence without one. */
  async sweep(now: Date = this.now()): Promise<SweepResult> {
    const advanced = await this.advanceFinished();
    const opened: SweepResult['opened'] = [];
    for (const plan of await this.views(this.db, 'WHERE p.active')) {
      if (plan.work_order_id !== null || !isDue(plan, now)) continue;
      const claimed = await this.db.query<{ id: number; occurrence: string }>(
        `INSERT INTO pm_occurrences (plan_id, occurrence, due_at, due_usage, usage_at_open, opened_at)
         SELECT id, ${occurrenceSql}, next_due_at, next_due_usage, $2, $3 FROM pm_plans WHERE id = $1 AND active
         ON CONFLICT (plan_id, occurrence) DO NOTHING RETURNING id::int AS id, occurrence`,
        [plan.id, plan.usage_now, now],
      );
      const claim = claimed.rows[0];
      if (!claim) continue;
      try {
        const { workOrder } = await this.workOrders.createManual(schedulerUser, {
          kind: 'maintenance',
          title: `Preventive: ${plan.title} (${plan.equipment_name})`,
          description: describeDue(plan),
          priority: plan.priority,
          trade: plan.trade,
          ...(plan.device_id !== null ? { deviceId: plan.device_id } : plan.building_id !== null ? { buildingId: plan.building_id } : {}),
          location: plan.equipment_location ?? undefined,
        }, { source: 'preventive', equipmentId: plan.equipment_id });
        await this.db.query('UPDATE pm_occurrences SET work_order_id = $2 WHERE id = $1', [claim.id, workOrder.id]);
        opened.push({ planId: plan.id, workOrderId: workOrder.id, occurrence: claim.occurrence });
        this.logger.info({ planId: plan.id, workOrder: workOrder.number, occurrence: claim.occurrence }, 'preventive work order opened');
      } catch (err) {
        // Give the occurrence back so a later sweep tries again.
        await this.db.query('DELETE FROM pm_occurrences WHERE id = $1 AND work_order_id IS NULL', [claim.id]);
        throw err;
      }
    }
    return { opened, advanced };
  }

  /**
   * Moves plans on past occurrences whose work orders are resolved or closed:
   * last done = the resolution time (and, for usage, the reading now), next due from there.
   * Idempotent: each occurrence is completed once, under a row lock.
   */
  async advanceFinished(workOrderId?: number): Promise<number[]> {
    const pending = await this.db.query<{ id: number }>(
      `SELECT o.id::int AS id FROM pm_occurrences o JOIN work_orders w ON w.id = o.work_order_id
        WHERE o.completed_at IS NULL AND w.status IN ('resolved', 'closed') ${workOrderId === undefined ? '' : 'AND w.id = $1'}`,
      workOrderId === undefined ? [] : [workOrderId],
    );
    const advanced: number[] = [];
    for (const { id } of pending.rows) {
      const planId = await this.db.transaction(async (tx) => {
        const { rows } = await tx.query<{ plan_id: number; done_at: Date; kind: PmKind; interval_days: number | null; interval_usage: number | null; usage_now: number | null; due_usage: number | null }>(
          `SELECT o.plan_id::int AS plan_id, COALESCE(w.resolved_at, w.closed_at, now()) AS done_at, p.kind, p.interval_days, p.interval_usage, o.due_usage, lv.value AS usage_now
             FROM pm_occurrences o
             JOIN work_orders w ON w.id = o.work_order_id
             JOIN pm_plans p ON p.id = o.plan_id
             JOIN equipment e ON e.id = p.equipment_id
             LEFT JOIN device_metrics m ON p.kind = 'usage' AND m.device_id = e.device_id AND m.name = p.metric
             LEFT JOIN latest_values lv ON lv.series_id = m.id
            WHERE o.id = $1 AND o.completed_at IS NULL
            FOR UPDATE OF o, p`,
          [id],
        );
        const r = rows[0];
        if (!r) return undefined;
        const doneAt = new Date(r.done_at);
        if (r.kind === 'calendar') {
          await tx.query(`UPDATE pm_plans SET last_done_at = $2, next_due_at = $3, updated_at = now() WHERE id = $1`, [r.plan_id, doneAt, new Date(doneAt.getTime() + r.interval_days! * DAY_MS)]);
          await tx.query('UPDATE pm_occurrences SET completed_at = $2 WHERE id = $1', [id, doneAt]);
        } else {
          const reading = num(r.usage_now) ?? num(r.due_usage)!;
          await tx.query(`UPDATE pm_plans SET last_done_at = $2, last_done_usage = $3, next_due_usage = $4, updated_at = now() WHERE id = $1`, [r.plan_id, doneAt, reading, reading + Number(r.interval_usage)]);
          await tx.query('UPDATE pm_occurrences SET completed_at = $2, completed_usage = $3 WHERE id = $1', [id, doneAt, reading]);
        }
        await recordAudit(tx, { actor: 'system', action: 'pm.advance', targetType: 'pm_plan', targetId: r.plan_id, details: { occurrenceId: id } });
        return r.plan_id;
      });
      if (planId !== undefined) advanced.push(planId);
    }
    return advanced;
  }

  // ------------------------------------------------------------ plans

  async list(user: SessionUser, filter: { status?: PmStatus; equipmentId?: number } = {}, now: Date = this.now()): Promise<PlanView[]> {
    const where = filter.equipmentId === undefined ? '' : 'WHERE p.equipment_id = $1';
    const plans = (await this.views(this.db, `${where} ORDER BY p.id`, filter.equipmentId === undefined ? [] : [filter.equipmentId]))
      .filter((p) => canSeeBuilding(user, p.building_id))
      .map((p) => withStatus(p, now));
    return filter.status ? plans.filter((p) => p.status === filter.status) : plans;
  }

  /** Active plans past due, most overdue first (calendar by days, usage by share of the interval). */
  async overdue(user: SessionUser, now: Date = this.now()): Promise<PlanView[]> {
    const weight = (p: PlanView) => (p.kind === 'calendar' ? (p.days_overdue ?? 0) / p.interval_days! : (p.usage_overdue ?? 0) / p.interval_usage!);
    return (await this.list(user, { status: 'overdue' }, now)).filter((p) => p.active).sort((a, b) => weight(b) - weight(a));
  }

  async get(user: SessionUser, id: number, now: Date = this.now()): Promise<PlanView> {
    const [plan] = await this.views(this.db, 'WHERE p.id = $1', [id]);
    if (!plan || !canSeeBuilding(user, plan.building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no maintenance plan ${id}`);
    return withStatus(plan, now);
  }

  async create(user: SessionUser, input: PlanInput): Promise<PlanView> {
    const eq = await this.db.query<{ id: number; type: string; building_id: string | null; device_id: number | null }>('SELECT id::int AS id, type, building_id, device_id::int AS device_id FROM equipment WHERE id = $1', [input.equipmentId]);
    const equipment = eq.rows[0];
    if (!equipment) throw fieldError('body.equipmentId', `no equipment ${input.equipmentId}`);
    if (!canSeeBuilding(user, equipment.building_id)) throw new WardenError('WARDEN_ERR_FORBIDDEN', 'you may not plan work in this building');
    const now = this.now();
    let nextDueAt: Date | null = null;
    let nextDueUsage: number | null = null;
    if (input.kind === 'calendar') {
      nextDueAt = input.nextDueAt ? new Date(input.nextDueAt) : new Date((input.lastDoneAt ? new Date(input.lastDoneAt) : now).getTime() + input.intervalDays! * DAY_MS);
    } else {
      if (equipment.device_id === null) throw fieldError('body.equipmentId', 'a usage plan needs equipment linked to a monitored device');
      const reading = await this.reading(equipment.device_id, input.metric!);
      nextDueUsage = input.nextDueUsage ?? (input.lastDoneUsage ?? reading ?? 0) + input.intervalUsage!;
    }
    const id = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: number }>(
        `INSERT INTO pm_plans (equipment_id, title, description, trade, priority, kind, interval_days, metric, interval_usage, last_done_at, last_done_usage, next_due_at, next_due_usage, lead_days, active, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id::int AS id`,
        [
          input.equipmentId, input.title, input.description ?? null, input.trade ?? tradeForDevice('maintenance', equipment.type), input.priority, input.kind,
          input.kind === 'calendar' ? input.intervalDays : null, input.kind === 'usage' ? input.metric : null, input.kind === 'usage' ? input.intervalUsage : null,
          input.lastDoneAt ? new Date(input.lastDoneAt) : null, input.kind === 'usage' ? (input.lastDoneUsage ?? null) : null, nextDueAt, nextDueUsage, input.leadDays, input.active, user.username,
        ],
      );
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'pm.create', targetType: 'pm_plan', targetId: rows[0].id, details: { equipmentId: input.equipmentId, kind: input.kind } });
      return rows[0].id;
    });
    return this.get(user, id, now);
  }

  async update(user: SessionUser, id: number, patch: PlanPatch): Promise<PlanView> {
    const plan = await this.get(user, id);
    const wrongKind = plan.kind === 'calendar' ? (['intervalUsage', 'nextDueUsage'] as const) : (['intervalDays', 'nextDueAt', 'leadDays'] as const);
    for (const f of wrongKind) if (patch[f] !== undefined) throw fieldError(`body.${f}`, `not used by a ${plan.kind} plan`);
    const columns: Record<string, unknown> = {
      title: patch.title,
      description: patch.description,
      trade: patch.trade,
      priority: patch.priority,
      interval_days: patch.intervalDays,
      interval_usage: patch.intervalUsage,
      next_due_at: patch.nextDueAt ? new Date(patch.nextDueAt) : undefined,
      next_due_usage: patch.nextDueUsage,
      lead_days: patch.leadDays,
      active: patch.active,
    };
    const entries = Object.entries(columns).filter(([, v]) => v !== undefined);
    await this.db.transaction(async (tx) => {
      await tx.query(`UPDATE pm_plans SET updated_at = now(), ${entries.map(([c], i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`, [id, ...entries.map(([, v]) => v)]);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'pm.update', targetType: 'pm_plan', targetId: id, details: { fields: Object.keys(patch) } });
    });
    return this.get(user, id);
  }

  async remove(user: SessionUser, id: number): Promise<void> {
    await this.get(user, id);
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM pm_plans WHERE id = $1', [id]);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'pm.delete', targetType: 'pm_plan', targetId: id });
    });
  }

  private async reading(deviceId: number, metric: string): Promise<number | null> {
    const { rows } = await this.db.query<{ value: number | null }>('SELECT lv.value FROM device_metrics m JOIN latest_values lv ON lv.series_id = m.id WHERE m.device_id = $1 AND m.name = $2', [deviceId, metric]);
    return num(rows[0]?.value);
  }

  private async views(db: Queryable, tail: string, values: unknown[] = []): Promise<RawView[]> {
    const { rows } = await db.query<RawView>(`${PLAN_VIEW_SQL} ${tail}`, values);
    return rows.map((r) => ({
      ...r,
      interval_usage: num(r.interval_usage),
      last_done_usage: num(r.last_done_usage),
      next_due_usage: num(r.next_due_usage),
      usage_now: num(r.usage_now),
    }));
  }
}

function isDue(p: PlanRow & { usage_now: number | null }, now: Date): boolean {
  if (p.kind === 'calendar') return now.getTime() >= new Date(p.next_due_at!).getTime() - p.lead_days * DAY_MS;
  return p.usage_now !== null && p.usage_now >= p.next_due_usage!;
}

function withStatus(p: RawView, now: Date): PlanView {
  const { equipment_location: _l, equipment_type: _t, ...plan } = p;
  let status: PmStatus = 'ok';
  let daysOverdue: number | null = null;
  let usageOverdue: number | null = null;
  if (p.kind === 'calendar') {
    const late = now.getTime() - new Date(p.next_due_at!).getTime();
    if (late > 0) {
      status = 'overdue';
      daysOverdue = Math.floor(late / DAY_MS);
    } else if (isDue(p, now)) status = 'due';
  } else if (p.usage_now !== null && p.usage_now >= p.next_due_usage!) {
    usageOverdue = p.usage_now - p.next_due_usage!;
    status = usageOverdue > p.interval_usage! * USAGE_OVERDUE_TOLERANCE ? 'overdue' : 'due';
  }
  return { ...plan, status, days_overdue: daysOverdue, usage_overdue: usageOverdue };
}

function describeDue(p: RawView): string {
  return p.kind === 'calendar'
    ? `Preventive maintenance due ${new Date(p.next_due_at!).toISOString().slice(0, 10)} (every ${p.interval_days} days) on ${p.equipment_code}.`
    : `Preventive maintenance due at ${p.next_due_usage} ${p.metric} (every ${p.interval_usage}; now ${p.usage_now}) on ${p.equipment_code}.`;
}
