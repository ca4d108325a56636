import { recordAudit } from '../audit/index.js';
import type { Role, SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/live-feed.js';
import { conflictingField, isUniqueViolation } from '../records/records-errors.js';

export const movementKinds = ['receipt', 'issue', 'return', 'adjustment'] as const;
export type MovementKind = (typeof movementKinds)[number];

export interface PartRow {
  id: number;
  code: string;
  name: string;
  unit: string;
  reorder_level: number;
  on_hand: number;
  created_at: Date;
  updated_at: Date;
}

export interface StockRow {
  part_id: number;
  code: string;
  name: string;
  unit: string;
  reorder_level: number;
  store: string;
  qty: number;
  low: boolean;
  updated_at: Date;
}

export interface MovementRow {
  id: number;
  code: string;
  store: string;
  kind: MovementKind;
  qty: number;
  balance: number;
  work_order_id: number | null;
  actor: string;
  at: Date;
  note: string | null;
}

export interface PartInput {
  code: string;
  name: string;
  unit?: string;
  reorderLevel?: number;
}

/** Who sees low-stock alerts on the live stream. */
export const lowStockAudience: readonly Role[] = ['admin', 'manager', 'technician'];

interface Change {
  partCode: string;
  qty: number;
}

const PART_SELECT = `SELECT p.id::int AS id, p.code, p.name, p.unit, p.reorder_level, coalesce((SELECT sum(qty) FROM part_stock s WHERE s.part_id = p.id), 0)::int AS on_hand, p.created_at, p.updated_at FROM parts p`;
const STOCK_SELECT = `SELECT s.part_id::int AS part_id, p.code, p.name, p.unit, p.reorder_level, s.store, s.qty, s.qty <= p.reorder_level AS low, s.updated_at
  FROM part_stock s JOIN parts p ON p.id = s.part_id`;

/**
 * Spare parts: the catalogue, stock on hand per store, and the movements ledger. Every
 * stock change is one UPDATE guarded by the stock itself (qty >= requested) in the same
 * transaction as its movement row, so concurrent issues of the last units never both win
 * and a refused one changes nothing. Falling to or below the reorder level raises a
 * low-stock alert (live event and audit row) in that transaction.
 */
export class PartsService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
  ) {}

  async list(q: { q?: string }): Promise<PartRow[]> {
    const values = q.q ? [`%${q.q.replace(/[\\%_]/g, '\\$&')}%`] : [];
    return (await this.db.query<PartRow>(`${PART_SELECT} ${q.q ? 'WHERE p.code ILIKE $1 OR p.name ILIKE $1' : ''} ORDER BY p.code LIMIT 1000`, values)).rows;
  }

  async create(user: SessionUser, input: PartInput, ip?: string): Promise<PartRow> {
    try {
      return await this.db.transaction(async (tx) => {
        const id = (await tx.query<{ id: number }>('INSERT INTO parts (code, name, unit, reorder_level) VALUES ($1, $2, $3, $4) RETURNING id::int AS id', [input.code, input.name, input.unit ?? 'pcs', input.reorderLevel ?? 0])).rows[0].id;
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'part.create', targetType: 'part', targetId: id, details: { code: input.code }, ip });
        return (await tx.query<PartRow>(`${PART_SELECT} WHERE p.id = $1`, [id])).rows[0];
      });
    } catch (err) {
      if (isUniqueViolation(err, 'parts_code_key')) throw conflictingField('body.code', 'another part has this code');
      throw err;
    }
  }

  async update(user: SessionUser, id: number, patch: Partial<Omit<PartInput, 'code'>>, ip?: string): Promise<PartRow> {
    return this.db.transaction(async (tx) => {
      const res = await tx.query(
        `UPDATE parts SET name = coalesce($2, name), unit = coalesce($3, unit), reorder_level = coalesce($4, reorder_level), updated_at = now() WHERE id = $1`,
        [id, patch.name ?? null, patch.unit ?? null, patch.reorderLevel ?? null],
      );
      if (!res.rowCount) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no part ${id}`);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'part.update', targetType: 'part', targetId: id, details: { fields: Object.keys(patch) }, ip });
      return (await tx.query<PartRow>(`${PART_SELECT} WHERE p.id = $1`, [id])).rows[0];
    });
  }

  async stock(q: { store?: string; part?: string }): Promise<StockRow[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (q.store) where.push(`s.store = $${values.push(q.store)}`);
    if (q.part) where.push(`p.code = $${values.push(q.part)}`);
    return (await this.db.query<StockRow>(`${STOCK_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY p.code, s.store`, values)).rows;
  }

  /** Stock at or below its part's reorder level. */
  async lowStock(): Promise<StockRow[]> {
    return (await this.db.query<StockRow>(`${STOCK_SELECT} WHERE s.qty <= p.reorder_level ORDER BY p.code, s.store`)).rows;
  }

  async movements(q: { part?: string; store?: string; workOrderId?: number; kind?: MovementKind; limit: number }): Promise<MovementRow[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (q.part) where.push(`p.code = $${values.push(q.part)}`);
    if (q.store) where.push(`m.store = $${values.push(q.store)}`);
    if (q.workOrderId !== undefined) where.push(`m.work_order_id = $${values.push(q.workOrderId)}`);
    if (q.kind) where.push(`m.kind = $${values.push(q.kind)}`);
    const { rows } = await this.db.query<MovementRow>(
      `SELECT m.id::int AS id, p.code, m.store, m.kind, m.qty, m.balance, m.work_order_id::int AS work_order_id, m.actor, m.at, m.note
         FROM part_movements m JOIN parts p ON p.id = m.part_id ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY m.id DESC LIMIT ${q.limit}`,
      values,
    );
    return rows;
  }

  receive(user: SessionUser, input: { partCode: string; store: string; qty: number; note?: string }, ip?: string): Promise<MovementRow[]> {
    return this.move(user, 'receipt', input.store, [{ partCode: input.partCode, qty: input.qty }], { note: input.note ?? null, ip });
  }

  /** Parts back into a store, e.g. unused on a work order. */
  returnParts(user: SessionUser, input: { partCode: string; store: string; qty: number; workOrderId?: number; note?: string }, ip?: string): Promise<MovementRow[]> {
    return this.move(user, 'return', input.store, [{ partCode: input.partCode, qty: input.qty }], { workOrderId: input.workOrderId, note: input.note ?? null, ip });
  }

  /** A counted correction, signed; the reason is kept as the movement's note. */
  adjust(user: SessionUser, input: { partCode: string; store: string; qty: number; reason: string }, ip?: string): Promise<MovementRow[]> {
    return this.move(user, 'adjustment', input.store, [{ partCode: input.partCode, qty: input.qty }], { note: input.reason, ip });
  }

  /** Issues parts from one store to a work order: all of them, or (on any shortage) none. */
  issueToWorkOrder(user: SessionUser, workOrderId: number, input: { store: string; parts: Change[]; note?: string }, ip?: string): Promise<MovementRow[]> {
    return this.move(user, 'issue', input.store, [...input.parts].sort((a, b) => a.partCode.localeCompare(b.partCode)).map((p) => ({ partCode: p.partCode, qty: -p.qty })), { workOrderId, note: input.note ?? null, ip });
  }

  private async move(user: SessionUser, kind: MovementKind, store: string, changes: Change[], opts: { workOrderId?: number; note: string | null; ip?: string }): Promise<MovementRow[]> {
    const { movements, liveId } = await this.db.transaction(async (tx) => {
      if (opts.workOrderId !== undefined) await this.checkWorkOrder(tx, opts.workOrderId, kind);
      const movements: MovementRow[] = [];
      const alerts: { part: { id: number; code: string; name: string; unit: string; reorder_level: number }; qty: number }[] = [];
      for (const change of changes) {
        const part = (await tx.query<{ id: number; code: string; name: string; unit: string; reorder_level: number }>('SELECT id::int AS id, code, name, unit, reorder_level FROM parts WHERE code = $1', [change.partCode])).rows[0];
        if (!part) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no part ${change.partCode}`, { partCode: change.partCode });
        let balance: number;
        if (change.qty > 0) {
          balance = (await tx.query<{ qty: number }>(
            `INSERT INTO part_stock (part_id, store, qty) VALUES ($1, $2, $3)
             ON CONFLICT (part_id, store) DO UPDATE SET qty = part_stock.qty + excluded.qty, updated_at = now() RETURNING qty`,
            [part.id, store, change.qty],
          )).rows[0].qty;
        } else {
          // The guard is evaluated on the row as committed by any concurrent issue (row lock), so stock never goes below zero.
          const updated = (await tx.query<{ qty: number }>('UPDATE part_stock SET qty = qty + $3, updated_at = now() WHERE part_id = $1 AND store = $2 AND qty + $3 >= 0 RETURNING qty', [part.id, store, change.qty])).rows[0];
          if (!updated) {
            const available = (await tx.query<{ qty: number }>('SELECT qty FROM part_stock WHERE part_id = $1 AND store = $2', [part.id, store])).rows[0]?.qty ?? 0;
            throw new WardenError('WARDEN_ERR_INSUFFICIENT_STOCK', `store ${store} holds ${available} ${part.unit} of ${part.code}; ${-change.qty} requested`, {
              partCode: part.code,
              store,
              available,
              requested: -change.qty,
            });
          }
          balance = updated.qty;
          if (balance <= part.reorder_level && balance - change.qty > part.reorder_level) alerts.push({ part, qty: balance });
        }
        const id = (await tx.query<{ id: number }>(
          `INSERT INTO part_movements (part_id, store, kind, qty, balance, work_order_id, user_id, actor, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id::int AS id`,
          [part.id, store, kind, change.qty, balance, opts.workOrderId ?? null, user.id, user.username, opts.note],
        )).rows[0].id;
        await recordAudit(tx, { userId: user.id, actor: user.username, action: `part.${kind}`, targetType: 'part', targetId: part.id, details: { code: part.code, store, qty: change.qty, balance, ...(opts.workOrderId !== undefined ? { workOrderId: opts.workOrderId } : {}), ...(kind === 'adjustment' ? { reason: opts.note } : {}) }, ip: opts.ip });
        movements.push((await tx.query<MovementRow>(
          `SELECT m.id::int AS id, p.code, m.store, m.kind, m.qty, m.balance, m.work_order_id::int AS work_order_id, m.actor, m.at, m.note FROM part_movements m JOIN parts p ON p.id = m.part_id WHERE m.id = $1`,
          [id],
        )).rows[0]);
      }
      let liveId: number | undefined;
      for (const a of alerts) {
        await recordAudit(tx, { actor: 'system', action: 'part.lowStock', targetType: 'part', targetId: a.part.id, details: { code: a.part.code, store, qty: a.qty, reorderLevel: a.part.reorder_level } });
      }
      // Live events last: they take the live-feed lock until commit.
      for (const a of alerts) {
        liveId = await appendLiveEvent(tx, {
          type: 'parts.lowStock',
          buildingId: null,
          audience: lowStockAudience,
          data: { partId: a.part.id, partCode: a.part.code, name: a.part.name, unit: a.part.unit, store, qty: a.qty, reorderLevel: a.part.reorder_level, movement: kind, by: user.username },
        });
      }
      return { movements, liveId };
    });
    if (liveId !== undefined) this.bus.emit('live.appended', { lastId: liveId });
    return movements;
  }

  private async checkWorkOrder(tx: Queryable, workOrderId: number, kind: MovementKind): Promise<void> {
    const wo = (await tx.query<{ number: string; status: string }>('SELECT number, status FROM work_orders WHERE id = $1 FOR SHARE', [workOrderId])).rows[0];
    if (!wo) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no work order ${workOrderId}`);
    if (kind === 'issue' && (wo.status === 'closed' || wo.status === 'cancelled')) {
      throw new WardenError('WARDEN_ERR_CONFLICT', `work order ${wo.number} is ${wo.status}: no parts can be issued to it`);
    }
  }
}
