import type { Logger } from 'pino';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type Role, type SessionUser } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/index.js';
import * as repo from './handover.repository.js';
import { buildingExists } from './shift-log.repository.js';
import { shiftLogRoles } from './shift-log.service.js';

/** Who is told that a handover waits too long: those who supervise the control room. */
export const handoverSupervisors: readonly Role[] = ['admin', 'manager'];

/** A first handover of a scope counts the alarms of at most this long a shift. */
const FIRST_PERIOD_MS = 12 * 3_600_000;

export interface HandoverOptions {
  /** A handover not accepted within this many minutes is flagged to managers. Default 30. */
  acceptMinutes?: number;
  /** How often pending handovers are checked for that. Default: a quarter of the limit, at most 30 s. */
  checkIntervalMs?: number;
}

export interface HandoverQuery {
  building?: string;
  status?: 'pending' | 'accepted';
  since?: Date;
  until?: Date;
  limit: number;
}

const validation = (field: string, message: string) => new WardenError('WARDEN_ERR_VALIDATION', `${field}: ${message}`, { issues: [{ field, message }] });

/**
 * Structured shift handovers: the outgoing guard starts one for a building (or the whole
 * estate), the hub freezes a snapshot of what stands (alarms, shelving, security work,
 * incidents, unlocked or open doors, the shift's alarm count), and the incoming guard
 * accepts it. Every step is audited and goes out live; one not accepted in time is
 * flagged to managers. Rows are immutable once accepted (a database trigger).
 */
export class HandoverService {
  private readonly acceptMs: number;
  private readonly checkMs: number;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<unknown> | undefined;

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    options: HandoverOptions = {},
  ) {
    this.acceptMs = (options.acceptMinutes ?? 30) * 60_000;
    this.checkMs = options.checkIntervalMs ?? Math.max(250, Math.min(30_000, Math.round(this.acceptMs / 4)));
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => {
      if (this.checking) return;
      this.checking = this.flagOverdue()
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'overdue handover check failed'))
        .finally(() => (this.checking = undefined));
    }, this.checkMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  /** What a handover started now would carry, without storing anything (the outgoing guard's preview). */
  async preview(user: SessionUser, building: string | undefined): Promise<repo.HandoverSnapshot> {
    const buildingId = await this.scopeOf(user, building, 'query.building');
    const now = new Date();
    const periodStart = await repo.previousHandoverStart(this.db, buildingId, new Date(now.getTime() - FIRST_PERIOD_MS));
    return repo.composeSnapshot(this.db, buildingId, periodStart, now);
  }

  async begin(user: SessionUser, input: { buildingId?: string; notes: string }, ip?: string): Promise<repo.Handover> {
    const buildingId = await this.scopeOf(user, input.buildingId, 'body.buildingId');
    const { handover, liveId } = await this.db.transaction(async (tx) => {
      const now = new Date();
      const periodStart = await repo.previousHandoverStart(tx, buildingId, new Date(now.getTime() - FIRST_PERIOD_MS));
      const snapshot = await repo.composeSnapshot(tx, buildingId, periodStart, now);
      const handover = await repo.insertHandover(tx, { buildingId, startedAt: now, outgoingId: user.id, outgoingName: user.displayName, notes: input.notes, periodStart, snapshot });
      if (!handover) {
        const pending = await repo.pendingHandoverId(tx, buildingId);
        throw new WardenError('WARDEN_ERR_CONFLICT', `handover #${pending ?? '?'} of ${buildingId ?? 'the whole estate'} is still waiting to be accepted`, { pendingId: pending });
      }
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'handover.start', targetType: 'shift_handover', targetId: handover.id, ip, details: { buildingId, counts: handover.counts } });
      const liveId = await appendLiveEvent(tx, { type: 'handover.started', buildingId, audience: shiftLogRoles, data: repo.summaryOf(handover) });
      return { handover, liveId };
    });
    this.bus.emit('live.appended', { lastId: liveId });
    return handover;
  }

  async accept(user: SessionUser, id: number, remark: string | undefined, ip?: string): Promise<repo.Handover> {
    const { handover, liveId } = await this.db.transaction(async (tx) => {
      const current = await repo.getHandover(tx, id, true);
      // One the user may not see is reported as missing: its existence is not theirs to learn.
      if (!current || !canSeeBuilding(user, current.buildingId)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no shift handover ${id}`);
      if (current.status === 'accepted') throw new WardenError('WARDEN_ERR_CONFLICT', `shift handover ${id} was already accepted by ${current.incomingName} at ${current.acceptedAt}`);
      if (current.outgoingId === user.id) throw new WardenError('WARDEN_ERR_FORBIDDEN', 'a handover is accepted by the incoming shift, not by the person handing over');
      const handover = await repo.acceptHandover(tx, id, { id: user.id, name: user.displayName }, remark ?? null);
      if (!handover) throw new WardenError('WARDEN_ERR_CONFLICT', `shift handover ${id} was already accepted`);
      const waitedSec = Math.round((Date.parse(handover.acceptedAt!) - Date.parse(handover.startedAt)) / 1000);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'handover.accept', targetType: 'shift_handover', targetId: id, ip, details: { buildingId: handover.buildingId, waitedSec, remark: remark !== undefined } });
      const liveId = await appendLiveEvent(tx, { type: 'handover.accepted', buildingId: handover.buildingId, audience: shiftLogRoles, data: repo.summaryOf(handover) });
      return { handover, liveId };
    });
    this.bus.emit('live.appended', { lastId: liveId });
    return handover;
  }

  async get(user: SessionUser, id: number): Promise<repo.Handover> {
    const handover = await repo.getHandover(this.db, id);
    if (!handover || !canSeeBuilding(user, handover.buildingId)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no shift handover ${id}`);
    return handover;
  }

  async list(user: SessionUser, q: HandoverQuery): Promise<repo.Handover[]> {
    if (q.building !== undefined && !canSeeBuilding(user, q.building)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `not allowed to see building ${q.building}`);
    return repo.listHandovers(this.db, { buildings: user.buildings, ...q });
  }

  /**
   * Flags every pending handover older than the acceptance limit, once, and tells the
   * managers live. Runs on the module's timer; returns what it flagged.
   */
  async flagOverdue(): Promise<repo.Handover[]> {
    const { flagged, lastId } = await this.db.transaction(async (tx) => {
      const flagged = await repo.flagOverdueHandovers(tx, new Date(Date.now() - this.acceptMs));
      let lastId = 0;
      for (const h of flagged) {
        const waitedMin = Math.round((Date.parse(h.overdueAt!) - Date.parse(h.startedAt)) / 60_000);
        await recordAudit(tx, { actor: 'system', action: 'handover.overdue', targetType: 'shift_handover', targetId: h.id, details: { buildingId: h.buildingId, waitedMin } });
      }
      for (const h of flagged) lastId = await appendLiveEvent(tx, { type: 'handover.overdue', buildingId: h.buildingId, audience: handoverSupervisors, data: h });
      return { flagged, lastId };
    });
    if (flagged.length) {
      this.logger.info({ handovers: flagged.map((h) => h.id) }, 'shift handovers waiting too long for acceptance; managers told');
      this.bus.emit('live.appended', { lastId });
    }
    return flagged;
  }

  /** The scope of a new handover: the named building, the user's only building, or (estate-wide users) the whole estate. */
  private async scopeOf(user: SessionUser, building: string | undefined, field: string): Promise<string | null> {
    const buildingId = building ?? (user.buildings.length === 1 ? user.buildings[0] : null);
    if (buildingId !== null && !(await buildingExists(this.db, buildingId))) throw validation(field, `no building ${buildingId}`);
    if (!canSeeBuilding(user, buildingId)) {
      throw new WardenError('WARDEN_ERR_FORBIDDEN', buildingId ? `you may not hand over building ${buildingId}` : 'you are limited to some buildings: name the one you hand over');
    }
    return buildingId;
  }
}
