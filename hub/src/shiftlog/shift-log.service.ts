import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type Role, type SessionUser } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/index.js';
import * as repo from './shift-log.repository.js';

/** Who keeps and reads the shift log: the control room and those who supervise it. */
export const shiftLogRoles: readonly Role[] = ['admin', 'manager', 'guard'];

export interface ShiftLogQuery {
  since?: Date;
  building?: string;
  limit: number;
}

export interface ShiftLogInput {
  kind: repo.ShiftLogKind;
  text: string;
  buildingId?: string;
  alarmIds?: number[];
}

const validation = (field: string, message: string) => new WardenError('WARDEN_ERR_VALIDATION', `${field}: ${message}`, { issues: [{ field, message }] });

/**
 * The guard shift log: who wrote what, when, about which building and alarms.
 * Entries are visible by building like alarms are, and each new one goes out on
 * the live stream so every console shows it at once.
 */
export class ShiftLogService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
  ) {}

  async list(user: SessionUser, q: ShiftLogQuery): Promise<repo.ShiftLogEntry[]> {
    if (q.building !== undefined && !canSeeBuilding(user, q.building)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `not allowed to see building ${q.building}`);
    return repo.listEntries(this.db, { buildings: user.buildings, building: q.building, since: q.since, limit: q.limit });
  }

  async add(user: SessionUser, input: ShiftLogInput, ip?: string): Promise<repo.ShiftLogEntry> {
    // A guard posted to one building writes about it without saying so; one with several must choose.
    const buildingId = input.buildingId ?? (user.buildings.length === 1 ? user.buildings[0] : null);
    if (buildingId !== null && !(await repo.buildingExists(this.db, buildingId))) throw validation('body.buildingId', `no building ${buildingId}`);
    if (!canSeeBuilding(user, buildingId)) {
      throw new WardenError('WARDEN_ERR_FORBIDDEN', buildingId ? `you may not write in the log of building ${buildingId}` : 'you are limited to some buildings: name one');
    }
    const alarmIds = [...new Set(input.alarmIds ?? [])];
    const found = await repo.alarmBuildings(this.db, alarmIds);
    for (const id of alarmIds) {
      // An alarm the user may not see is reported as missing, not as forbidden: its existence is not theirs to learn.
      if (!found.has(id) || !canSeeBuilding(user, found.get(id))) throw validation('body.alarmIds', `no alarm ${id}`);
    }

    const { entry, liveId } = await this.db.transaction(async (tx) => {
      const entry = await repo.insertEntry(tx, { authorId: user.id, authorName: user.displayName, buildingId, kind: input.kind, text: input.text, alarmIds });
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'shiftlog.create', targetType: 'shift_log', targetId: entry.id, ip, details: { kind: entry.kind, buildingId, alarmIds } });
      // Last in the transaction: appendLiveEvent holds the live-log lock until commit.
      const liveId = await appendLiveEvent(tx, { type: 'shiftlog.created', buildingId, audience: shiftLogRoles, data: entry });
      return { entry, liveId };
    });
    this.bus.emit('live.appended', { lastId: liveId });
    return entry;
  }
}
