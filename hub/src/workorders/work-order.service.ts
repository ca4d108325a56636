import type { Logger } from 'pino';
import { PartsService } from '../assets/index.js';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type Role, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/live-feed.js';
import { chooseAssignee, claimRefusal, roleFor, scoreCandidate, tradeFor, unsuitableReason, type DispatchRequest } from './dispatcher.js';
import { verifyDeviceReadings } from './telemetry-verification.js';
import * as repo from './work-order.repository.js';
import {
  priorities,
  transitions,
  tradeForDevice,
  workingStatuses,
  type EpisodeWorkOrderInput,
  type EpisodeWorkOrderResult,
  type LifecycleAction,
  type Priority,
  type Verification,
  type WorkOrderKind,
  type WorkOrderStatus,
} from './work-order.types.js';

export interface WorkOrderServiceOptions {
  /** The clock for every time stamp, SLA and shift decision (tests pass a fake one). */
  now?: () => Date;
  /** How often the SLA sweeper runs (default 30 s). */
  slaCheckIntervalMs?: number;
}

/** Who does something: a logged-in user, or the hub itself. */
type Actor = { userId: number | null; name: string };
const systemActor: Actor = { userId: null, name: 'system' };
const actorOf = (user: SessionUser): Actor => ({ userId: user.id, name: user.username });

export interface TransitionInput {
  note?: string;
  /** hold, cancel: why. */
  reason?: string;
  /** resolve: what was done. */
  resolution?: string;
  /** resolve: parts consumed; those in the catalogue are issued from stock (see PartsService.issueForResolution). */
  partsUsed?: { partCode: string; qty: number }[];
  /** resolve: the store the parts come from (default: the building's own store, else the central one). */
  store?: string;
  /** assign: the person; absent = let dispatch choose. */
  staffId?: number;
  /** comment: the text. */
  text?: string;
}

export interface ManualWorkOrderInput {
  kind: WorkOrderKind;
  title: string;
  description?: string;
  priority: Priority;
  trade?: string;
  buildingId?: string;
  deviceId?: number;
  location?: string;
}

export interface ListQuery {
  status?: WorkOrderStatus[];
  kind?: WorkOrderKind;
  building?: string;
  trade?: string;
  assignee?: 'me' | number;
  page: number;
  limit: number;
}

export interface WorkOrderOutcome {
  workOrder: repo.WorkOrderRow;
  warnings: string[];
}

/** Parts issued from stock for a resolution. */
type Stock = Awaited<ReturnType<PartsService['issueForResolution']>>;

/** What a committed change must announce on the bus. */
interface Announcements {
  liveEventId: number | null;
  workOrders: { workOrderId: number; action: string; status: WorkOrderStatus; deviceId: number | null }[];
  alarms: (repo.AlarmFlagChange & { action: 'suppress' | 'unsuppress' })[];
}

/**
 * Roles that see every work order of a kind live. Technicians are not among them: they
 * see their own and the unassigned ones of their trades (canSee), so their live events
 * are addressed to them by person (see liveAudience).
 */
const audienceOf = (kind: WorkOrderKind): Role[] => (kind === 'security' ? ['admin', 'manager', 'guard', 'clerk'] : ['admin', 'manager', 'clerk']);

/**
 * Who a work order's live event goes to: the roles that see all of its kind, and the
 * people canSee lets see it after the change; with `before`, also those who could see
 * it until this change (a previous assignee, the trade while it was unassigned), so
 * their lists drop it. Nobody gets an event about a work order they could never see.
 */
async function liveAudience(tx: Queryable, wo: repo.WorkOrderRow, before?: repo.WorkOrderRow): Promise<{ audience: Role[]; userIds: number[] }> {
  const now = await repo.workOrderRecipients(tx, wo);
  const then = before ? await repo.workOrderRecipients(tx, before) : [];
  return { audience: audienceOf(wo.kind), userIds: [...new Set([...now, ...then])].sort((a, b) => a - b) };
}
const supervisors: Role[] = ['manager', 'admin'];
/** Actions done by the person doing the work. */
const workerActions: readonly LifecycleAction[] = ['accept', 'start', 'hold', 'resume', 'resolve'];
/** Actions of whoever runs the work: managers and admins, and guards for security work. */
const supervisorActions: readonly LifecycleAction[] = ['assign', 'close', 'cancel', 'reopen'];

const DEFAULT_REOPEN_WITHIN_MINUTES = 24 * 60;
const DEFAULT_SLA_CHECK_INTERVAL_MS = 30_000;

/** The part of a work order the live stream and the bus carry. */
function liveSummary(wo: repo.WorkOrderRow) {
  return {
    id: wo.id,
    number: wo.number,
    kind: wo.kind,
    source: wo.source,
    status: wo.status,
    priority: wo.priority,
    trade: wo.trade,
    title: wo.title,
    buildingId: wo.building_id,
    deviceId: wo.device_id,
    assigneeId: wo.assignee_id,
    escalationLevel: wo.escalation_level,
    acceptDueAt: wo.accept_due_at.toISOString(),
    resolveDueAt: wo.resolve_due_at.toISOString(),
  };
}

/**
 * Work orders: opened by alarm episodes or by people, dispatched to staff by trade,
 * building, shift and workload, moved through their lifecycle with every step
 * recorded, and escalated when their SLA is breached.
 */
export class WorkOrderService {
  private readonly now: () => Date;
  private readonly slaCheckIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  /** Stock for the parts used on resolutions, moved in the resolution's own transaction. */
  private readonly parts: PartsService;

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    options: WorkOrderServiceOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.slaCheckIntervalMs = options.slaCheckIntervalMs ?? DEFAULT_SLA_CHECK_INTERVAL_MS;
    this.parts = new PartsService(db, bus);
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep()
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'SLA sweep failed'))
        .finally(() => (this.sweeping = undefined));
    }, this.slaCheckIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  // ------------------------------------------------------------ opened by alarms

  /**
   * Opens the work order of a new alarm episode, inside the alarm engine's
   * transaction (it never begins, commits or rolls back). If a work order of an
   * earlier episode of the same alarm was resolved within `reopenWithinMinutes`,
   * that one is reopened instead. The work order is dispatched at once.
   *
   * Exactly once per episode: work_orders.alarm_episode_id is unique, so a second
   * call for the same episode fails with a unique violation (23505) and the caller's
   * transaction rolls back. It appends one live event, so it takes the live-feed lock:
   * call it after the engine's other writes.
   *
   * After COMMIT the caller must call `afterCommit(result)`, which emits
   * `live.appended` and `workorder.changed` on the bus. Nothing is emitted if the
   * transaction rolls back.
   */
  async openForEpisode(tx: Queryable, ep: EpisodeWorkOrderInput): Promise<EpisodeWorkOrderResult> {
    const now = this.now();
    const episodeDetails = { episodeId: ep.episodeId, alarmId: ep.alarmId, ruleId: ep.ruleId, raisedAt: ep.raisedAt.toISOString() };
    const windowMinutes = ep.reopenWithinMinutes ?? DEFAULT_REOPEN_WITHIN_MINUTES;
    // The fault came back before its work order was done: one fault, one job. The new
    // episode joins it (and takes over the unique link, so a second call for the same
    // episode fails like a second insert would). The caller holds the alarm's row lock
    // and the work order's row is locked here, so two hubs cannot both open one. A rule
    // with reopenWithinMinutes 0 asks for one work order per episode, always: no joining
    // either (the benchmark and the two-hub test count episodes against work orders so).
    const unfinished = windowMinutes > 0 ? await repo.findUnfinishedForAlarm(tx, ep.alarmId, ep.episodeId) : undefined;
    if (unfinished) return this.joinUnfinished(tx, unfinished, ep, episodeDetails, now);

    const device = await repo.deviceInfo(tx, ep.deviceId);
    const trade = ep.trade ?? tradeForDevice(ep.kind, device?.type ?? null);
    const due = await this.dueTimes(tx, ep.priority, now);
    const previous = windowMinutes > 0 ? await repo.findReopenable(tx, ep.alarmId, ep.episodeId, new Date(now.getTime() - windowMinutes * 60_000)) : undefined;

    let workOrderId: number;
    if (previous) {
      workOrderId = previous.id;
      // The new episode takes over the unique link: a second call for it then fails like a second insert would.
      await repo.updateWorkOrder(tx, previous.id, { alarm_episode_id: ep.episodeId, priority: ep.priority, ...this.reopenedFields(previous, due) }, now);
      await repo.insertEvent(tx, { workOrderId, at: now, action: 'reopen', fromStatus: previous.status, toStatus: 'open', userId: null, actor: 'system', note: `the fault recurred: ${ep.message}`, details: episodeDetails });
    } else {
      workOrderId = await repo.insertWorkOrder(tx, {
        kind: ep.kind,
        source: 'alarm',
        alarmEpisodeId: ep.episodeId,
        title: `${ep.ruleName}: ${ep.deviceName}`,
        description: ep.message,
        priority: ep.priority,
        trade,
        buildingId: ep.buildingId,
        deviceId: ep.deviceId,
        location: ep.location ?? device?.location ?? null,
        createdBy: 'system',
        createdAt: now,
        acceptDueAt: due.accept,
        resolveDueAt: due.resolve,
      });
      await repo.insertEvent(tx, { workOrderId, at: now, action: 'create', fromStatus: null, toStatus: 'open', userId: null, actor: 'system', note: ep.message, details: episodeDetails });
    }
    await repo.linkEpisode(tx, ep.episodeId, workOrderId);
    const opened = (await repo.selectWorkOrder(tx, workOrderId))!;
    await this.dispatch(tx, opened, now, systemActor);
    const wo = (await repo.selectWorkOrder(tx, workOrderId))!;
    await recordAudit(tx, { actor: 'system', action: previous ? 'workorder.reopen' : 'workorder.create', targetType: 'work_order', targetId: wo.id, details: { number: wo.number, ...episodeDetails } });
    const liveEventId = await appendLiveEvent(tx, {
      type: previous ? 'workorder.changed' : 'workorder.created',
      buildingId: wo.building_id,
      ...(await liveAudience(tx, wo, previous)),
      data: { action: previous ? 'reopen' : 'create', actor: 'system', workOrder: liveSummary(wo), dispatched: wo.assignee_id !== null },
    });
    return { workOrderId: wo.id, number: wo.number, reopened: !!previous, recurred: false, assigneeId: wo.assignee_id, status: wo.status, deviceId: ep.deviceId, liveEventId };
  }

  /**
   * A new episode of an alarm whose work order is not finished: linked to it with a
   * 'recur' event on its timeline. Status, assignee and SLA stay (the job is the same);
   * a higher priority is taken over; an unassigned one is dispatched again.
   */
  private async joinUnfinished(tx: Queryable, wo: repo.WorkOrderRow, ep: EpisodeWorkOrderInput, episodeDetails: Record<string, unknown>, now: Date): Promise<EpisodeWorkOrderResult> {
    const priority = priorityRank(ep.priority) < priorityRank(wo.priority) ? ep.priority : wo.priority;
    await repo.updateWorkOrder(tx, wo.id, { alarm_episode_id: ep.episodeId, priority }, now);
    await repo.insertEvent(tx, {
      workOrderId: wo.id,
      at: now,
      action: 'recur',
      fromStatus: wo.status,
      toStatus: wo.status,
      userId: null,
      actor: 'system',
      note: `the fault recurred while the work order was ${wo.status.replace('_', ' ')}: ${ep.message}`,
      details: { ...episodeDetails, previousEpisodeId: wo.alarm_episode_id, ...(priority !== wo.priority ? { priority: { from: wo.priority, to: priority } } : {}) },
    });
    await repo.linkEpisode(tx, ep.episodeId, wo.id);
    if (wo.status === 'open') await this.dispatch(tx, (await repo.selectWorkOrder(tx, wo.id))!, now, systemActor);
    const after = (await repo.selectWorkOrder(tx, wo.id))!;
    await recordAudit(tx, { actor: 'system', action: 'workorder.recur', targetType: 'work_order', targetId: wo.id, details: { number: wo.number, ...episodeDetails } });
    const liveEventId = await appendLiveEvent(tx, {
      type: 'workorder.changed',
      buildingId: after.building_id,
      ...(await liveAudience(tx, after, wo)),
      data: { action: 'recur', actor: 'system', from: wo.status, workOrder: liveSummary(after), episodeId: ep.episodeId },
    });
    return { workOrderId: after.id, number: after.number, reopened: false, recurred: true, assigneeId: after.assignee_id, status: after.status, deviceId: ep.deviceId, liveEventId };
  }

  /** Announces a committed openForEpisode on the bus; call it after the alarm engine's COMMIT. */
  afterCommit(result: EpisodeWorkOrderResult): void {
    this.announce({
      liveEventId: result.liveEventId,
      workOrders: [{ workOrderId: result.workOrderId, action: result.recurred ? 'recur' : result.reopened ? 'reopen' : 'create', status: result.status, deviceId: result.deviceId }],
      alarms: [],
    });
  }

  // ------------------------------------------------------------ opened by people

  /**
   * A work order opened by a person — or on their behalf by a module: `origin` says where it
   * came from (a resident's request, a preventive-maintenance plan) and the equipment it is for.
   */
  async createManual(user: SessionUser, input: ManualWorkOrderInput, origin: { source?: Exclude<repo.WorkOrderRow['source'], 'alarm'>; equipmentId?: number } = {}): Promise<WorkOrderOutcome> {
    const source = origin.source ?? 'manual';
    const device = input.deviceId === undefined ? undefined : await repo.deviceInfo(this.db, input.deviceId);
    if (input.deviceId !== undefined && !device) throw fieldError('body.deviceId', `no device ${input.deviceId}`);
    if (device && input.buildingId !== undefined && device.building_id !== input.buildingId) {
      throw fieldError('body.buildingId', `device ${device.id} is in building ${device.building_id ?? '(none)'}, not ${input.buildingId}`);
    }
    const buildingId = input.buildingId ?? device?.building_id ?? null;
    if (buildingId !== null && !(await repo.buildingExists(this.db, buildingId))) throw fieldError('body.buildingId', `no building ${buildingId}`);
    if (!canSeeBuilding(user, buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', buildingId ? `you may not work in building ${buildingId}` : 'you are limited to some buildings: name one');
    const trade = input.kind === 'security' ? 'security' : (input.trade ?? tradeForDevice(input.kind, device?.type ?? null));
    const actor = actorOf(user);

    const { wo, announcements } = await this.db.transaction(async (tx) => {
      const now = this.now();
      const due = await this.dueTimes(tx, input.priority, now);
      const id = await repo.insertWorkOrder(tx, {
        kind: input.kind,
        source,
        alarmEpisodeId: null,
        title: input.title,
        description: input.description ?? null,
        priority: input.priority,
        trade,
        buildingId,
        deviceId: device?.id ?? null,
        location: input.location ?? device?.location ?? null,
        createdBy: user.username,
        createdAt: now,
        acceptDueAt: due.accept,
        resolveDueAt: due.resolve,
      });
      if (origin.equipmentId !== undefined) await tx.query('UPDATE work_orders SET equipment_id = $2 WHERE id = $1', [id, origin.equipmentId]);
      await repo.insertEvent(tx, { workOrderId: id, at: now, action: 'create', fromStatus: null, toStatus: 'open', userId: actor.userId, actor: actor.name, note: input.description ?? null, details: { source } });
      await this.dispatch(tx, (await repo.selectWorkOrder(tx, id))!, now, actor);
      const created = (await repo.selectWorkOrder(tx, id))!;
      await recordAudit(tx, { userId: actor.userId, actor: actor.name, action: 'workorder.create', targetType: 'work_order', targetId: id, details: { number: created.number, kind: created.kind, priority: created.priority, source } });
      const liveEventId = await appendLiveEvent(tx, {
        type: 'workorder.created',
        buildingId: created.building_id,
        ...(await liveAudience(tx, created)),
        data: { action: 'create', actor: actor.name, workOrder: liveSummary(created), dispatched: created.assignee_id !== null },
      });
      return { wo: created, announcements: { liveEventId, workOrders: [{ workOrderId: id, action: 'create', status: created.status, deviceId: created.device_id }], alarms: [] } satisfies Announcements };
    });
    this.announce(announcements);
    return { workOrder: wo, warnings: [] };
  }

  // ------------------------------------------------------------ lifecycle

  /**
   * One step of the lifecycle, in one transaction: the row is locked, the step
   * checked against the lifecycle and the user's rights, applied, and recorded
   * (work-order event, audit, live event); bus events follow the commit.
   */
  async act(user: SessionUser, id: number, action: LifecycleAction, input: TransitionInput = {}): Promise<WorkOrderOutcome> {
    const actor = actorOf(user);
    const { outcome, announcements } = await this.db.transaction(async (tx) => {
      const wo = await repo.lockWorkOrder(tx, id);
      const me = await repo.staffForUser(tx, user.id);
      if (!wo || !canSee(user, me, wo)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no work order ${id}`);
      const refusal = permissionRefusal(user, me, wo, action);
      if (refusal) throw new WardenError('WARDEN_ERR_FORBIDDEN', refusal);
      const now = this.now();
      const announcements: Announcements = { liveEventId: null, workOrders: [], alarms: [] };
      const warnings: string[] = [];
      let stock: Stock | undefined;

      if (action === 'comment') {
        await repo.insertEvent(tx, { workOrderId: id, at: now, action: 'comment', fromStatus: wo.status, toStatus: wo.status, userId: actor.userId, actor: actor.name, note: input.text ?? input.note ?? '' });
      } else {
        const rule = transitions[action];
        if (!rule.from.includes(wo.status)) {
          throw new WardenError('WARDEN_ERR_INVALID_TRANSITION', `cannot ${action} a work order that is ${wo.status} (${wo.status} → ${rule.to} is not allowed)`, {
            action,
            from: wo.status,
            to: rule.to,
            allowedFrom: rule.from,
          });
        }
        // Parts come out of stock in this transaction: a shortage refuses the resolution and nothing changes.
        if (action === 'resolve' && input.partsUsed?.length) stock = await this.parts.issueForResolution(tx, user, wo, input.partsUsed, input.store);
        warnings.push(...(await this.applyTransition(tx, wo, action, input, now, actor, stock)));
        if (wo.kind === 'maintenance' && wo.device_id !== null) {
          announcements.alarms.push(...(await this.updateSuppression(tx, wo, (await repo.selectWorkOrder(tx, id))!.status, now, actor)));
        }
        await recordAudit(tx, { userId: actor.userId, actor: actor.name, action: `workorder.${action}`, targetType: 'work_order', targetId: id, details: { number: wo.number, from: wo.status, ...auditDetails(input) } });
      }

      const after = (await repo.selectWorkOrder(tx, id))!;
      announcements.workOrders.push({ workOrderId: id, action, status: after.status, deviceId: after.device_id });
      if (stock?.alerts.length) await this.parts.publishLowStock(tx, user, 'issue', stock.store, stock.alerts);
      announcements.liveEventId = await appendLiveEvent(tx, {
        type: 'workorder.changed',
        buildingId: after.building_id,
        ...(await liveAudience(tx, after, wo)),
        data: { action, actor: actor.name, from: wo.status, workOrder: liveSummary(after), ...(warnings.length ? { warnings } : {}) },
      });
      return { outcome: { workOrder: after, warnings }, announcements };
    });
    this.announce(announcements);
    return outcome;
  }

  /**
   * A technician (maintenance work of their trades) or a guard (security work) takes an
   * unassigned open work order themself: it becomes theirs and accepted at once (assigned_at
   * and accepted_at now, so the accept SLA is met at the claim), if dispatch's rules allow
   * them and they are on shift (claimRefusal). One transaction under the work order's row
   * lock, so of two people claiming at once exactly one wins; the other is told who has it.
   * Managers and admins do not claim: they assign.
   */
  async claim(user: SessionUser, id: number, input: { note?: string } = {}): Promise<WorkOrderOutcome> {
    if (user.role !== 'technician' && user.role !== 'guard') {
      throw new WardenError('WARDEN_ERR_FORBIDDEN', `only the technician or guard who will do the work may claim a work order; a ${user.role} assigns it (POST /api/work-orders/${id}/assign)`);
    }
    const actor = actorOf(user);
    const { outcome, announcements } = await this.db.transaction(async (tx) => {
      // Read again once locked: a row locked after waiting for a concurrent claim comes back
      // updated, but its joined columns (the assignee's name) from before (PostgreSQL's
      // READ COMMITTED recheck); a new statement sees the committed claim whole.
      const wo = (await repo.lockWorkOrder(tx, id)) && (await repo.selectWorkOrder(tx, id));
      const me = await repo.staffForUser(tx, user.id);
      // The pool the user may claim from: what canSee shows them, plus the work orders of that
      // pool someone else took meanwhile, so a lost race is answered with who has it, not a 404.
      if (!wo || !(canSee(user, me, wo) || inClaimPool(user, me, wo))) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no work order ${id}`);
      if (!me) throw new WardenError('WARDEN_ERR_FORBIDDEN', `you (${user.username}) have no staff record to take work orders: ask a manager to add you to the staff`);
      if (wo.assignee_id === me.id) throw new WardenError('WARDEN_ERR_CONFLICT', `${wo.number} is already yours (${wo.status.replace('_', ' ')})`, { assigneeId: me.id });
      if (wo.assignee_id !== null) {
        throw new WardenError('WARDEN_ERR_CONFLICT', `${wo.number} is already taken by ${wo.assignee_name ?? `staff ${wo.assignee_id}`}`, { assigneeId: wo.assignee_id, assignee: wo.assignee_name });
      }
      if (wo.status !== 'open') {
        throw new WardenError('WARDEN_ERR_INVALID_TRANSITION', `cannot claim a work order that is ${wo.status} (only open, unassigned ones can be claimed)`, {
          action: 'claim',
          from: wo.status,
          to: 'accepted',
          allowedFrom: ['open'],
        });
      }
      const now = this.now();
      const request = dispatchRequestOf(wo);
      const person = (await repo.loadStaffMember(tx, me.id, now))!;
      const why = claimRefusal(request, person);
      if (why) throw new WardenError('WARDEN_ERR_UNSUITABLE_ASSIGNEE', `you (${person.name}) cannot claim ${wo.number}: ${why}`, { staffId: me.id, reason: why });

      const scored = scoreCandidate(request, person);
      await repo.updateWorkOrder(tx, wo.id, { status: 'accepted', assignee_id: me.id, assigned_at: now, accepted_at: now }, now);
      await repo.insertEvent(tx, {
        workOrderId: wo.id,
        at: now,
        action: 'claim',
        fromStatus: wo.status,
        toStatus: 'accepted',
        userId: actor.userId,
        actor: actor.name,
        note: input.note ?? null,
        details: { staffId: me.id, name: person.name, reasons: scored.reasons },
      });
      await recordAudit(tx, { userId: actor.userId, actor: actor.name, action: 'workorder.claim', targetType: 'work_order', targetId: wo.id, details: { number: wo.number, from: wo.status, staffId: me.id } });
      const after = (await repo.selectWorkOrder(tx, wo.id))!;
      const announcements: Announcements = { liveEventId: null, workOrders: [{ workOrderId: wo.id, action: 'claim', status: after.status, deviceId: after.device_id }], alarms: [] };
      announcements.liveEventId = await appendLiveEvent(tx, {
        type: 'workorder.changed',
        buildingId: after.building_id,
        // Before: every technician of the trade saw it unassigned; they get it too, so it leaves their pool.
        ...(await liveAudience(tx, after, wo)),
        data: { action: 'claim', actor: actor.name, from: wo.status, workOrder: liveSummary(after) },
      });
      return { outcome: { workOrder: after, warnings: [] }, announcements };
    });
    this.announce(announcements);
    return outcome;
  }

  /** Applies an allowed transition and records its work-order event(s); returns warnings for the caller. */
  private async applyTransition(tx: Queryable, wo: repo.WorkOrderRow, action: Exclude<LifecycleAction, 'comment'>, input: TransitionInput, now: Date, actor: Actor, stock?: Stock): Promise<string[]> {
    const to = transitions[action].to;
    const event = (toStatus: WorkOrderStatus, note?: string | null, details?: Record<string, unknown>) =>
      repo.insertEvent(tx, { workOrderId: wo.id, at: now, action, fromStatus: wo.status, toStatus, userId: actor.userId, actor: actor.name, note: note ?? input.note ?? null, details });

    switch (action) {
      case 'assign': {
        if (input.staffId === undefined) {
          const choice = await this.dispatch(tx, wo, now, actor, { manual: true });
          if (!choice) throw new WardenError('WARDEN_ERR_NO_CANDIDATE', `nobody suitable for ${tradeFor(wo)} work${wo.building_id ? ` in ${wo.building_id}` : ''}`);
          return [];
        }
        if (input.staffId === wo.assignee_id && wo.status !== 'open') {
          throw new WardenError('WARDEN_ERR_CONFLICT', `work order ${wo.number} is already assigned to staff ${input.staffId}`);
        }
        const person = await repo.loadStaffMember(tx, input.staffId, now);
        const why = person ? unsuitableReason(dispatchRequestOf(wo), person) : `no staff member ${input.staffId}`;
        if (!person || why) throw new WardenError('WARDEN_ERR_UNSUITABLE_ASSIGNEE', `staff ${input.staffId} cannot take ${wo.number}: ${why}`, { staffId: input.staffId, reason: why });
        const scored = scoreCandidate(dispatchRequestOf(wo), person);
        await repo.updateWorkOrder(tx, wo.id, { status: 'assigned', assignee_id: person.staffId, assigned_at: now, accepted_at: null }, now);
        await event(to, undefined, { staffId: person.staffId, name: person.name, previousAssigneeId: wo.assignee_id, automatic: false, reasons: scored.reasons });
        return [];
      }
      case 'accept':
        await repo.updateWorkOrder(tx, wo.id, { status: to, accepted_at: now }, now);
        await event(to);
        return [];
      case 'start':
        await repo.updateWorkOrder(tx, wo.id, { status: to, started_at: wo.started_at ?? now }, now);
        await event(to);
        return [];
      case 'hold':
        await repo.updateWorkOrder(tx, wo.id, { status: to }, now);
        await event(to, input.reason);
        return [];
      case 'resume':
        await repo.updateWorkOrder(tx, wo.id, { status: to }, now);
        await event(to);
        return [];
      case 'resolve': {
        // An alarm work order is verified by its alarm (which follows telemetry even while
        // suppressed); other work on equipment by the device's latest readings against the
        // threshold rules that watch it.
        const stillActive = await repo.alarmStillActive(tx, wo.alarm_episode_id);
        const byReadings = stillActive === null && wo.device_id !== null ? await verifyDeviceReadings(tx, wo.device_id) : undefined;
        const verification: Verification = byReadings ? byReadings.verification : stillActive === null ? 'unverified' : stillActive ? 'abnormal' : 'normal';
        const warnings =
          verification !== 'abnormal'
            ? []
            : byReadings
              ? byReadings.checks.filter((c) => c.abnormal).map((c) => `${c.metric} is still abnormal: ${c.value} ${c.op} ${c.limit} (rule "${c.ruleName}")`)
              : [`the alarm that opened ${wo.number} is still active: the reading is still abnormal`];
        const unlisted = [...new Set(stock?.unlisted.map((p) => p.partCode))];
        if (unlisted.length) warnings.push(`not in the parts catalogue: ${unlisted.join(', ')}; recorded as used, no stock issued`);
        await repo.updateWorkOrder(tx, wo.id, { status: to, resolved_at: now, resolution: input.resolution ?? null, verification }, now);
        await event(to, input.resolution, {
          verification,
          ...(byReadings?.checks.length ? { checks: byReadings.checks } : {}),
          ...(input.partsUsed?.length ? { partsUsed: input.partsUsed } : {}),
          ...(stock?.movements.length ? { stockIssued: { store: stock.store, movements: stock.movements.map((m) => ({ id: m.id, partCode: m.code, qty: -m.qty, balance: m.balance })) } } : {}),
          ...(unlisted.length ? { unlisted } : {}),
          ...(warnings.length ? { warnings } : {}),
          ...(input.note ? { note: input.note } : {}),
        });
        return warnings;
      }
      case 'close':
        await repo.updateWorkOrder(tx, wo.id, { status: to, closed_at: now }, now);
        await event(to);
        return [];
      case 'cancel':
        await repo.updateWorkOrder(tx, wo.id, { status: to, cancelled_at: now }, now);
        await event(to, input.reason);
        return [];
      case 'reopen': {
        const due = await this.dueTimes(tx, wo.priority, now);
        await repo.updateWorkOrder(tx, wo.id, this.reopenedFields(wo, due), now);
        await event(to, input.reason ?? input.note);
        await this.dispatch(tx, (await repo.selectWorkOrder(tx, wo.id))!, now, actor);
        return [];
      }
    }
  }

  /** A reopened work order starts afresh: new SLA, nobody assigned, nothing accepted or resolved. */
  private reopenedFields(wo: repo.WorkOrderRow, due: { accept: Date; resolve: Date }) {
    return {
      status: 'open' as const,
      reopen_count: wo.reopen_count + 1,
      assignee_id: null,
      assigned_at: null,
      accepted_at: null,
      started_at: null,
      resolved_at: null,
      closed_at: null,
      cancelled_at: null,
      resolution: null,
      verification: null,
      escalation_level: 0,
      accept_breached_at: null,
      resolve_breached_at: null,
      accept_due_at: due.accept,
      resolve_due_at: due.resolve,
    };
  }

  /**
   * Suppressed-by-design (ISA-18.2): while a maintenance work order is being worked
   * on, its device's maintenance alarms are suppressed, so the engine opens no episode
   * for the fault being repaired; they come back when no work is in progress any more.
   * Security alarms of the device stay live (see setDeviceAlarmsSuppressed).
   */
  private async updateSuppression(tx: Queryable, before: repo.WorkOrderRow, after: WorkOrderStatus, now: Date, actor: Actor): Promise<Announcements['alarms']> {
    const wasWorking = workingStatuses.includes(before.status);
    const isWorking = workingStatuses.includes(after);
    if (wasWorking === isWorking || before.device_id === null) return [];
    await repo.lockDeviceSuppression(tx, before.device_id);
    const who = { userId: actor.userId, actor: actor.name, note: `work order ${before.number}`, at: now, workOrderId: before.id };
    if (isWorking) {
      return (await repo.setDeviceAlarmsSuppressed(tx, before.device_id, true, who)).map((c) => ({ ...c, action: 'suppress' as const }));
    }
    if (await repo.otherWorkInProgress(tx, before.device_id, before.id)) return [];
    return (await repo.setDeviceAlarmsSuppressed(tx, before.device_id, false, who)).map((c) => ({ ...c, action: 'unsuppress' as const }));
  }

  // ------------------------------------------------------------ dispatch

  /**
   * Assigns the best suitable person (see dispatcher.ts), recording an 'assign'
   * event; with nobody suitable the work order stays as it is and a 'dispatch.none'
   * event tells supervisors it needs them.
   */
  private async dispatch(tx: Queryable, wo: repo.WorkOrderRow, now: Date, actor: Actor, opts: { manual?: boolean } = {}) {
    const request = dispatchRequestOf(wo);
    const candidates = (await repo.loadCandidates(tx, tradeFor(request), now)).filter((c) => c.staffId !== wo.assignee_id || wo.status === 'open');
    const choice = chooseAssignee(request, candidates);
    if (!choice) {
      if (!opts.manual) {
        await repo.insertEvent(tx, { workOrderId: wo.id, at: now, action: 'dispatch.none', fromStatus: wo.status, toStatus: wo.status, userId: actor.userId, actor: actor.name, note: `nobody suitable for ${request.trade} work`, details: { trade: tradeFor(request), buildingId: wo.building_id } });
      }
      return undefined;
    }
    await repo.updateWorkOrder(tx, wo.id, { status: 'assigned', assignee_id: choice.candidate.staffId, assigned_at: now, accepted_at: null }, now);
    await repo.insertEvent(tx, {
      workOrderId: wo.id,
      at: now,
      action: 'assign',
      fromStatus: wo.status,
      toStatus: 'assigned',
      userId: actor.userId,
      actor: actor.name,
      note: null,
      details: { staffId: choice.candidate.staffId, name: choice.candidate.name, previousAssigneeId: wo.assignee_id, automatic: true, score: choice.score, reasons: choice.reasons },
    });
    return choice;
  }

  private async dueTimes(db: Queryable, priority: Priority, from: Date): Promise<{ accept: Date; resolve: Date }> {
    const sla = await repo.slaPolicy(db, priority);
    return { accept: new Date(from.getTime() + sla.acceptMinutes * 60_000), resolve: new Date(from.getTime() + sla.resolveMinutes * 60_000) };
  }

  // ------------------------------------------------------------ SLA

  /**
   * Escalates every work order whose accept or resolve SLA has passed, once each,
   * even with several hubs sweeping the same database (see markAcceptBreaches).
   * Returns the escalations it made.
   */
  async sweep(now: Date = this.now()): Promise<{ workOrderId: number; number: string; sla: 'accept' | 'resolve'; level: number }[]> {
    const { escalations, announcements } = await this.db.transaction(async (tx) => {
      const breaches = [
        ...(await repo.markAcceptBreaches(tx, now)).map((wo) => ({ wo, sla: 'accept' as const, dueAt: wo.accept_due_at })),
        ...(await repo.markResolveBreaches(tx, now)).map((wo) => ({ wo, sla: 'resolve' as const, dueAt: wo.resolve_due_at })),
      ];
      const announcements: Announcements = { liveEventId: null, workOrders: [], alarms: [] };
      if (!breaches.length) return { escalations: [], announcements };
      // A work order breaching both at once was bumped twice; its level is the last value.
      const levels = new Map<number, number>();
      for (const b of breaches) levels.set(b.wo.id, Math.max(levels.get(b.wo.id) ?? 0, b.wo.escalation_level));
      for (const { wo, sla, dueAt } of breaches) {
        await repo.insertEvent(tx, {
          workOrderId: wo.id,
          at: now,
          action: 'escalate',
          fromStatus: wo.status,
          toStatus: wo.status,
          userId: null,
          actor: 'system',
          note: `${sla} SLA breached (due ${dueAt.toISOString()})`,
          details: { sla, dueAt: dueAt.toISOString(), level: levels.get(wo.id) },
        });
        await recordAudit(tx, { actor: 'system', action: 'workorder.escalate', targetType: 'work_order', targetId: wo.id, details: { number: wo.number, sla, level: levels.get(wo.id) } });
        announcements.workOrders.push({ workOrderId: wo.id, action: 'escalate', status: wo.status, deviceId: wo.device_id });
      }
      for (const { wo, sla, dueAt } of breaches) {
        announcements.liveEventId = await appendLiveEvent(tx, {
          type: 'workorder.escalated',
          buildingId: wo.building_id,
          audience: supervisors,
          data: { action: 'escalate', sla, dueAt: dueAt.toISOString(), level: levels.get(wo.id), workOrder: { ...liveSummary(wo), escalationLevel: levels.get(wo.id) } },
        });
      }
      return { escalations: breaches.map((b) => ({ workOrderId: b.wo.id, number: b.wo.number, sla: b.sla, level: levels.get(b.wo.id)! })), announcements };
    });
    this.announce(announcements);
    if (escalations.length) this.logger.info({ escalations: escalations.length }, 'work-order SLA breaches escalated');
    return escalations;
  }

  // ------------------------------------------------------------ reads

  async list(user: SessionUser, q: ListQuery): Promise<{ rows: repo.WorkOrderRow[]; total: number }> {
    const me = await repo.staffForUser(this.db, user.id);
    let assigneeId: number | null = null;
    if (q.assignee === 'me') {
      if (!me) return { rows: [], total: 0 };
      assigneeId = me.id;
    } else if (q.assignee !== undefined) {
      assigneeId = q.assignee;
    }
    return repo.listWorkOrders(this.db, {
      statuses: q.status?.length ? q.status : null,
      kind: q.kind ?? null,
      building: q.building ?? null,
      trade: q.trade ?? null,
      assigneeId,
      userBuildings: user.buildings,
      scope: user.role === 'technician' ? 'technician' : user.role === 'guard' ? 'guard' : 'all',
      staffId: me?.id ?? null,
      staffTrades: me?.trades ?? [],
      limit: q.limit,
      offset: (q.page - 1) * q.limit,
    });
  }

  /** One work order with its timeline and the alarm episodes behind it; 404 if the user may not see it. */
  async get(user: SessionUser, id: number) {
    const wo = await repo.selectWorkOrder(this.db, id);
    const me = await repo.staffForUser(this.db, user.id);
    if (!wo || !canSee(user, me, wo)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no work order ${id}`);
    const [events, episodes] = await Promise.all([repo.listEvents(this.db, id), repo.episodesOf(this.db, id, wo.alarm_episode_id)]);
    return { workOrder: wo, events, episodes };
  }

  async kpis(user: SessionUser, q: { from?: Date; to?: Date; building?: string }) {
    const now = this.now();
    const to = q.to ?? now;
    const from = q.from ?? new Date(to.getTime() - 30 * 24 * 3_600_000);
    if (q.building !== undefined && !canSeeBuilding(user, q.building)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no building ${q.building}`);
    const filter = { building: q.building ?? null, userBuildings: user.buildings };
    const [rows, openByTrade] = await Promise.all([repo.kpis(this.db, { from, to, now, ...filter }), repo.openByTrade(this.db, filter)]);
    const overall = rows.find((r) => !r.by_trade && !r.by_building);
    return {
      from,
      to,
      openByTrade,
      overall: overall ? kpiBlock(overall) : kpiBlock(undefined),
      byTrade: rows.filter((r) => r.by_trade).map((r) => ({ trade: r.trade!, ...kpiBlock(r) })),
      byBuilding: rows.filter((r) => r.by_building).map((r) => ({ buildingId: r.building_id, ...kpiBlock(r) })),
    };
  }

  async listStaff(user: SessionUser, q: { trade?: string; building?: string }): Promise<repo.StaffMember[]> {
    return repo.listStaff(this.db, this.now(), { trade: q.trade ?? null, building: q.building ?? null, userBuildings: user.buildings });
  }

  async addShift(user: SessionUser, staffId: number, shift: { startsAt: Date; endsAt: Date }) {
    return this.db.transaction(async (tx) => {
      const person = await repo.loadStaffMember(tx, staffId, this.now());
      if (!person || !(user.buildings.length === 0 || person.buildings.length === 0 || person.buildings.some((b) => user.buildings.includes(b)))) {
        throw new WardenError('WARDEN_ERR_NOT_FOUND', `no staff member ${staffId}`);
      }
      const row = await repo.insertShift(tx, staffId, shift.startsAt, shift.endsAt);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'staff.shift_added', targetType: 'staff', targetId: staffId, details: { shiftId: row.id, startsAt: shift.startsAt.toISOString(), endsAt: shift.endsAt.toISOString() } });
      return row;
    });
  }

  // ------------------------------------------------------------ bus

  private announce(a: Announcements): void {
    if (a.liveEventId !== null) this.bus.emit('live.appended', { lastId: a.liveEventId });
    for (const w of a.workOrders) this.bus.emit('workorder.changed', w);
    for (const c of a.alarms) this.bus.emit('alarm.changed', { alarmId: c.alarmId, episodeId: c.episodeId, deviceId: c.deviceId, action: c.action, state: c.state, active: c.active });
  }
}

const priorityRank = (p: Priority): number => priorities.indexOf(p);

function dispatchRequestOf(wo: repo.WorkOrderRow): DispatchRequest {
  return { kind: wo.kind, trade: wo.trade, buildingId: wo.building_id, priority: wo.priority };
}

/**
 * Who sees a work order: managers, admins and clerks all of them; technicians
 * theirs and the unassigned ones of their trades; guards the security ones and
 * any given to them; always within the user's buildings.
 */
function canSee(user: SessionUser, me: { id: number; trades: string[] } | undefined, wo: repo.WorkOrderRow): boolean {
  if (!canSeeBuilding(user, wo.building_id)) return false;
  const mine = me !== undefined && wo.assignee_id === me.id;
  switch (user.role) {
    case 'admin':
    case 'manager':
    case 'clerk':
      return true;
    case 'technician':
      return mine || (wo.assignee_id === null && wo.kind === 'maintenance' && me !== undefined && me.trades.includes(wo.trade));
    case 'guard':
      return wo.kind === 'security' || mine;
    default:
      return false;
  }
}

/**
 * Whether a work order is of the kind the user could claim, whoever has it now: maintenance
 * work of a technician's trades, security work for a guard, within their buildings.
 */
function inClaimPool(user: SessionUser, me: { id: number; trades: string[] } | undefined, wo: repo.WorkOrderRow): boolean {
  if (!canSeeBuilding(user, wo.building_id) || user.role !== roleFor(wo.kind)) return false;
  return wo.kind === 'security' || (me !== undefined && me.trades.includes(wo.trade));
}

/** Why the user may not take this action on a work order they can see, or undefined if they may. */
function permissionRefusal(user: SessionUser, me: { id: number } | undefined, wo: repo.WorkOrderRow, action: LifecycleAction): string | undefined {
  if (user.role === 'admin' || user.role === 'manager' || action === 'comment') return undefined;
  if (workerActions.includes(action)) {
    if ((user.role === 'technician' || user.role === 'guard') && me !== undefined && wo.assignee_id === me.id) return undefined;
    return `only the assignee (or a manager) may ${action} ${wo.number}`;
  }
  if (supervisorActions.includes(action)) {
    if (user.role === 'guard' && wo.kind === 'security') return undefined;
    return `only managers and admins${wo.kind === 'security' ? ' (and guards)' : ''} may ${action} ${wo.number}`;
  }
  return `your role may not ${action} work orders`;
}

function kpiBlock(r: repo.KpiRow | undefined) {
  const compliance = (met: number, measured: number) => (measured === 0 ? null : met / measured);
  const seconds = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v));
  return {
    created: r?.created ?? 0,
    cancelled: r?.cancelled ?? 0,
    accepted: r?.accepted ?? 0,
    resolved: r?.resolved ?? 0,
    acceptSla: { measured: r?.accept_measured ?? 0, met: r?.accept_met ?? 0, compliance: compliance(r?.accept_met ?? 0, r?.accept_measured ?? 0) },
    resolveSla: { measured: r?.resolve_measured ?? 0, met: r?.resolve_met ?? 0, compliance: compliance(r?.resolve_met ?? 0, r?.resolve_measured ?? 0) },
    mttaSeconds: seconds(r?.mtta),
    mttrSeconds: seconds(r?.mttr),
  };
}

function auditDetails(input: TransitionInput): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (input.staffId !== undefined) d.staffId = input.staffId;
  if (input.reason) d.reason = input.reason;
  if (input.partsUsed?.length) d.partsUsed = input.partsUsed;
  return d;
}

function fieldError(field: string, message: string): WardenError {
  return new WardenError('WARDEN_ERR_VALIDATION', `${field}: ${message}`, { issues: [{ field, message }] });
}
