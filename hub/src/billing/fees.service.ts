import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import type { Period } from './period.js';

export const feeBases = ['area', 'fixed', 'meter', 'oneoff'] as const;
export const meterKinds = ['water', 'electricity'] as const;
export const cycleMonths = [1, 2, 3, 6, 12] as const;
export type FeeBasis = (typeof feeBases)[number];
export type MeterKind = (typeof meterKinds)[number];

export interface FeeRate {
  id: number;
  buildingId: string | null;
  unitLayout: string | null;
  /** Exact, fen per unit (m², space, m³, kWh), up to 4 places. */
  rateFen: string;
  effectiveFrom: string;
  createdBy: string;
}

export interface FeeItem {
  id: number;
  code: string;
  name: string;
  nameZh: string | null;
  basis: FeeBasis;
  meterKind: MeterKind | null;
  cycleMonths: number;
  dueDays: number;
  lateDailyBp: number;
  lateCapBp: number;
  lateGraceDays: number;
  active: boolean;
  rates: FeeRate[];
}

export interface UnitCharge {
  id: number;
  unitId: number;
  feeItemId: number;
  feeItemCode: string;
  quantity: string;
  amountFen: number | null;
  description: string | null;
  fromPeriod: string;
  toPeriod: string | null;
  createdBy: string;
}

export interface FeeItemInput {
  code: string;
  name: string;
  nameZh?: string;
  basis: FeeBasis;
  meterKind?: MeterKind;
  cycleMonths?: number;
  dueDays?: number;
  lateDailyBp?: number;
  lateCapBp?: number;
  lateGraceDays?: number;
}
export type FeeItemPatch = Partial<Omit<FeeItemInput, 'code' | 'basis' | 'meterKind'>> & { active?: boolean };

export interface RateInput {
  buildingId?: string;
  unitLayout?: string;
  rateFen: string;
  effectiveFrom: string;
}

export interface ChargeInput {
  feeItemId: number;
  quantity?: string;
  amountFen?: number;
  description?: string;
  fromPeriod: Period;
  toPeriod?: Period;
}

/** A 400 naming the field, the way zod failures are reported. */
export function fieldError(field: string, message: string): WardenError {
  return new WardenError('WARDEN_ERR_VALIDATION', `${field}: ${message}`, { issues: [{ field, message }] });
}

/** A unique-key violation, from pg (DatabaseError) or PGlite (its own error class, same SQLSTATE). */
export const isUniqueViolation = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';

/** The building of a unit the user may see, or a 404 (not 403: do not confirm it exists). */
export async function visibleUnit(db: Queryable, user: SessionUser, unitId: number): Promise<{ id: number; buildingId: string }> {
  const { rows } = await db.query<{ building_id: string }>('SELECT building_id FROM units WHERE id = $1', [unitId]);
  if (!rows[0] || !canSeeBuilding(user, rows[0].building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no unit ${unitId}`);
  return { id: unitId, buildingId: rows[0].building_id };
}

/** Estate-wide settings (fee items, estate-wide rates) are for users not limited to some buildings. */
function requireWholeEstate(user: SessionUser, what: string): void {
  if (user.buildings.length) throw new WardenError('WARDEN_ERR_FORBIDDEN', `${what} concerns the whole estate; your account is limited to some buildings`);
}

const ITEM_COLUMNS = `id::int AS id, code, name, name_zh AS "nameZh", basis, meter_kind AS "meterKind", cycle_months AS "cycleMonths",
  due_days AS "dueDays", late_daily_bp AS "lateDailyBp", late_cap_bp AS "lateCapBp", late_grace_days AS "lateGraceDays", active`;
const RATE_COLUMNS = `id::int AS id, building_id AS "buildingId", unit_layout AS "unitLayout", rate_fen::text AS "rateFen",
  to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom", created_by AS "createdBy"`;
const CHARGE_COLUMNS = `c.id::int AS id, c.unit_id::int AS "unitId", c.fee_item_id::int AS "feeItemId", i.code AS "feeItemCode", c.quantity::text AS quantity,
  c.amount_fen::int AS "amountFen", c.description, c.from_period AS "fromPeriod", c.to_period AS "toPeriod", c.created_by AS "createdBy"`;

/**
 * The fee schedule: what is charged (fee items), at what rate (rates per building and
 * unit layout, effective from a date; the most specific applies, see 0013_billing.sql),
 * and what a unit is charged beyond its area (parking spaces, one-off charges).
 */
export class FeeScheduleService {
  constructor(private readonly db: Database) {}

  async listItems(): Promise<FeeItem[]> {
    const items = (await this.db.query<Omit<FeeItem, 'rates'>>(`SELECT ${ITEM_COLUMNS} FROM fee_items ORDER BY code`)).rows;
    const rates = (await this.db.query<FeeRate & { feeItemId: number }>(
      `SELECT fee_item_id::int AS "feeItemId", ${RATE_COLUMNS} FROM fee_rates ORDER BY fee_item_id, effective_from, id`,
    )).rows;
    return items.map((item) => ({ ...item, rates: rates.filter((r) => r.feeItemId === item.id).map(({ feeItemId: _, ...rate }) => rate) }));
  }

  private async item(db: Queryable, id: number): Promise<FeeItem> {
    const item = (await db.query<Omit<FeeItem, 'rates'>>(`SELECT ${ITEM_COLUMNS} FROM fee_items WHERE id = $1`, [id])).rows[0];
    if (!item) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no fee item ${id}`);
    const rates = (await db.query<FeeRate>(`SELECT ${RATE_COLUMNS} FROM fee_rates WHERE fee_item_id = $1 ORDER BY effective_from, id`, [id])).rows;
    return { ...item, rates };
  }

  async createItem(user: SessionUser, input: FeeItemInput): Promise<FeeItem> {
    requireWholeEstate(user, 'A fee item');
    if ((input.basis === 'meter') !== (input.meterKind !== undefined)) {
      throw fieldError('meterKind', input.basis === 'meter' ? 'required for a meter item' : 'only for meter items');
    }
    // A meter line bills the period's reading: a longer cycle would bill one month of several.
    if (input.basis === 'meter' && (input.cycleMonths ?? 1) !== 1) throw fieldError('cycleMonths', 'meter items are billed every month');
    return this.db.transaction(async (tx) => {
      let id: number;
      try {
        id = (await tx.query<{ id: number }>(
          `INSERT INTO fee_items (code, name, name_zh, basis, meter_kind, cycle_months, due_days, late_daily_bp, late_cap_bp, late_grace_days)
           VALUES ($1, $2, $3, $4, $5, coalesce($6, 1), coalesce($7, 15), coalesce($8, 0), coalesce($9, 0), coalesce($10, 0)) RETURNING id::int AS id`,
          [input.code, input.name, input.nameZh ?? null, input.basis, input.meterKind ?? null, input.cycleMonths ?? null, input.dueDays ?? null,
            input.lateDailyBp ?? null, input.lateCapBp ?? null, input.lateGraceDays ?? null],
        )).rows[0].id;
      } catch (err) {
        if (isUniqueViolation(err)) throw fieldError('code', `a fee item ${input.code} exists already`);
        throw err;
      }
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'billing.fee_item.create', targetType: 'fee_item', targetId: id, details: { ...input } });
      return this.item(tx, id);
    });
  }

  async updateItem(user: SessionUser, id: number, patch: FeeItemPatch): Promise<FeeItem> {
    requireWholeEstate(user, 'A fee item');
    return this.db.transaction(async (tx) => {
      const before = await this.item(tx, id);
      if (before.basis === 'meter' && patch.cycleMonths !== undefined && patch.cycleMonths !== 1) throw fieldError('cycleMonths', 'meter items are billed every month');
      await tx.query(
        `UPDATE fee_items SET name = coalesce($2, name), name_zh = coalesce($3, name_zh), cycle_months = coalesce($4, cycle_months),
                due_days = coalesce($5, due_days), late_daily_bp = coalesce($6, late_daily_bp), late_cap_bp = coalesce($7, late_cap_bp),
                late_grace_days = coalesce($8, late_grace_days), active = coalesce($9, active), updated_at = now()
          WHERE id = $1`,
        [id, patch.name ?? null, patch.nameZh ?? null, patch.cycleMonths ?? null, patch.dueDays ?? null, patch.lateDailyBp ?? null,
          patch.lateCapBp ?? null, patch.lateGraceDays ?? null, patch.active ?? null],
      );
      const { rates: _, ...was } = before;
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'billing.fee_item.update', targetType: 'fee_item', targetId: id, details: { before: was, patch } });
      return this.item(tx, id);
    });
  }

  /** A new rate from a date; rates are never edited: a change is a new rate from a later date. */
  async addRate(user: SessionUser, itemId: number, input: RateInput): Promise<FeeRate> {
    if (input.buildingId === undefined) requireWholeEstate(user, 'An estate-wide rate');
    else if (!canSeeBuilding(user, input.buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `not your building: ${input.buildingId}`);
    return this.db.transaction(async (tx) => {
      await this.item(tx, itemId);
      if (input.buildingId !== undefined && !(await tx.query('SELECT 1 FROM buildings WHERE id = $1', [input.buildingId])).rowCount) {
        throw fieldError('buildingId', `no building ${input.buildingId}`);
      }
      let rate: FeeRate;
      try {
        rate = (await tx.query<FeeRate>(
          `INSERT INTO fee_rates (fee_item_id, building_id, unit_layout, rate_fen, effective_from, created_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${RATE_COLUMNS}`,
          [itemId, input.buildingId ?? null, input.unitLayout ?? null, input.rateFen, input.effectiveFrom, user.username],
        )).rows[0];
      } catch (err) {
        if (isUniqueViolation(err)) throw fieldError('effectiveFrom', 'a rate for this item, building and layout starts on that day already');
        throw err;
      }
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'billing.fee_rate.create', targetType: 'fee_item', targetId: itemId, details: { rateId: rate.id, ...input } });
      return rate;
    });
  }

  async listCharges(user: SessionUser, unitId: number): Promise<UnitCharge[]> {
    await visibleUnit(this.db, user, unitId);
    return (await this.db.query<UnitCharge>(
      `SELECT ${CHARGE_COLUMNS} FROM unit_charges c JOIN fee_items i ON i.id = c.fee_item_id WHERE c.unit_id = $1 ORDER BY c.from_period, c.id`,
      [unitId],
    )).rows;
  }

  /**
   * Parking spaces and the like (fixed items: a quantity every period from fromPeriod on)
   * and one-off charges (oneoff items: an amount for one period).
   */
  async addCharge(user: SessionUser, unitId: number, input: ChargeInput): Promise<UnitCharge> {
    await visibleUnit(this.db, user, unitId);
    return this.db.transaction(async (tx) => {
      const item = (await tx.query<{ basis: FeeBasis }>('SELECT basis FROM fee_items WHERE id = $1', [input.feeItemId])).rows[0];
      if (!item) throw fieldError('feeItemId', `no fee item ${input.feeItemId}`);
      if (item.basis !== 'fixed' && item.basis !== 'oneoff') throw fieldError('feeItemId', 'unit charges are for fixed or one-off items');
      if (item.basis === 'fixed' && input.amountFen !== undefined) throw fieldError('amountFen', 'a fixed item is charged at its rate × quantity');
      if (item.basis === 'oneoff' && input.amountFen === undefined) throw fieldError('amountFen', 'required for a one-off charge');
      if (item.basis === 'oneoff' && input.toPeriod !== undefined && input.toPeriod !== input.fromPeriod) throw fieldError('toPeriod', 'a one-off charge is for one period');
      if (input.toPeriod !== undefined && input.toPeriod < input.fromPeriod) throw fieldError('toPeriod', 'before fromPeriod');
      const toPeriod = item.basis === 'oneoff' ? input.fromPeriod : (input.toPeriod ?? null);
      const id = (await tx.query<{ id: number }>(
        `INSERT INTO unit_charges (unit_id, fee_item_id, quantity, amount_fen, description, from_period, to_period, created_by)
         VALUES ($1, $2, coalesce($3::numeric, 1), $4, $5, $6, $7, $8) RETURNING id::int AS id`,
        [unitId, input.feeItemId, input.quantity ?? null, input.amountFen ?? null, input.description ?? null, input.fromPeriod, toPeriod, user.username],
      )).rows[0].id;
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'billing.unit_charge.create', targetType: 'unit', targetId: unitId, details: { chargeId: id, ...input } });
      return (await tx.query<UnitCharge>(`SELECT ${CHARGE_COLUMNS} FROM unit_charges c JOIN fee_items i ON i.id = c.fee_item_id WHERE c.id = $1`, [id])).rows[0];
    });
  }

  /** Ends a recurring charge after toPeriod (a parking space given up). */
  async endCharge(user: SessionUser, chargeId: number, toPeriod: Period): Promise<UnitCharge> {
    return this.db.transaction(async (tx) => {
      const charge = (await tx.query<{ unit_id: number; from_period: string; to_period: string | null }>(
        'SELECT unit_id::int AS unit_id, from_period, to_period FROM unit_charges WHERE id = $1 FOR UPDATE', [chargeId],
      )).rows[0];
      if (!charge) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no unit charge ${chargeId}`);
      await visibleUnit(tx, user, charge.unit_id);
      if (toPeriod < charge.from_period) throw fieldError('toPeriod', `before the charge's first period ${charge.from_period}`);
      if (charge.to_period !== null && toPeriod > charge.to_period) throw fieldError('toPeriod', `the charge ends in ${charge.to_period} already`);
      await tx.query('UPDATE unit_charges SET to_period = $2, ended_by = $3 WHERE id = $1', [chargeId, toPeriod, user.username]);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'billing.unit_charge.end', targetType: 'unit', targetId: charge.unit_id, details: { chargeId, from: charge.to_period, toPeriod } });
      return (await tx.query<UnitCharge>(`SELECT ${CHARGE_COLUMNS} FROM unit_charges c JOIN fee_items i ON i.id = c.fee_item_id WHERE c.id = $1`, [chargeId])).rows[0];
    });
  }
}
