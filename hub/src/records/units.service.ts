import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import * as owners from './owners.repository.js';
import { conflictingField, invalidField, isForeignKeyViolation, isUniqueViolation } from './records-errors.js';
import * as repo from './units.repository.js';

export interface UnitQuery {
  building?: string;
  floor?: string;
  status?: repo.UnitStatus[];
  minArea?: number;
  maxArea?: number;
  /** An owner's id (digits) or part of a name. */
  owner?: string;
  q?: string;
  sort: repo.UnitSort;
  order: 'asc' | 'desc';
  page: number;
  limit: number;
}

export interface UnitInput {
  buildingId: string;
  number: string;
  floor?: string | null;
  location?: string | null;
  areaM2?: number | null;
  layout?: string | null;
  status?: repo.UnitStatus;
}

export type UnitPatch = Partial<Omit<UnitInput, 'buildingId' | 'status'>>;

export interface AssociationInput {
  ownerId: number;
  role: repo.AssociationRole;
  fromDate: string;
  toDate?: string | null;
}

export interface UnitDetail {
  unit: repo.UnitRow;
  history: repo.StatusHistoryRow[];
  associations: repo.AssociationRow[];
}

const UNIT_NUMBER_UNIQUE = 'units_building_id_number_key';

/**
 * Units (properties) of the estate: search, the record itself, its status over time and
 * who holds, rents or lives in it. Staff limited to some buildings see and change only
 * those; an owner-portal user sees the units they are associated with today, and of
 * their associations only their own.
 */
export class UnitService {
  constructor(private readonly db: Database) {}

  async search(user: SessionUser, q: UnitQuery): Promise<{ rows: repo.UnitRow[]; total: number }> {
    if (q.building !== undefined && !canSeeBuilding(user, q.building)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `not allowed to see building ${q.building}`);
    const owner = q.owner?.trim();
    const found = await repo.searchUnits(this.db, {
      building: q.building,
      floor: q.floor,
      statuses: q.status,
      minArea: q.minArea,
      maxArea: q.maxArea,
      ownerId: owner && /^\d+$/.test(owner) ? Number(owner) : undefined,
      ownerName: owner && !/^\d+$/.test(owner) ? owner : undefined,
      text: q.q?.trim() || undefined,
      userBuildings: user.buildings,
      ownerUserId: user.role === 'owner' ? user.id : undefined,
      sort: q.sort,
      order: q.order,
      limit: q.limit,
      offset: (q.page - 1) * q.limit,
    });
    if (user.role === 'owner') {
      // An owner learns who else holds or rents their unit from nobody but the office.
      const mine = await owners.ownerIdsOfUser(this.db, user.id);
      for (const unit of found.rows) unit.occupants = unit.occupants.filter((o) => mine.has(o.ownerId));
    }
    return found;
  }

  async get(user: SessionUser, id: number): Promise<UnitDetail> {
    const unit = await this.visibleUnit(this.db, user, id);
    const [history, associations] = await Promise.all([repo.statusHistory(this.db, id), repo.unitAssociations(this.db, id)]);
    // An owner learns their own dealings with the unit, not who else holds or rents it.
    const mine = user.role === 'owner' ? associations.filter((a) => a.owner_user_id === user.id) : associations;
    if (user.role === 'owner') unit.occupants = unit.occupants.filter((o) => mine.some((a) => a.owner_id === o.ownerId));
    return { unit, history, associations: mine };
  }

  async create(user: SessionUser, input: UnitInput, ip?: string): Promise<repo.UnitRow> {
    this.assertBuilding(user, input.buildingId, 'body.buildingId');
    try {
      return await this.db.transaction(async (tx) => {
        if (!(await repo.buildingExists(tx, input.buildingId))) throw invalidField('body.buildingId', `no building ${input.buildingId}`);
        if ((await repo.unitIdByNumber(tx, input.buildingId, input.number)) !== undefined) throw duplicateNumber(input.buildingId, input.number);
        const floorId = await this.floorId(tx, input.buildingId, input.floor);
        const status = input.status ?? 'vacant';
        const id = await repo.insertUnit(
          tx,
          { buildingId: input.buildingId, floorId: floorId ?? null, number: input.number, location: input.location ?? null, areaM2: input.areaM2 ?? null, layout: input.layout ?? null, status },
          { userId: user.id, actor: user.username, reason: 'created' },
        );
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'unit.created', targetType: 'unit', targetId: id, ip, details: { buildingId: input.buildingId, number: input.number, status } });
        return (await repo.findUnit(tx, id))!;
      });
    } catch (err) {
      if (isUniqueViolation(err, UNIT_NUMBER_UNIQUE)) throw duplicateNumber(input.buildingId, input.number);
      throw err;
    }
  }

  async update(user: SessionUser, id: number, patch: UnitPatch, ip?: string): Promise<repo.UnitRow> {
    try {
      return await this.db.transaction(async (tx) => {
        const unit = await this.visibleUnit(tx, user, id, true);
        if (patch.number !== undefined && patch.number !== unit.number && (await repo.unitIdByNumber(tx, unit.building_id, patch.number)) !== undefined) {
          throw duplicateNumber(unit.building_id, patch.number);
        }
        const floorId = await this.floorId(tx, unit.building_id, patch.floor);
        await repo.updateUnit(tx, id, { number: patch.number, floorId, location: patch.location, areaM2: patch.areaM2, layout: patch.layout });
        const changed = Object.keys(patch).filter((k) => patch[k as keyof UnitPatch] !== undefined);
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'unit.updated', targetType: 'unit', targetId: id, ip, details: { changed, ...patch } });
        return (await repo.findUnit(tx, id))!;
      });
    } catch (err) {
      if (isUniqueViolation(err, UNIT_NUMBER_UNIQUE)) throw conflictingField('body.number', `another unit has number ${patch.number}`);
      throw err;
    }
  }

  async changeStatus(user: SessionUser, id: number, to: repo.UnitStatus, reason: string | null, ip?: string): Promise<UnitDetail> {
    await this.db.transaction(async (tx) => {
      const unit = await this.visibleUnit(tx, user, id, true);
      if (unit.status === to) throw new WardenError('WARDEN_ERR_INVALID_TRANSITION', `the unit is already ${to}`, { issues: [{ field: 'body.status', message: `already ${to}` }] });
      await repo.changeStatus(tx, id, unit.status, to, { userId: user.id, actor: user.username, reason });
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'unit.status_changed', targetType: 'unit', targetId: id, ip, details: { from: unit.status, to, reason } });
    });
    return this.get(user, id);
  }

  /** Only a unit nobody was ever associated with (a mistaken entry): otherwise its history must stay. */
  async remove(user: SessionUser, id: number, ip?: string): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        const unit = await this.visibleUnit(tx, user, id, true);
        if ((await repo.countAssociations(tx, id)) > 0) throw new WardenError('WARDEN_ERR_CONFLICT', 'the unit has owners, tenants or residents on record; it cannot be deleted');
        await repo.deleteUnit(tx, id);
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'unit.deleted', targetType: 'unit', targetId: id, ip, details: { buildingId: unit.building_id, number: unit.number } });
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new WardenError('WARDEN_ERR_CONFLICT', 'other records refer to this unit; it cannot be deleted');
      throw err;
    }
  }

  async addAssociation(user: SessionUser, unitId: number, input: AssociationInput, ip?: string): Promise<repo.AssociationRow> {
    const toDate = input.toDate ?? null;
    if (toDate !== null && toDate < input.fromDate) throw invalidField('body.toDate', 'must not be before fromDate');
    try {
      return await this.db.transaction(async (tx) => {
        await this.visibleUnit(tx, user, unitId, true);
        if (!(await owners.findOwner(tx, input.ownerId))) throw invalidField('body.ownerId', `no owner ${input.ownerId}`);
        const overlap = await repo.overlappingAssociation(tx, { unitId, ownerId: input.ownerId, role: input.role, fromDate: input.fromDate, toDate });
        if (overlap !== undefined) throw conflictingField('body.fromDate', `this person is already recorded as ${input.role} of the unit for these dates (association ${overlap})`);
        const id = await repo.insertAssociation(tx, { unitId, ownerId: input.ownerId, role: input.role, fromDate: input.fromDate, toDate, createdBy: user.username });
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'unit.association_added', targetType: 'unit', targetId: unitId, ip, details: { associationId: id, ownerId: input.ownerId, role: input.role, fromDate: input.fromDate, toDate } });
        return (await repo.findAssociation(tx, id))!;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflictingField('body.ownerId', `this person already has an open association as ${input.role} with the unit`);
      throw err;
    }
  }

  async endAssociation(user: SessionUser, unitId: number, associationId: number, toDate: string, reason: string | null, ip?: string): Promise<repo.AssociationRow> {
    return this.db.transaction(async (tx) => {
      await this.visibleUnit(tx, user, unitId, true);
      const a = await repo.findAssociation(tx, associationId);
      if (!a || a.unit_id !== unitId) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no association ${associationId} of unit ${unitId}`);
      if (a.to_date !== null) throw new WardenError('WARDEN_ERR_INVALID_TRANSITION', `the association already ended on ${a.to_date}`);
      if (toDate < a.from_date) throw invalidField('body.toDate', `must not be before the association's start (${a.from_date})`);
      await repo.endAssociation(tx, associationId, toDate, user.username, reason);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'unit.association_ended', targetType: 'unit', targetId: unitId, ip, details: { associationId, ownerId: a.owner_id, role: a.role, toDate, reason } });
      return (await repo.findAssociation(tx, associationId))!;
    });
  }

  /** The unit if this user may see it; 404 otherwise, so its existence is not theirs to learn. */
  private async visibleUnit(db: Queryable, user: SessionUser, id: number, lock = false): Promise<repo.UnitRow> {
    const unit = await repo.findUnit(db, id, lock);
    const visible = unit && canSeeBuilding(user, unit.building_id) && (user.role !== 'owner' || (await owners.isOwnUnit(db, user.id, id)));
    if (!unit || !visible) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no unit ${id}`);
    return unit;
  }

  private assertBuilding(user: SessionUser, buildingId: string, field: string): void {
    if (!canSeeBuilding(user, buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `you may not record units in building ${buildingId}`, { issues: [{ field, message: 'not one of your buildings' }] });
  }

  /** undefined: unchanged; null: no floor. */
  private async floorId(db: Queryable, buildingId: string, code: string | null | undefined): Promise<number | null | undefined> {
    if (code === undefined || code === null) return code;
    const id = (await repo.floorIndex(db, [buildingId])).get(repo.floorKey(buildingId, code));
    if (id === undefined) throw invalidField('body.floor', `no floor "${code}" in building ${buildingId}`);
    return id;
  }
}

function duplicateNumber(buildingId: string, number: string): WardenError {
  return conflictingField('body.number', `building ${buildingId} already has a unit ${number}`);
}
