import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { fieldError, isUniqueViolation, visibleUnit, type MeterKind } from './fees.service.js';
import { assessReading, correctedConsumption, type ReadingFlag } from './meter-readings.js';
import type { Period } from './period.js';

/** A register value counts for a period boundary if read at most this long before it. */
export const BOUNDARY_TOLERANCE = '3 days';

export interface Meter {
  id: number;
  deviceId: number;
  deviceCode: string;
  metric: string;
  kind: MeterKind;
  buildingId: string;
  /** Null: the building's shared area (公摊). */
  unitId: number | null;
  unitNumber: string | null;
  rolloverAt: string | null;
  multiplier: string;
  initialValue: string;
  installedAt: string;
  removedAt: string | null;
  finalValue: string | null;
  replacesId: number | null;
}

export type ReadingStatus = 'ok' | 'flagged' | 'confirmed' | 'corrected';

export interface Reading {
  id: number;
  meterId: number;
  buildingId: string;
  unitId: number | null;
  unitNumber: string | null;
  kind: MeterKind;
  period: string;
  startValue: string | null;
  startAt: string | null;
  endValue: string | null;
  endAt: string | null;
  consumption: string | null;
  usual: string | null;
  source: 'telemetry' | 'estimated' | 'manual';
  flags: ReadingFlag[];
  status: ReadingStatus;
  resolvedBy: string | null;
}

export interface MeterInput {
  deviceId?: number;
  deviceCode?: string;
  metric: string;
  kind: MeterKind;
  unitId?: number;
  rolloverAt?: string;
  multiplier?: string;
  initialValue?: string;
  installedAt?: string;
}

export interface ReplaceInput {
  finalValue: string;
  newDeviceId?: number;
  newDeviceCode?: string;
  newMetric?: string;
  initialValue: string;
  at?: string;
}

export interface CorrectionInput {
  startValue?: string;
  endValue?: string;
  consumption?: string;
  reason: string;
}

const METER_SELECT = `
  SELECT m.id::int AS id, m.device_id::int AS "deviceId", d.code AS "deviceCode", m.metric, m.kind, m.building_id AS "buildingId",
         m.unit_id::int AS "unitId", u.number AS "unitNumber", m.rollover_at::text AS "rolloverAt", m.multiplier::text AS multiplier,
         m.initial_value::text AS "initialValue", m.installed_at AS "installedAt", m.removed_at AS "removedAt",
         m.final_value::text AS "finalValue", m.replaces_id::int AS "replacesId"
    FROM meters m JOIN devices d ON d.id = m.device_id LEFT JOIN units u ON u.id = m.unit_id`;

const READING_SELECT = `
  SELECT r.id::int AS id, r.meter_id::int AS "meterId", m.building_id AS "buildingId", m.unit_id::int AS "unitId", u.number AS "unitNumber",
         m.kind, r.period, r.start_value::text AS "startValue", r.start_at AS "startAt", r.end_value::text AS "endValue", r.end_at AS "endAt",
         r.consumption::text AS consumption, r.usual::text AS usual, r.source, r.flags, r.status, r.resolved_by AS "resolvedBy"
    FROM meter_readings r JOIN meters m ON m.id = r.meter_id LEFT JOIN units u ON u.id = m.unit_id`;

type Row<T> = Omit<T, 'installedAt' | 'removedAt' | 'startAt' | 'endAt'> & Record<'installedAt' | 'removedAt' | 'startAt' | 'endAt', Date | null>;
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const toMeter = (r: Row<Meter>): Meter => ({ ...r, installedAt: iso(r.installedAt) ?? '', removedAt: iso(r.removedAt) });
const toReading = ({ installedAt: _, removedAt: __, ...r }: Row<Reading>): Reading => ({ ...r, startAt: iso(r.startAt), endAt: iso(r.endAt) });

/** Buildings the user may work on, as a SQL array parameter: null = all. */
const scopeOf = (user: SessionUser) => (user.buildings.length ? user.buildings : null);

/**
 * The period boundaries of each building in scope: midnight of the month's first day and of
 * the next month's, in the estate's time zone (a period is a local calendar month).
 */
export const PERIOD_BOUNDS_SQL = `
  SELECT b.id AS building_id,
         (($1 || '-01')::date::timestamp AT TIME ZONE s.timezone) AS p_start,
         ((($1 || '-01')::date + interval '1 month')::date::timestamp AT TIME ZONE s.timezone) AS p_end
    FROM buildings b JOIN sites s ON s.id = b.site_id
   WHERE ($2::text IS NULL OR b.id = $2) AND ($3::text[] IS NULL OR b.id = ANY ($3))`;

/** The last register value of a device metric at or before a boundary, if near enough. */
const registerAt = (device: string, metric: string, boundary: string, notBefore: string) => `
  SELECT t.ts, round(t.value::numeric, 3)::text AS value
    FROM device_metrics dm JOIN telemetry t ON t.series_id = dm.id
   WHERE dm.device_id = ${device} AND dm.name = ${metric} AND t.value IS NOT NULL
     AND t.ts <= ${boundary} AND t.ts > ${boundary} - interval '${BOUNDARY_TOLERANCE}' AND t.ts >= ${notBefore}
   ORDER BY t.ts DESC LIMIT 1`;

interface CheckRow {
  id: number;
  rollover_at: string | null;
  multiplier: string;
  initial_value: string;
  installed_at: Date;
  installed_in_period: boolean;
  old_final: string | null;
  start_ts: Date | null;
  start_value: string | null;
  end_ts: Date | null;
  end_value: string | null;
  history: string[] | null;
}

/**
 * Meters (device + cumulative metric → unit, or a building's shared area), their
 * replacement, and the period readings the bill run charges: read from telemetry,
 * checked (meter-readings.ts), confirmed or corrected by a clerk with a reason.
 */
export class MeterService {
  constructor(private readonly db: Database) {}

  async list(user: SessionUser, filter: { building?: string; unit?: number }): Promise<Meter[]> {
    const { rows } = await this.db.query<Row<Meter>>(
      `${METER_SELECT}
        WHERE ($1::text IS NULL OR m.building_id = $1) AND ($2::bigint IS NULL OR m.unit_id = $2) AND ($3::text[] IS NULL OR m.building_id = ANY ($3))
        ORDER BY m.building_id, m.unit_id NULLS FIRST, m.kind, m.installed_at`,
      [filter.building ?? null, filter.unit ?? null, scopeOf(user)],
    );
    return rows.map(toMeter);
  }

  private async meter(db: Queryable, id: number): Promise<Meter> {
    const row = (await db.query<Row<Meter>>(`${METER_SELECT} WHERE m.id = $1`, [id])).rows[0];
    if (!row) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no meter ${id}`);
    return toMeter(row);
  }

  private async device(db: Queryable, ref: { id?: number; code?: string }, field: string): Promise<{ id: number; buildingId: string | null }> {
    const { rows } = ref.id !== undefined
      ? await db.query<{ id: number; building_id: string | null }>('SELECT id::int AS id, building_id FROM devices WHERE id = $1', [ref.id])
      : await db.query<{ id: number; building_id: string | null }>('SELECT id::int AS id, building_id FROM devices WHERE code = $1 LIMIT 2', [ref.code]);
    if (rows.length === 0) throw fieldError(field, `no such device`);
    if (rows.length > 1) throw fieldError(field, `several agents have a device ${ref.code}: give its id`);
    return { id: rows[0].id, buildingId: rows[0].building_id };
  }

  async create(user: SessionUser, input: MeterInput): Promise<Meter> {
    if ((input.deviceId === undefined) === (input.deviceCode === undefined)) throw fieldError('deviceId', 'give deviceId or deviceCode');
    return this.db.transaction(async (tx) => {
      const device = await this.device(tx, { id: input.deviceId, code: input.deviceCode }, input.deviceId === undefined ? 'deviceCode' : 'deviceId');
      const buildingId = input.unitId !== undefined ? (await visibleUnit(tx, user, input.unitId)).buildingId : device.buildingId;
      if (buildingId === null) throw fieldError('unitId', 'the device is in no building: give the unit it measures');
      if (!canSeeBuilding(user, buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `not your building: ${buildingId}`);
      let id: number;
      try {
        id = (await tx.query<{ id: number }>(
          `INSERT INTO meters (device_id, metric, kind, building_id, unit_id, rollover_at, multiplier, initial_value, installed_at, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, coalesce($7::numeric, 1), coalesce($8::numeric, 0), coalesce($9::timestamptz, now()), $10) RETURNING id::int AS id`,
          [device.id, input.metric, input.kind, buildingId, input.unitId ?? null, input.rolloverAt ?? null, input.multiplier ?? null, input.initialValue ?? null, input.installedAt ?? null, user.username],
        )).rows[0].id;
      } catch (err) {
        if (isUniqueViolation(err)) throw fieldError('metric', 'this device metric is an open meter already');
        throw err;
      }
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'billing.meter.create', targetType: 'meter', targetId: id, details: { ...input, buildingId } });
      return this.meter(tx, id);
    });
  }

  /**
   * Closes a meter with its final register value and opens its replacement (same unit,
   * kind, rollover and multiplier) at its own initial value; the period in which it
   * happens is read across both (meter-readings.ts, 'replaced').
   */
  async replace(user: SessionUser, id: number, input: ReplaceInput): Promise<{ old: Meter; meter: Meter }> {
    return this.db.transaction(async (tx) => {
      const old = (await tx.query<{ building_id: string; removed_at: Date | null; device_id: number; metric: string; installed_at: Date }>(
        'SELECT building_id, removed_at, device_id::int AS device_id, metric, installed_at FROM meters WHERE id = $1 FOR UPDATE', [id],
      )).rows[0];
      if (!old || !canSeeBuilding(user, old.building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no meter ${id}`);
      if (old.removed_at) throw new WardenError('WARDEN_ERR_CONFLICT', `meter ${id} was replaced or removed already`);
      const at = input.at ? new Date(input.at) : new Date();
      if (at <= old.installed_at) throw fieldError('at', 'before the meter was installed');
      const newDevice = input.newDeviceId !== undefined || input.newDeviceCode !== undefined
        ? (await this.device(tx, { id: input.newDeviceId, code: input.newDeviceCode }, input.newDeviceId === undefined ? 'newDeviceCode' : 'newDeviceId')).id
        : old.device_id;
      await tx.query('UPDATE meters SET removed_at = $2, final_value = $3 WHERE id = $1', [id, at, input.finalValue]);
      let newId: number;
      try {
        newId = (await tx.query<{ id: number }>(
          `INSERT INTO meters (device_id, metric, kind, building_id, unit_id, rollover_at, multiplier, initial_value, installed_at, created_by, replaces_id)
           SELECT $2, $3, kind, building_id, unit_id, rollover_at, multiplier, $4, $5, $6, id FROM meters WHERE id = $1 RETURNING id::int AS id`,
          [id, newDevice, input.newMetric ?? old.metric, input.initialValue, at, user.username],
        )).rows[0].id;
      } catch (err) {
        if (isUniqueViolation(err)) throw fieldError('newDeviceId', 'that device metric is an open meter already');
        throw err;
      }
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'billing.meter.replace', targetType: 'meter', targetId: id, details: { ...input, at: at.toISOString(), newMeterId: newId } });
      return { old: await this.meter(tx, id), meter: await this.meter(tx, newId) };
    });
  }

  /**
   * Reads every meter in scope for the period from telemetry and runs the checks. Re-checking
   * replaces readings nobody resolved (ok, flagged) and that no bill used; confirmed and
   * corrected readings stay as the clerk left them.
   */
  async check(user: SessionUser, period: Period, buildingId?: string): Promise<Reading[]> {
    if (buildingId !== undefined && !canSeeBuilding(user, buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `not your building: ${buildingId}`);
    const { rows } = await this.db.query<CheckRow>(
      `WITH bounds AS (${PERIOD_BOUNDS_SQL})
       SELECT m.id::int AS id, m.rollover_at::text AS rollover_at, m.multiplier::text AS multiplier, m.initial_value::text AS initial_value,
              m.installed_at, m.installed_at > b.p_start AS installed_in_period, o.final_value::text AS old_final,
              st.ts AS start_ts, st.value AS start_value, en.ts AS end_ts, en.value AS end_value, hist.values AS history
         FROM meters m
         JOIN bounds b ON b.building_id = m.building_id
         LEFT JOIN meters o ON o.id = m.replaces_id AND o.removed_at > b.p_start
         LEFT JOIN LATERAL (${registerAt('coalesce(o.device_id, m.device_id)', 'coalesce(o.metric, m.metric)', 'b.p_start', "'-infinity'")}) st ON true
         LEFT JOIN LATERAL (${registerAt('m.device_id', 'm.metric', 'b.p_end', 'm.installed_at')}) en ON true
         LEFT JOIN LATERAL (
           SELECT array_agg(h.consumption ORDER BY h.period DESC) AS values FROM (
             SELECT r.consumption::text AS consumption, r.period
               FROM meter_readings r JOIN meters mm ON mm.id = r.meter_id
              WHERE mm.building_id = m.building_id AND mm.kind = m.kind AND mm.unit_id IS NOT DISTINCT FROM m.unit_id
                AND r.period < $1 AND r.status IN ('ok', 'confirmed', 'corrected') AND r.consumption IS NOT NULL
              ORDER BY r.period DESC LIMIT 6) h) hist ON true
        WHERE m.installed_at < b.p_end AND (m.removed_at IS NULL OR m.removed_at >= b.p_end)`,
      [period, buildingId ?? null, scopeOf(user)],
    );
    const drafts = rows.map((m) => {
      // A meter installed during the period (not as a replacement) starts at its initial value.
      const fresh = m.installed_in_period && m.old_final === null;
      const start = fresh ? { value: m.initial_value, at: m.installed_at } : { value: m.start_value, at: m.start_ts };
      const assessed = assessReading({
        start: start.value,
        end: m.end_value,
        rolloverAt: m.rollover_at,
        multiplier: m.multiplier,
        replaced: m.old_final === null ? null : { oldFinal: m.old_final, newInitial: m.initial_value },
        history: m.history ?? [],
      });
      return { meterId: m.id, start, end: { value: m.end_value, at: m.end_ts }, ...assessed };
    });
    if (drafts.length) {
      await this.db.query(
        `INSERT INTO meter_readings (meter_id, period, start_value, start_at, end_value, end_at, consumption, source, flags, usual, status, checked_at)
         SELECT x.meter_id, $1, x.start_value, x.start_at, x.end_value, x.end_at, x.consumption, x.source, string_to_array(x.flags, ','), x.usual, x.status, now()
           FROM unnest($2::bigint[], $3::numeric[], $4::timestamptz[], $5::numeric[], $6::timestamptz[], $7::numeric[], $8::text[], $9::text[], $10::numeric[], $11::text[])
                AS x (meter_id, start_value, start_at, end_value, end_at, consumption, source, flags, usual, status)
         ON CONFLICT (meter_id, period) DO UPDATE
            SET start_value = excluded.start_value, start_at = excluded.start_at, end_value = excluded.end_value, end_at = excluded.end_at,
                consumption = excluded.consumption, source = excluded.source, flags = excluded.flags, usual = excluded.usual,
                status = excluded.status, checked_at = excluded.checked_at
          WHERE meter_readings.status IN ('ok', 'flagged')
            AND NOT EXISTS (SELECT 1 FROM bill_lines bl WHERE bl.meter_reading_id = meter_readings.id)`,
        [
          period,
          drafts.map((d) => d.meterId),
          drafts.map((d) => d.start.value),
          drafts.map((d) => iso(d.start.at)),
          drafts.map((d) => d.end.value),
          drafts.map((d) => iso(d.end.at)),
          drafts.map((d) => d.consumption),
          drafts.map((d) => d.source),
          drafts.map((d) => d.flags.join(',')),
          drafts.map((d) => d.usual),
          drafts.map((d) => d.status),
        ],
      );
    }
    const ids = drafts.map((d) => d.meterId);
    return (await this.db.query<Row<Reading>>(`${READING_SELECT} WHERE r.period = $1 AND r.meter_id = ANY ($2::bigint[]) ORDER BY m.building_id, u.number NULLS FIRST, m.kind, r.id`, [period, ids])).rows.map(toReading);
  }

  async readings(user: SessionUser, filter: { period?: Period; building?: string; status?: ReadingStatus }): Promise<Reading[]> {
    const { rows } = await this.db.query<Row<Reading>>(
      `${READING_SELECT}
        WHERE ($1::text IS NULL OR r.period = $1) AND ($2::text IS NULL OR m.building_id = $2) AND ($3::text IS NULL OR r.status = $3)
          AND ($4::text[] IS NULL OR m.building_id = ANY ($4))
        ORDER BY r.period DESC, m.building_id, u.number NULLS FIRST, m.kind, r.id LIMIT 5000`,
      [filter.period ?? null, filter.building ?? null, filter.status ?? null, scopeOf(user)],
    );
    return rows.map(toReading);
  }

  /** Locks a reading the user may see, refusing one a bill has used (its bill line would disagree). */
  private async lockReading(tx: Queryable, user: SessionUser, id: number): Promise<Reading & { multiplier: string }> {
    const row = (await tx.query<Row<Reading> & { multiplier: string; billed: boolean }>(
      `${READING_SELECT.replace('SELECT', 'SELECT m.multiplier::text AS multiplier, EXISTS (SELECT 1 FROM bill_lines bl WHERE bl.meter_reading_id = r.id) AS billed,')}
        WHERE r.id = $1 FOR UPDATE OF r`,
      [id],
    )).rows[0];
    if (!row || !canSeeBuilding(user, row.buildingId)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no reading ${id}`);
    if (row.billed) throw new WardenError('WARDEN_ERR_CONFLICT', `reading ${id} is on a bill already`);
    const { billed: _, ...reading } = row;
    return { ...toReading(reading), multiplier: row.multiplier };
  }

  private async resolve(tx: Queryable, user: SessionUser, action: 'confirm' | 'correct', before: Reading, reason: string): Promise<Reading> {
    const after = toReading((await tx.query<Row<Reading>>(`${READING_SELECT} WHERE r.id = $1`, [before.id])).rows[0]);
    const snapshot = (r: Reading) => ({ startValue: r.startValue, endValue: r.endValue, consumption: r.consumption, source: r.source, flags: r.flags, status: r.status });
    await tx.query(
      `INSERT INTO meter_reading_corrections (reading_id, action, before, after, reason, user_id, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [before.id, action, JSON.stringify(snapshot(before)), JSON.stringify(snapshot(after)), reason, user.id, user.username],
    );
    await recordAudit(tx, { userId: user.id, actor: user.username, action: `billing.reading.${action}`, targetType: 'meter_reading', targetId: before.id, details: { before: snapshot(before), after: snapshot(after), reason } });
    return after;
  }

  /** Accepts a flagged reading as it is (a real leak, a verified rollover or estimate). */
  async confirm(user: SessionUser, id: number, reason: string): Promise<Reading> {
    return this.db.transaction(async (tx) => {
      const { multiplier: _, ...before } = await this.lockReading(tx, user, id);
      if (before.status !== 'flagged') throw new WardenError('WARDEN_ERR_INVALID_TRANSITION', `reading ${id} is ${before.status}, not flagged`);
      if (before.consumption === null || before.consumption.startsWith('-')) {
        throw new WardenError('WARDEN_ERR_CONFLICT', `reading ${id} has no billable consumption: correct it instead`);
      }
      await tx.query(`UPDATE meter_readings SET status = 'confirmed', resolved_by = $2, resolved_at = now() WHERE id = $1`, [id, user.username]);
      return this.resolve(tx, user, 'confirm', before, reason);
    });
  }

  /** Replaces a reading's values (a misread register, a known leak credit); audited with the reason. */
  async correct(user: SessionUser, id: number, input: CorrectionInput): Promise<Reading> {
    return this.db.transaction(async (tx) => {
      const { multiplier, ...before } = await this.lockReading(tx, user, id);
      const start = input.startValue ?? before.startValue;
      const end = input.endValue ?? before.endValue;
      const consumption = correctedConsumption({ start, end, consumption: input.consumption, multiplier });
      if (consumption === null) {
        throw fieldError(input.consumption !== undefined ? 'consumption' : 'endValue', 'give a consumption of 0 or more, or start and end values with end ≥ start');
      }
      await tx.query(
        `UPDATE meter_readings SET start_value = $2, end_value = $3, consumption = $4, source = 'manual', status = 'corrected', resolved_by = $5, resolved_at = now()
          WHERE id = $1`,
        [id, start, end, consumption, user.username],
      );
      return this.resolve(tx, user, 'correct', before, input.reason);
    });
  }
}
