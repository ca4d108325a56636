import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { workRecordReviewerRoles } from './records-access.js';
import { conflictingField, invalidField, isUniqueViolation } from './records-errors.js';
import * as repo from './staff-records.repository.js';

export interface StaffInput {
  name: string;
  position?: string | null;
  phone?: string | null;
  email?: string | null;
  trades?: string[];
  buildings?: string[];
  active?: boolean;
  userId?: number | null;
}

export type StaffPatch = Partial<StaffInput>;

export interface StaffQuery {
  q?: string;
  trade?: string;
  building?: string;
  active?: boolean;
  page: number;
  limit: number;
}

export interface WorkRecord {
  staffId: number;
  name: string;
  from: Date;
  to: Date;
  openNow: number;
  total: WorkFigures;
  months: (WorkFigures & { month: string })[];
}

export interface WorkFigures {
  done: number;
  /** Sum of accepted → resolved over the work orders that were accepted. */
  timeSpentSeconds: number;
  averageSeconds: number | null;
  slaKept: number;
  /** slaKept / done × 100, one decimal; null when nothing was done. */
  slaKeptPercent: number | null;
}

const STAFF_EMAIL_UNIQUE = 'staff_email_idx';
const DAY_MS = 86_400_000;

/** Staff records: who works here, in which position, with which trades, in which buildings, and what they got done. */
export class StaffRecordService {
  constructor(private readonly db: Database) {}

  async search(user: SessionUser, q: StaffQuery): Promise<{ rows: repo.StaffRecordRow[]; total: number }> {
    if (q.building !== undefined && !canSeeBuilding(user, q.building)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `not allowed to see building ${q.building}`);
    return repo.searchStaff(this.db, { text: q.q?.trim() || undefined, trade: q.trade, building: q.building, active: q.active, userBuildings: user.buildings, limit: q.limit, offset: (q.page - 1) * q.limit });
  }

  async get(user: SessionUser, id: number, now = new Date()): Promise<{ staff: repo.StaffRecordRow; shifts: repo.ShiftRow[] }> {
    const staff = await this.visible(this.db, user, id);
    // The last week and what is planned: enough to see the pattern without paging.
    const shifts = await repo.shiftsOf(this.db, id, new Date(now.getTime() - 7 * DAY_MS), 100);
    return { staff, shifts };
  }

  async create(user: SessionUser, input: StaffInput, ip?: string): Promise<repo.StaffRecordRow> {
    const buildings = [...new Set(input.buildings ?? [])];
    this.assertBuildings(user, buildings);
    try {
      const id = await this.db.transaction(async (tx) => {
        await this.checkReferences(tx, { email: input.email ?? null, userId: input.userId ?? null, buildings }, null);
        const id = await repo.insertStaff(
          tx,
          { name: input.name, position: input.position ?? null, phone: input.phone ?? null, email: input.email ?? null, trades: [...new Set(input.trades ?? [])], active: input.active ?? true, userId: input.userId ?? null },
          buildings,
        );
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'staff.created', targetType: 'staff', targetId: id, ip, details: { fields: fieldsOf(input), buildings, linkedUser: input.userId ?? null } });
        return id;
      });
      return (await this.get(user, id)).staff;
    } catch (err) {
      if (isUniqueViolation(err, STAFF_EMAIL_UNIQUE)) throw duplicateEmail();
      throw err;
    }
  }

  async update(user: SessionUser, id: number, patch: StaffPatch, ip?: string): Promise<repo.StaffRecordRow> {
    const buildings = patch.buildings === undefined ? undefined : [...new Set(patch.buildings)];
    if (buildings) this.assertBuildings(user, buildings);
    try {
      await this.db.transaction(async (tx) => {
        await this.visible(tx, user, id);
        await this.checkReferences(tx, { email: patch.email ?? null, userId: patch.userId ?? null, buildings: buildings ?? [] }, id);
        await repo.updateStaff(tx, id, {
          name: patch.name,
          position: patch.position,
          phone: patch.phone,
          email: patch.email,
          trades: patch.trades === undefined ? undefined : [...new Set(patch.trades)],
          active: patch.active,
          userId: patch.userId,
        });
        if (buildings) await repo.setBuildings(tx, id, buildings);
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'staff.updated', targetType: 'staff', targetId: id, ip, details: { fields: fieldsOf(patch) } });
      });
    } catch (err) {
      if (isUniqueViolation(err, STAFF_EMAIL_UNIQUE)) throw duplicateEmail();
      throw err;
    }
    return (await this.get(user, id)).staff;
  }

  /** Managers review anyone's; every member of staff may see their own. */
  async workRecord(user: SessionUser, staffId: number, range: { from?: Date; to?: Date }): Promise<WorkRecord> {
    if (!workRecordReviewerRoles.includes(user.role)) {
      const own = await repo.staffIdOfUser(this.db, user.id);
      if (own !== staffId) throw new WardenError('WARDEN_ERR_FORBIDDEN', 'you may see your own work record only');
    }
    const to = range.to ?? new Date();
    const from = range.from ?? new Date(to.getTime() - 365 * DAY_MS);
    if (from >= to) throw invalidField('querystring.from', 'must be before to');
    const staff = await this.visible(this.db, user, staffId);
    const [rows, openNow] = await Promise.all([repo.workRecord(this.db, staffId, from, to), repo.openWorkOrders(this.db, staffId)]);
    const months = rows.map((r) => ({ month: r.month, ...figures(r.done, r.timed, r.seconds, r.sla_kept) }));
    const sum = (pick: (r: repo.WorkMonthRow) => number) => rows.reduce((n, r) => n + pick(r), 0);
    return { staffId, name: staff.name, from, to, openNow, total: figures(sum((r) => r.done), sum((r) => r.timed), sum((r) => r.seconds), sum((r) => r.sla_kept)), months };
  }

  private async visible(db: Queryable, user: SessionUser, id: number): Promise<repo.StaffRecordRow> {
    const { rows } = await repo.searchStaff(db, { id, userBuildings: user.buildings, limit: 1, offset: 0 });
    if (!rows[0]) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no member of staff ${id}`);
    return rows[0];
  }

  private assertBuildings(user: SessionUser, buildings: string[]): void {
    // Someone limited to some buildings cannot record estate-wide staff, nor staff of others' buildings.
    if (user.buildings.length && (buildings.length === 0 || buildings.some((b) => !user.buildings.includes(b)))) {
      throw new WardenError('WARDEN_ERR_FORBIDDEN', 'you may record staff for your own buildings only', { issues: [{ field: 'body.buildings', message: 'not within your buildings' }] });
    }
  }

  private async checkReferences(db: Queryable, r: { email: string | null; userId: number | null; buildings: string[] }, self: number | null): Promise<void> {
    if (r.email) {
      const other = (await repo.staffIdByEmails(db, [r.email])).get(r.email.toLowerCase());
      if (other !== undefined && other !== self) throw duplicateEmail(other);
    }
    if (r.userId !== null) {
      const login = await repo.userForLink(db, r.userId);
      if (!login) throw invalidField('body.userId', `no user ${r.userId}`);
      if (login.role === 'owner') throw invalidField('body.userId', `user ${r.userId} is an owner-portal login, not staff`);
      if (login.staffId !== null && login.staffId !== self) throw conflictingField('body.userId', `user ${r.userId} is already linked to staff ${login.staffId}`);
    }
    const known = await repo.existingBuildings(db, r.buildings);
    const unknown = r.buildings.filter((b) => !known.has(b));
    if (unknown.length) throw invalidField('body.buildings', `no building ${unknown.join(', ')}`);
  }
}

function figures(done: number, timed: number, seconds: number, slaKept: number): WorkFigures {
  return {
    done,
    timeSpentSeconds: Math.round(seconds),
    averageSeconds: timed ? Math.round(seconds / timed) : null,
    slaKept,
    slaKeptPercent: done ? Math.round((slaKept / done) * 1000) / 10 : null,
  };
}

function duplicateEmail(existing?: number): WardenError {
  return conflictingField('body.email', existing === undefined ? 'another member of staff has this e-mail address' : `staff ${existing} has this e-mail address`);
}

function fieldsOf(input: StaffPatch): string[] {
  return Object.entries(input)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k);
}
