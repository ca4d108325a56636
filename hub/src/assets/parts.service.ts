import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type Role, type SessionUser } from '../auth/roles.js';
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

/** A part code and a quantity (signed in movements: negative out of the store). */
export interface PartChange {
  partCode: string;
  qty: number;
}

export type AlertPart = { id: number; code: string; name: string; unit: string; reorder_level: number };
/** A store that fell to its part's reorder level in this transaction. */
export interface LowStockAlert {
  part: AlertPart;
  qty: number;
}

/** Parts used on a resolved work order: issued from stock where catalogued, kept as text otherwise. */
export interface ResolutionIssue {
  store: string;
  movements: MovementRow[];
  /** Codes not in the catalogue: recorded on the work order as used, no stock moved. */
  unlisted: PartChange[];
  alerts: LowStockAlert[];
}

/** The estate's central store: where parts come from when a building keeps none of its own. */
export const MAIN_STORE = 'main';

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
  issueToWorkOrder(user: SessionUser, workOrderId: number, input: { store: string; parts: PartChange[]; note?: string }, ip?: string): Promise<MovementRow[]> {
    return this.move(user, 'issue', input.store, [...input.parts].sort((a, b) => a.partCode.localeCompare(b.partCode)).map((p) => ({ partCode: p.partCode, qty: -p.qty })), { workOrderId, note: input.note ?? null, ip });
  }

  private async move(user: SessionUser, kind: MovementKind, store: string, changes: PartChange[], opts: { workOrderId?: number; note: string | null; ip?: string }): Promise<MovementRow[]> {
    const { movements, liveId } = await this.db.transaction(async (tx) => {
      if (opts.workOrderId !== undefined) await this.checkWorkOrder(tx, user, opts.workOrderId, kind);
      const { movements, alerts } = await this.applyChanges(tx, user, kind, store, changes, opts);
      return { movements, liveId: await this.publishLowStock(tx, user, kind, store, alerts) };
    });
    if (liveId !== undefined) this.bus.emit('live.appended', { lastId: liveId });
    return movements;
  }

  /**
   * Issues the parts used on a work order being resolved, in the caller's transaction
   * (the work order is locked by it). Parts in the catalogue come out of `store`, or by
   * default the building's own store (a store named like the building, if it holds any
   * stock) or else the central one; parts not in the catalogue are returned as unlisted.
   * Any catalogued part short of stock refuses the whole resolution, naming every
   * shortage; nothing is issued. The caller publishes `alerts` with publishLowStock,
   * last in its transaction.
   */
  async issueForResolution(tx: Queryable, user: SessionUser, wo: { id: number; building_id: string | null }, used: PartChange[], store?: string): Promise<ResolutionIssue> {
    const from = store ?? (await this.defaultStore(tx, wo.building_id));
    const known = new Set((await tx.query<{ code: string }>('SELECT code FROM parts WHERE code = ANY($1::text[])', [used.map((p) => p.partCode)])).rows.map((r) => r.code));
    const listed = used.filter((p) => known.has(p.partCode));
    const unlisted = used.filter((p) => !known.has(p.partCode));

    // Every shortage at once (the same code on several lines counts together), each on the line it first appears.
    const wanted = new Map<string, { index: number; qty: number }>();
    used.forEach((p, index) => {
      if (known.has(p.partCode)) wanted.set(p.partCode, { index: wanted.get(p.partCode)?.index ?? index, qty: (wanted.get(p.partCode)?.qty ?? 0) + p.qty });
    });
    const onHand = new Map(
      (await tx.query<{ code: string; qty: number; unit: string }>(
        'SELECT p.code, coalesce(s.qty, 0) AS qty, p.unit FROM parts p LEFT JOIN part_stock s ON s.part_id = p.id AND s.store = $2 WHERE p.code = ANY($1::text[])',
        [[...wanted.keys()], from],
      )).rows.map((r) => [r.code, r]),
    );
    const shortages = [...wanted].filter(([code, w]) => onHand.get(code)!.qty < w.qty);
    if (shortages.length) {
      const issues = shortages.map(([code, w]) => {
        const { qty: available, unit } = onHand.get(code)!;
        return { field: `body.partsUsed.${w.index}.qty`, message: `store ${from} holds ${available} ${unit} of ${code}; ${w.qty} requested`, partCode: code, available, requested: w.qty };
      });
      throw new WardenError('WARDEN_ERR_INSUFFICIENT_STOCK', issues.map((i) => i.message).join('; '), { store: from, issues });
    }
    const changes = [...listed].sort((a, b) => a.partCode.localeCompare(b.partCode)).map((p) => ({ partCode: p.partCode, qty: -p.qty }));
    const { movements, alerts } = await this.applyChanges(tx, user, 'issue', from, changes, { workOrderId: wo.id, note: 'used on the resolution' });
    return { store: from, movements, unlisted, alerts };
  }

  /** Appends the live low-stock alerts of a change; call it last in the transaction (it takes the live-feed lock). */
  async publishLowStock(tx: Queryable, user: SessionUser, kind: MovementKind, store: string, alerts: LowStockAlert[]): Promise<number | undefined> {
    let liveId: number | undefined;
    for (const a of alerts) {
      liveId = await appendLiveEvent(tx, {
        type: 'parts.lowStock',
        buildingId: null,
        audience: lowStockAudience,
        data: { partId: a.part.id, partCode: a.part.code, name: a.part.name, unit: a.part.unit, store, qty: a.qty, reorderLevel: a.part.reorder_level, movement: kind, by: user.username },
      });
    }
    return liveId;
  }

  /** A building's store is the store named like it, once it holds stock; otherwise the central store. */
  private async defaultStore(tx: Queryable, buildingId: string | null): Promise<string> {
    if (buildingId === null) return MAIN_STORE;
    const own = await tx.query('SELECT 1 FROM part_stock WHERE store = $1 LIMIT 1', [buildingId]);
    return own.rowCount ? buildingId : MAIN_STORE;
  }

  /** The stock changes and their movement rows and audit, in the caller's transaction; returns the low-stock alerts to publish. */
  private async applyChanges(tx: Queryable, user: SessionUser, kind: MovementKind, store: string, changes: PartChange[], opts: { workOrderId?: number; note: string | null; ip?: string }): Promise<{ movements: MovementRow[]; alerts: LowStockAlert[] }> {
    const movements: MovementRow[] = [];
    const alerts: LowStockAlert[] = [];
    for (const change of changes) {
      const part = (await tx.query<AlertPart>('SELECT id::int AS id, code, name, unit, reorder_level FROM parts WHERE code = $1', [change.partCode])).rows[0];
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
    for (const a of alerts) {
      await recordAudit(tx, { actor: 'system', action: 'part.lowStock', targetType: 'part', targetId: a.part.id, details: { code: a.part.code, store, qty: a.qty, reorderLevel: a.part.reorder_level } });
    }
    return { movements, alerts };
  }

  /** The work order exists, is in one of the user's buildings (as the work-order module shows it: 404 otherwise) and takes parts. */
  private async checkWorkOrder(tx: Queryable, user: SessionUser, workOrderId: number, kind: MovementKind): Promise<void> {
    const wo = (await tx.query<{ number: string; status: string; building_id: string | null }>('SELECT number, status, building_id FROM work_orders WHERE id = $1 FOR SHARE', [workOrderId])).rows[0];
    if (!wo || !canSeeBuilding(user, wo.building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no work order ${workOrderId}`);
    if (kind === 'issue' && (wo.status === 'closed' || wo.status === 'cancelled')) {
      throw new WardenError('WARDEN_ERR_CONFLICT', `work order ${wo.number} is ${wo.status}: no parts can be issued to it`);
    }
  }
}
