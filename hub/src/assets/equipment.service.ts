import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { conflictingField, invalidField, isForeignKeyViolation, isUniqueViolation } from '../records/records-errors.js';

export interface EquipmentRow {
  id: number;
  code: string;
  name: string;
  type: string;
  model: string | null;
  manufacturer: string | null;
  serial: string | null;
  building_id: string | null;
  floor: string | null;
  location: string | null;
  install_date: string | null;
  warranty_until: string | null;
  parameters: Record<string, unknown>;
  device_id: number | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

export interface EquipmentInput {
  code: string;
  name: string;
  type: string;
  model?: string | null;
  manufacturer?: string | null;
  serial?: string | null;
  buildingId?: string | null;
  floor?: string | null;
  location?: string | null;
  installDate?: string | null;
  warrantyUntil?: string | null;
  parameters?: Record<string, unknown>;
  deviceId?: number | null;
}

export interface EquipmentSearch {
  building?: string;
  type?: string;
  q?: string;
  /** Warranty ending between today and this many days ahead. */
  warrantyWithinDays?: number;
  page: number;
  limit: number;
}

export interface HistoryEntry {
  workOrder: { id: number; number: string; title: string; status: string; kind: string; createdAt: Date; resolvedAt: Date | null; resolution: string | null; deviceId: number | null };
  parts: { partCode: string; partName: string; unit: string; qty: number }[];
  readings: { metric: string; unit: string | null; ts: Date; value: number | null; valueText: string | null }[];
}

const columns: Record<keyof Omit<EquipmentInput, 'parameters'>, string> = {
  code: 'code',
  name: 'name',
  type: 'type',
  model: 'model',
  manufacturer: 'manufacturer',
  serial: 'serial',
  buildingId: 'building_id',
  floor: 'floor',
  location: 'location',
  installDate: 'install_date',
  warrantyUntil: 'warranty_until',
  deviceId: 'device_id',
};

const SELECT = `SELECT id::int AS id, code, name, type, model, manufacturer, serial, building_id, floor, location,
  install_date::text AS install_date, warranty_until::text AS warranty_until, parameters, device_id::int AS device_id,
  created_by, created_at, updated_at FROM equipment`;

/** The equipment ledger: every piece of plant, where it is, its warranty, and its maintenance history. */
export class EquipmentService {
  constructor(private readonly db: Database) {}

  async search(user: SessionUser, q: EquipmentSearch): Promise<{ rows: EquipmentRow[]; total: number }> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: (p: string) => string, v: unknown) => {
      values.push(v);
      where.push(sql(`$${values.length}`));
    };
    if (user.buildings.length) add((p) => `building_id = ANY(${p})`, user.buildings);
    if (q.building) add((p) => `building_id = ${p}`, q.building);
    if (q.type) add((p) => `type = ${p}`, q.type);
    if (q.q) add((p) => `(code ILIKE ${p} OR name ILIKE ${p} OR coalesce(model, '') ILIKE ${p} OR coalesce(manufacturer, '') ILIKE ${p} OR coalesce(serial, '') ILIKE ${p} OR coalesce(location, '') ILIKE ${p})`, `%${q.q.replace(/[\\%_]/g, '\\$&')}%`);
    if (q.warrantyWithinDays !== undefined) add((p) => `warranty_until BETWEEN current_date AND current_date + ${p}::int`, q.warrantyWithinDays);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = Number((await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM equipment ${clause}`, values)).rows[0].n);
    const order = q.warrantyWithinDays !== undefined ? 'warranty_until, code' : 'code';
    const { rows } = await this.db.query<EquipmentRow>(`${SELECT} ${clause} ORDER BY ${order} LIMIT ${q.limit} OFFSET ${(q.page - 1) * q.limit}`, values);
    return { rows, total };
  }

  async get(user: SessionUser, id: number, db: Queryable = this.db): Promise<EquipmentRow> {
    const row = (await db.query<EquipmentRow>(`${SELECT} WHERE id = $1`, [id])).rows[0];
    if (!row || !canSeeBuilding(user, row.building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no equipment ${id}`);
    return row;
  }

  async create(user: SessionUser, input: EquipmentInput, ip?: string): Promise<EquipmentRow> {
    return this.write(async (tx) => {
      const names = Object.keys(columns).filter((k) => input[k as keyof typeof columns] !== undefined) as (keyof typeof columns)[];
      const cols = [...names.map((k) => columns[k]), 'parameters', 'created_by'];
      const values = [...names.map((k) => input[k]), JSON.stringify(input.parameters ?? {}), user.username];
      const id = (await tx.query<{ id: number }>(`INSERT INTO equipment (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id::int AS id`, values)).rows[0].id;
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'equipment.create', targetType: 'equipment', targetId: id, details: { code: input.code }, ip });
      return this.get(user, id, tx);
    });
  }

  async update(user: SessionUser, id: number, patch: Partial<EquipmentInput>, ip?: string): Promise<EquipmentRow> {
    return this.write(async (tx) => {
      await this.get(user, id, tx);
      const sets: string[] = [];
      const values: unknown[] = [id];
      for (const [k, col] of Object.entries(columns)) {
        const v = patch[k as keyof typeof columns];
        if (v === undefined) continue;
        values.push(v);
        sets.push(`${col} = $${values.length}`);
      }
      if (patch.parameters !== undefined) {
        values.push(JSON.stringify(patch.parameters));
        sets.push(`parameters = $${values.length}`);
      }
      await tx.query(`UPDATE equipment SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1`, values);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'equipment.update', targetType: 'equipment', targetId: id, details: { fields: Object.keys(patch) }, ip });
      return this.get(user, id, tx);
    });
  }

  /** Only equipment no work order was ever linked to by equipment_id. */
  async remove(user: SessionUser, id: number, ip?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.get(user, id, tx);
      const used = await tx.query('SELECT 1 FROM work_orders WHERE equipment_id = $1 LIMIT 1', [id]);
      if (used.rows.length) throw new WardenError('WARDEN_ERR_CONFLICT', `equipment ${row.code} has work orders; it cannot be deleted`);
      await tx.query('DELETE FROM equipment WHERE id = $1', [id]);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'equipment.delete', targetType: 'equipment', targetId: id, details: { code: row.code }, ip });
    });
  }

  /** Links a work order to the equipment (for equipment with no device, or to say which one explicitly). */
  async linkWorkOrder(user: SessionUser, workOrderId: number, equipmentId: number, ip?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const eq = await this.get(user, equipmentId, tx);
      const res = await tx.query('UPDATE work_orders SET equipment_id = $2, updated_at = now() WHERE id = $1', [workOrderId, equipmentId]);
      if (!res.rowCount) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no work order ${workOrderId}`);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'workorder.equipment', targetType: 'work_order', targetId: workOrderId, details: { equipmentId, code: eq.code }, ip });
    });
  }

  /**
   * The maintenance history: every work order on the equipment (linked by equipment_id,
   * or on its device), newest first, with the parts used on it (net of returns) and the
   * device's latest reading of each metric at the time the work order was opened.
   */
  async history(user: SessionUser, id: number): Promise<{ equipment: EquipmentRow; entries: HistoryEntry[] }> {
    const equipment = await this.get(user, id);
    const { rows: wos } = await this.db.query<{ id: number; number: string; title: string; status: string; kind: string; created_at: Date; resolved_at: Date | null; resolution: string | null; device_id: number | null }>(
      `SELECT id::int AS id, number, title, status, kind, created_at, resolved_at, resolution, device_id::int AS device_id
         FROM work_orders WHERE equipment_id = $1 OR ($2::bigint IS NOT NULL AND device_id = $2) ORDER BY created_at DESC, id DESC LIMIT 500`,
      [id, equipment.device_id],
    );
    const ids = wos.map((w) => w.id);
    const { rows: parts } = await this.db.query<{ work_order_id: number; code: string; name: string; unit: string; qty: number }>(
      `SELECT m.work_order_id::int AS work_order_id, p.code, p.name, p.unit, (-sum(m.qty))::int AS qty
         FROM part_movements m JOIN parts p ON p.id = m.part_id
        WHERE m.work_order_id = ANY($1::bigint[]) AND m.kind IN ('issue', 'return')
        GROUP BY m.work_order_id, p.code, p.name, p.unit ORDER BY p.code`,
      [ids],
    );
    const entries: HistoryEntry[] = [];
    for (const w of wos) {
      const deviceId = w.device_id ?? equipment.device_id;
      const readings = deviceId === null ? [] : await this.readingsAt(deviceId, w.created_at);
      entries.push({
        workOrder: { id: w.id, number: w.number, title: w.title, status: w.status, kind: w.kind, createdAt: w.created_at, resolvedAt: w.resolved_at, resolution: w.resolution, deviceId: w.device_id },
        parts: parts.filter((p) => p.work_order_id === w.id && p.qty !== 0).map((p) => ({ partCode: p.code, partName: p.name, unit: p.unit, qty: p.qty })),
        readings,
      });
    }
    return { equipment, entries };
  }

  /** The latest reading of each of the device's metrics at or before `at`. */
  private async readingsAt(deviceId: number, at: Date): Promise<HistoryEntry['readings']> {
    const { rows } = await this.db.query<{ name: string; unit: string | null; ts: Date; value: number | null; value_text: string | null }>(
      `SELECT m.name, m.unit, t.ts, t.value, t.value_text
         FROM device_metrics m
         JOIN LATERAL (SELECT ts, value, value_text FROM telemetry WHERE series_id = m.id AND ts <= $2 ORDER BY ts DESC LIMIT 1) t ON true
        WHERE m.device_id = $1 ORDER BY m.name`,
      [deviceId, at],
    );
    return rows.map((r) => ({ metric: r.name, unit: r.unit, ts: r.ts, value: r.value, valueText: r.value_text }));
  }

  private async write<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(fn);
    } catch (err) {
      if (isUniqueViolation(err, 'equipment_code_key')) throw conflictingField('body.code', 'another equipment has this code');
      if (isUniqueViolation(err, 'equipment_device_id_key')) throw conflictingField('body.deviceId', 'this device is already linked to other equipment');
      if (isForeignKeyViolation(err)) {
        const c = (err as { constraint?: string }).constraint ?? '';
        throw c.includes('device') ? invalidField('body.deviceId', 'no such device') : invalidField('body.buildingId', 'no such building');
      }
      throw err;
    }
  }
}
