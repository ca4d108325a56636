import type { Logger } from 'pino';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type Role, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/live-feed.js';
import type { WorkOrderService } from '../workorders/index.js';
import type { WorkOrderStatus } from '../workorders/work-order.types.js';
import {
  kindFor,
  priorityFor,
  statusForWorkOrder,
  tradeFor,
  type Category,
  type Channel,
  type NoteAction,
  type RequestStatus,
  type Urgency,
} from './service-request.types.js';

export interface ServiceRequestRow {
  id: number;
  number: string;
  channel: Channel;
  owner_id: number | null;
  user_id: number | null;
  contact_name: string | null;
  unit_id: number | null;
  unit_number: string | null;
  building_id: string;
  location: string | null;
  category: Category;
  urgency: Urgency;
  description: string;
  status: RequestStatus;
  work_order_id: number | null;
  work_order_number: string | null;
  created_by: string;
  created_at: Date;
  classified_at: Date | null;
  dispatched_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  updated_at: Date;
}

export interface ServiceRequestEventRow {
  id: number;
  at: Date;
  user_id: number | null;
  actor: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  note: string | null;
  photos: string[];
  location: string | null;
}

export interface SurveyRow {
  score: number;
  comment: string | null;
  at: Date;
}

export interface CreateRequestInput {
  channel?: Exclude<Channel, 'portal'>;
  unitId?: number;
  buildingId?: string;
  ownerId?: number;
  contactName?: string;
  location?: string;
  category: Category;
  urgency?: Urgency;
  description: string;
}

export interface NoteInput {
  action: NoteAction;
  note: string;
  photos?: string[];
  location?: string;
}

export interface SatisfactionGroup {
  key: string;
  name?: string;
  count: number;
  average: number;
}

/** Staff who take, classify and follow requests. */
export const serviceDeskRoles: readonly Role[] = ['admin', 'manager', 'clerk'];
/** Who sees the live 'service.request' events. Owners are not in it: see publish(). */
const liveAudience: Role[] = ['admin', 'manager', 'clerk'];

const SELECT = `
  SELECT r.*, u.number AS unit_number, w.number AS work_order_number
    FROM service_requests r
    LEFT JOIN units u ON u.id = r.unit_id
    LEFT JOIN work_orders w ON w.id = r.work_order_id`;

function fieldError(field: string, message: string): WardenError {
  return new WardenError('WARDEN_ERR_VALIDATION', `${field}: ${message}`, { issues: [{ field, message }] });
}

type Actor = { userId: number | null; name: string };
const actorOf = (user: SessionUser): Actor => ({ userId: user.id, name: user.username });

async function insertEvent(
  tx: Queryable,
  e: { requestId: number; actor: Actor; action: string; from?: string | null; to?: string | null; note?: string | null; photos?: string[]; location?: string | null; at: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO service_request_events (request_id, at, user_id, actor, action, from_status, to_status, note, photos, location)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [e.requestId, e.at, e.actor.userId, e.actor.name, e.action, e.from ?? null, e.to ?? null, e.note ?? null, e.photos ?? [], e.location ?? null],
  );
}

/**
 * Customer service requests: taken by phone (clerks), the owner portal, the API or
 * from alarms; classified into a standard work order that the work-order service opens
 * and dispatches; followed to closure (the request's status follows its work order);
 * rated by the requester once closed.
 *
 * Following the work order: a listener on 'workorder.changed' brings the request up to
 * date, and every read does the same (idempotently, under a row lock), so a missed bus
 * event (another hub changed the work order) never leaves a stale status behind.
 */
export class ServiceRequestService {
  private unsubscribe: (() => void) | undefined;
  private pending = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly workOrders: WorkOrderService,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = this.bus.on('workorder.changed', ({ workOrderId }) => {
      const p = this.db
        .query<{ id: number }>('SELECT id FROM service_requests WHERE work_order_id = $1', [workOrderId])
        .then(async ({ rows }) => {
          if (rows[0]) await this.follow(rows[0].id);
        })
        .catch((err: Error) => this.logger.warn({ err: err.message, workOrderId }, 'could not follow the work order of a service request'))
        .finally(() => this.pending.delete(p));
      this.pending.add(p);
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await Promise.all([...this.pending]);
  }

  // ------------------------------------------------------------ intake

  async create(user: SessionUser, input: CreateRequestInput): Promise<ServiceRequestRow> {
    let channel: Channel;
    let ownerId: number | null = null;
    const unitId: number | null = input.unitId ?? null;
    let buildingId: string | null = input.buildingId ?? null;
    let contactName = input.contactName ?? null;

    if (unitId !== null) {
      const unit = (await this.db.query<{ building_id: string }>('SELECT building_id FROM units WHERE id = $1', [unitId])).rows[0];
      if (!unit) throw fieldError('body.unitId', `no unit ${unitId}`);
      if (buildingId !== null && buildingId !== unit.building_id) throw fieldError('body.buildingId', `unit ${unitId} is in building ${unit.building_id}, not ${buildingId}`);
      buildingId = unit.building_id;
    }

    if (user.role === 'owner') {
      // The portal: an owner asks for their own unit, as themselves.
      channel = 'portal';
      if (input.channel !== undefined) throw fieldError('body.channel', 'the portal sets the channel');
      if (input.ownerId !== undefined) throw fieldError('body.ownerId', 'owners ask for themselves');
      if (unitId === null) throw fieldError('body.unitId', 'name your unit');
      const me = (await this.db.query<{ id: number; name: string }>('SELECT id, name FROM owners WHERE user_id = $1', [user.id])).rows[0];
      if (!me) throw new WardenError('WARDEN_ERR_FORBIDDEN', 'your login is not linked to an owner record');
      const holds = await this.db.query('SELECT 1 FROM current_unit_owners WHERE unit_id = $1 AND owner_id = $2', [unitId, me.id]);
      if (holds.rowCount === 0) throw new WardenError('WARDEN_ERR_FORBIDDEN', `unit ${unitId} is not one of yours`);
      ownerId = me.id;
      contactName ??= me.name;
    } else {
      channel = input.channel ?? 'phone';
      if (buildingId === null) throw fieldError('body.buildingId', 'name the unit or the building');
      if (!(await this.db.query('SELECT 1 FROM buildings WHERE id = $1', [buildingId])).rowCount) throw fieldError('body.buildingId', `no building ${buildingId}`);
      if (!canSeeBuilding(user, buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `you may not work in building ${buildingId}`);
      if (input.ownerId !== undefined) {
        if (!(await this.db.query('SELECT 1 FROM owners WHERE id = $1', [input.ownerId])).rowCount) throw fieldError('body.ownerId', `no owner ${input.ownerId}`);
        ownerId = input.ownerId;
      }
    }

    const actor = actorOf(user);
    const { row, liveEventId } = await this.db.transaction(async (tx) => {
      const now = this.now();
      const id = (
        await tx.query<{ id: number }>(
          `INSERT INTO service_requests (number, channel, owner_id, user_id, contact_name, unit_id, building_id, location, category, urgency, description, created_by, created_at, updated_at)
           VALUES ('SR-' || lpad(nextval('service_request_number_seq')::text, 6, '0'), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
           RETURNING id`,
          [channel, ownerId, user.id, contactName, unitId, buildingId, input.location ?? null, input.category, input.urgency ?? 'medium', input.description, user.username, now],
        )
      ).rows[0].id;
      await insertEvent(tx, { requestId: id, actor, action: 'create', to: 'new', note: input.description, location: input.location, at: now });
      await recordAudit(tx, { userId: actor.userId, actor: actor.name, action: 'service_request.create', targetType: 'service_request', targetId: id, details: { channel, unitId } });
      const row = (await selectRequest(tx, id))!;
      return { row, liveEventId: await this.publish(tx, row, 'create') };
    });
    this.bus.emit('live.appended', { lastId: liveEventId });
    return row;
  }

  // ------------------------------------------------------------ classification and dispatch

  /**
   * Classifies a new request (category, urgency) and opens its standard work order
   * through the work-order service, which dispatches it. If the work order cannot be
   * opened, the request stays classified with an 'exception' on its timeline.
   */
  async classify(user: SessionUser, id: number, input: { category?: Category; urgency?: Urgency; note?: string }): Promise<ServiceRequestRow> {
    const actor = actorOf(user);
    const classified = await this.db.transaction(async (tx) => {
      const r = await this.visibleLocked(tx, user, id);
      if (r.status !== 'new' && !(r.status === 'classified' && r.work_order_id === null)) {
        throw new WardenError('WARDEN_ERR_INVALID_TRANSITION', `cannot classify a request that is ${r.status}`, { from: r.status, allowedFrom: ['new'] });
      }
      const now = this.now();
      await tx.query('UPDATE service_requests SET category = $2, urgency = $3, status = $4, classified_at = $5, updated_at = $5 WHERE id = $1', [
        id,
        input.category ?? r.category,
        input.urgency ?? r.urgency,
        'classified',
        now,
      ]);
      await insertEvent(tx, { requestId: id, actor, action: 'classify', from: r.status, to: 'classified', note: input.note ?? `${input.category ?? r.category}, ${input.urgency ?? r.urgency}`, at: now });
      return (await selectRequest(tx, id))!;
    });

    const kind = kindFor(classified.category);
    let workOrderId: number;
    try {
      const { workOrder } = await this.workOrders.createManual(user, {
        kind,
        title: `${classified.number} ${classified.category}${classified.unit_number ? ` in unit ${classified.unit_number}` : ''}`,
        description: classified.description,
        priority: priorityFor(classified.urgency),
        trade: tradeFor(classified.category),
        buildingId: classified.building_id,
        location: classified.location ?? (classified.unit_number ? `unit ${classified.unit_number}` : undefined),
      }, { source: 'request' });
      workOrderId = workOrder.id;
    } catch (err) {
      await this.recordException(actor, id, `the work order could not be opened: ${(err as Error).message}`);
      throw err;
    }

    const liveEventId = await this.db.transaction(async (tx) => {
      const now = this.now();
      const wo = (await tx.query<{ number: string; status: WorkOrderStatus; assignee_id: number | null }>('SELECT number, status, assignee_id FROM work_orders WHERE id = $1', [workOrderId])).rows[0];
      const to = statusForWorkOrder(wo.status);
      await tx.query('UPDATE service_requests SET work_order_id = $2, status = $3, dispatched_at = $4, updated_at = $4 WHERE id = $1', [id, workOrderId, to, now]);
      await insertEvent(tx, {
        requestId: id,
        actor,
        action: 'dispatch',
        from: 'classified',
        to,
        note: wo.assignee_id === null ? `work order ${wo.number} opened; nobody suitable was available yet` : `work order ${wo.number} opened and dispatched`,
        at: now,
      });
      if (wo.assignee_id === null) await insertEvent(tx, { requestId: id, actor, action: 'exception', note: `nobody suitable for ${tradeFor(classified.category)} work: a supervisor must assign ${wo.number}`, at: now });
      return this.publish(tx, (await selectRequest(tx, id))!, 'dispatch');
    });
    this.bus.emit('live.appended', { lastId: liveEventId });
    return (await selectRequest(this.db, id))!;
  }

  /** Brings the request up to date with its work order; idempotent. */
  async follow(id: number): Promise<void> {
    const liveEventId = await this.db.transaction(async (tx) => {
      const r = (await tx.query<{ status: RequestStatus; work_order_id: number | null; building_id: string }>('SELECT status, work_order_id, building_id FROM service_requests WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (!r || r.work_order_id === null) return null;
      const wo = (await tx.query<{ number: string; status: WorkOrderStatus }>('SELECT number, status FROM work_orders WHERE id = $1', [r.work_order_id])).rows[0];
      const to = statusForWorkOrder(wo.status);
      if (to === r.status) return null;
      const now = this.now();
      await tx.query(
        `UPDATE service_requests SET status = $2, updated_at = $3,
                resolved_at = CASE WHEN $2 IN ('resolved', 'closed') THEN coalesce(resolved_at, $3) ELSE NULL END,
                closed_at = CASE WHEN $2 IN ('closed', 'rejected') THEN $3 ELSE NULL END
          WHERE id = $1`,
        [id, to, now],
      );
      const system: Actor = { userId: null, name: 'system' };
      await insertEvent(tx, { requestId: id, actor: system, action: 'status', from: r.status, to, note: `work order ${wo.number} is ${wo.status}`, at: now });
      if (wo.status === 'cancelled') await insertEvent(tx, { requestId: id, actor: system, action: 'exception', note: `work order ${wo.number} was cancelled`, at: now });
      return this.publish(tx, (await selectRequest(tx, id))!, 'status');
    });
    if (liveEventId !== null) this.bus.emit('live.appended', { lastId: liveEventId });
  }

  // ------------------------------------------------------------ timeline

  /** A note, photos or an exception on the timeline, with where it was taken. */
  async addEvent(user: SessionUser, id: number, input: NoteInput): Promise<ServiceRequestEventRow[]> {
    await this.db.transaction(async (tx) => {
      await this.visibleLocked(tx, user, id);
      await insertEvent(tx, { requestId: id, actor: actorOf(user), action: input.action, note: input.note, photos: input.photos, location: input.location, at: this.now() });
    });
    return listEvents(this.db, id);
  }

  /** Turns down a request that has no work order (not ours to do, a duplicate...). */
  async reject(user: SessionUser, id: number, reason: string): Promise<ServiceRequestRow> {
    const liveEventId = await this.db.transaction(async (tx) => {
      const r = await this.visibleLocked(tx, user, id);
      if (r.work_order_id !== null || (r.status !== 'new' && r.status !== 'classified')) {
        throw new WardenError('WARDEN_ERR_INVALID_TRANSITION', `cannot reject a request that is ${r.status}${r.work_order_id !== null ? ' with a work order (cancel the work order)' : ''}`);
      }
      const now = this.now();
      await tx.query(`UPDATE service_requests SET status = 'rejected', closed_at = $2, updated_at = $2 WHERE id = $1`, [id, now]);
      await insertEvent(tx, { requestId: id, actor: actorOf(user), action: 'reject', from: r.status, to: 'rejected', note: reason, at: now });
      return this.publish(tx, (await selectRequest(tx, id))!, 'reject');
    });
    this.bus.emit('live.appended', { lastId: liveEventId });
    return (await selectRequest(this.db, id))!;
  }

  // ------------------------------------------------------------ reading

  async get(user: SessionUser, id: number): Promise<{ request: ServiceRequestRow; events: ServiceRequestEventRow[]; survey: SurveyRow | null }> {
    await this.visible(user, id);
    await this.follow(id);
    const [request, events, survey] = await Promise.all([
      selectRequest(this.db, id),
      listEvents(this.db, id),
      this.db.query<SurveyRow>('SELECT score, comment, at FROM service_surveys WHERE request_id = $1', [id]),
    ]);
    return { request: request!, events, survey: survey.rows[0] ?? null };
  }

  /** Owners: their own requests. Staff: those of the buildings they work in. */
  async list(user: SessionUser, q: { status?: RequestStatus[]; building?: string; limit: number }): Promise<ServiceRequestRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (user.role === 'owner') {
      args.push(user.id);
      where.push(`r.owner_id = (SELECT id FROM owners WHERE user_id = $${args.length})`);
    } else if (user.buildings.length) {
      args.push(user.buildings);
      where.push(`r.building_id = ANY($${args.length})`);
    }
    if (q.status?.length) {
      args.push(q.status);
      where.push(`r.status = ANY($${args.length})`);
    }
    if (q.building) {
      args.push(q.building);
      where.push(`r.building_id = $${args.length}`);
    }
    args.push(q.limit);
    // Open requests with a work order are brought up to date first.
    const open = await this.db.query<{ id: number }>(
      `SELECT r.id FROM service_requests r ${where.length ? `WHERE ${where.join(' AND ')}` : ''}${where.length ? ' AND' : ' WHERE'} r.work_order_id IS NOT NULL AND r.status NOT IN ('closed', 'rejected') ORDER BY r.id DESC LIMIT $${args.length}`,
      args,
    );
    for (const { id } of open.rows) await this.follow(id);
    return (await this.db.query<ServiceRequestRow>(`${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.id DESC LIMIT $${args.length}`, args)).rows;
  }

  // ------------------------------------------------------------ satisfaction

  /** The requester rates a closed request, once. */
  async survey(user: SessionUser, id: number, input: { score: number; comment?: string }): Promise<SurveyRow> {
    await this.visible(user, id);
    await this.follow(id);
    return this.db.transaction(async (tx) => {
      const r = (await tx.query<{ status: RequestStatus; user_id: number | null; owner_user_id: number | null }>(
        'SELECT r.status, r.user_id, o.user_id AS owner_user_id FROM service_requests r LEFT JOIN owners o ON o.id = r.owner_id WHERE r.id = $1 FOR UPDATE OF r',
        [id],
      )).rows[0];
      const requester = r.owner_user_id ?? r.user_id;
      if (requester !== user.id) throw new WardenError('WARDEN_ERR_FORBIDDEN', 'only the requester rates the service');
      if (r.status !== 'closed') throw new WardenError('WARDEN_ERR_INVALID_TRANSITION', `the request is ${r.status}: it can be rated once closed`, { from: r.status, allowedFrom: ['closed'] });
      const done = await tx.query('SELECT 1 FROM service_surveys WHERE request_id = $1', [id]);
      if (done.rowCount) throw new WardenError('WARDEN_ERR_CONFLICT', 'this request has already been rated');
      const now = this.now();
      const row = (await tx.query<SurveyRow>('INSERT INTO service_surveys (request_id, user_id, score, comment, at) VALUES ($1, $2, $3, $4, $5) RETURNING score, comment, at', [id, user.id, input.score, input.comment ?? null, now])).rows[0];
      await insertEvent(tx, { requestId: id, actor: actorOf(user), action: 'survey', note: `rated ${input.score}/5${input.comment ? `: ${input.comment}` : ''}`, at: now });
      return row;
    });
  }

  /**
   * Average score and count of surveys taken in [from, to), overall and by category,
   * building, staff (the work order's assignee) and, for the periodic report, month.
   */
  async satisfaction(user: SessionUser, q: { from?: Date; to?: Date; building?: string }) {
    const where = ['TRUE'];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.from) add('s.at >= ?', q.from);
    if (q.to) add('s.at < ?', q.to);
    if (q.building) add('r.building_id = ?', q.building);
    if (user.buildings.length) add('r.building_id = ANY(?)', user.buildings);
    const base = `FROM service_surveys s
                    JOIN service_requests r ON r.id = s.request_id
                    LEFT JOIN work_orders w ON w.id = r.work_order_id
                    LEFT JOIN staff st ON st.id = w.assignee_id
                   WHERE ${where.join(' AND ')}`;
    const group = async (key: string, name = 'NULL') => {
      const { rows } = await this.db.query<{ key: string | null; name: string | null; count: number; average: string }>(
        `SELECT ${key} AS key, ${name} AS name, count(*)::int AS count, round(avg(s.score), 2)::text AS average ${base} GROUP BY 1, 2 ORDER BY 1`,
        args,
      );
      return rows.map((r): SatisfactionGroup => ({ key: r.key ?? '(none)', ...(r.name !== null ? { name: r.name } : {}), count: r.count, average: Number(r.average) }));
    };
    const overall = (await group(`'all'`))[0] ?? { key: 'all', count: 0, average: 0 };
    return {
      count: overall.count,
      average: overall.average,
      byCategory: await group('r.category'),
      byBuilding: await group('r.building_id'),
      byStaff: await group('w.assignee_id::text', 'st.name'),
      byMonth: await group(`to_char(s.at AT TIME ZONE 'UTC', 'YYYY-MM')`),
    };
  }

  // ------------------------------------------------------------ helpers

  private async visible(user: SessionUser, id: number): Promise<ServiceRequestRow> {
    const r = await selectRequest(this.db, id);
    if (!r || !(await canSee(this.db, user, r))) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no service request ${id}`);
    return r;
  }

  private async visibleLocked(tx: Queryable, user: SessionUser, id: number): Promise<ServiceRequestRow> {
    const r = await selectRequest(tx, id, true);
    if (!r || !(await canSee(tx, user, r))) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no service request ${id}`);
    return r;
  }

  private async recordException(actor: Actor, id: number, note: string): Promise<void> {
    await insertEvent(this.db, { requestId: id, actor, action: 'exception', note, at: this.now() }).catch((err: Error) => this.logger.warn({ err: err.message, id }, 'could not record an exception'));
  }

  /**
   * The live event of a change: for the service desk (by role and building), and for the
   * requesting owner's login by person (an 'owner' audience would show every owner of
   * the building everyone's requests).
   */
  private async publish(tx: Queryable, r: ServiceRequestRow, action: string): Promise<number> {
    const owner = r.owner_id === null ? undefined : (await tx.query<{ user_id: number | null }>('SELECT user_id FROM owners WHERE id = $1', [r.owner_id])).rows[0];
    return appendLiveEvent(tx, {
      type: 'service.request',
      buildingId: r.building_id,
      audience: liveAudience,
      userIds: owner?.user_id != null ? [owner.user_id] : undefined,
      data: { action, request: { id: r.id, number: r.number, channel: r.channel, category: r.category, urgency: r.urgency, status: r.status, unitId: r.unit_id, workOrderId: r.work_order_id } },
    });
  }
}

async function canSee(db: Queryable, user: SessionUser, r: ServiceRequestRow): Promise<boolean> {
  if (user.role === 'owner') {
    if (r.owner_id === null) return false;
    const me = await db.query('SELECT 1 FROM owners WHERE id = $1 AND user_id = $2', [r.owner_id, user.id]);
    return (me.rowCount ?? 0) > 0;
  }
  return canSeeBuilding(user, r.building_id);
}

async function selectRequest(db: Queryable, id: number, lock = false): Promise<ServiceRequestRow | undefined> {
  return (await db.query<ServiceRequestRow>(`${SELECT} WHERE r.id = $1${lock ? ' FOR UPDATE OF r' : ''}`, [id])).rows[0];
}

async function listEvents(db: Queryable, id: number): Promise<ServiceRequestEventRow[]> {
  return (await db.query<ServiceRequestEventRow>('SELECT id, at, user_id, actor, action, from_status, to_status, note, photos, location FROM service_request_events WHERE request_id = $1 ORDER BY at, id', [id])).rows;
}
