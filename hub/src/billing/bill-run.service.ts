import type { Logger } from 'pino';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import { inTransaction, type Database, type Queryable } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/live-feed.js';
import { apportion, fenOf, type Fen } from './money.js';
import { formatDecimal, parseDecimal } from './meter-readings.js';
import { PERIOD_BOUNDS_SQL } from './meters.service.js';
import { monthOf, periodStart, type Period } from './period.js';

/** Advisory lock class of bill runs ("WBIL"); the second key is the period as YYYYMM. */
export const BILL_RUN_LOCK = 0x5742494c;
/** Units billed per transaction: big enough for set-based SQL to pay off, small enough to keep locks and memory modest. */
export const BILL_RUN_CHUNK = 5000;
const PREVIEW_BILLS = 200;
/** Connections a run bills chunks on at once (PostgreSQL; PGlite has one). Each chunk is mostly CPU in the server. */
const RUN_CONNECTIONS = 2;
const staffAudience = ['admin', 'manager', 'clerk'] as const;

export interface RunInput {
  period: Period;
  buildingId?: string;
  /** The bills' issue date; default today where each unit is. */
  issuedOn?: string;
}

export interface DraftLine {
  feeItemId: number;
  description: string;
  quantity: string;
  unitPriceFen: string;
  amountFen: Fen;
  meterReadingId: number | null;
}

export interface BillDraft {
  unitId: number;
  unitNumber: string;
  buildingId: string;
  ownerId: number | null;
  issuedOn: string;
  dueOn: string;
  totalFen: Fen;
  lines: DraftLine[];
}

export interface BlockedUnit {
  unitId: number;
  reason: string;
}

export interface Preview {
  period: Period;
  /** Units in scope. */
  units: number;
  /** Bills the run would make (all of them; `bills` lists the first 200). */
  billCount: number;
  bills: BillDraft[];
  totalFen: Fen;
  blocked: BlockedUnit[];
  /** Units of the scope billed for the period already. */
  existing: number;
  /** Units with nothing to charge (no bill is made for 0). */
  unitsSkipped: number;
}

export interface BillRun {
  id: number;
  period: Period;
  buildingId: string | null;
  status: 'running' | 'done' | 'failed';
  hubId: string | null;
  startedBy: string;
  billsCreated: number;
  billsExisting: number;
  unitsSkipped: number;
  totalFen: Fen;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  blocked?: BlockedUnit[];
}

/** The shared-area share lines of a chunk, as arrays for unnest(). */
interface SharedLines {
  unitId: number[];
  feeItemId: number[];
  description: string[];
  quantity: string[];
  unitPrice: string[];
  readingId: number[];
  amount: number[];
}

interface Scope {
  period: Period;
  buildingId: string | null;
  buildings: string[] | null;
}

const RUN_SELECT = `SELECT id::int AS id, period, building_id AS "buildingId", status, hub_id AS "hubId", started_by AS "startedBy",
  bills_created AS "billsCreated", bills_existing AS "billsExisting", units_skipped AS "unitsSkipped", total_fen::bigint AS "totalFen",
  started_at AS "startedAt", finished_at AS "finishedAt", error FROM bill_runs`;
type RunRow = Omit<BillRun, 'startedAt' | 'finishedAt' | 'totalFen'> & { startedAt: Date; finishedAt: Date | null; totalFen: string | number };
const toRun = (r: RunRow): BillRun => ({ ...r, totalFen: fenOf(r.totalFen), startedAt: r.startedAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null });

/**
 * The chunk's bill lines, into a temporary table: area items (rate × m² × months of the
 * cycle), fixed items (rate × quantity × months), the unit's own meters (rate × the
 * period's resolved consumption), its shared-area shares (worked out beforehand, $5…$11)
 * and one-off charges. Each amount is rounded half-up to the fen here, once; lines of 0
 * are left out. Rates: the most specific, then the latest from before the period's first
 * day (0013_billing.sql). $1 period, $2 unit ids, $3 first day, $4 month number.
 */
const DRAFT_LINES_SQL = `
INSERT INTO bill_draft_lines (unit_id, sort, fee_item_id, description, quantity, unit_price_fen, amount_fen, meter_reading_id, due_days)
WITH u AS (SELECT id, building_id, layout, area_m2 FROM units WHERE id = ANY ($2::bigint[])),
items AS (SELECT id, name, basis, meter_kind, cycle_months, due_days FROM fee_items WHERE active),
combos AS (SELECT DISTINCT building_id, layout FROM u),
rates AS (
  SELECT c.building_id, c.layout, i.id AS fee_item_id, r.rate_fen
    FROM combos c CROSS JOIN items i
    JOIN LATERAL (
      SELECT fr.rate_fen FROM fee_rates fr
       WHERE fr.fee_item_id = i.id AND fr.effective_from <= $3::date
         AND (fr.building_id IS NULL OR fr.building_id = c.building_id)
         AND (fr.unit_layout IS NULL OR fr.unit_layout = c.layout)
       ORDER BY fr.building_id IS NULL, fr.unit_layout IS NULL, fr.effective_from DESC
       LIMIT 1) r ON true),
lines AS (
  SELECT u.id AS unit_id, 1 AS sort, i.id AS fee_item_id, i.name AS description, u.area_m2 * i.cycle_months AS quantity,
         r.rate_fen AS unit_price_fen, NULL::bigint AS amount_fen, NULL::bigint AS meter_reading_id, i.due_days
    FROM u JOIN items i ON i.basis = 'area' AND $4::int % i.cycle_months = 0
    JOIN rates r ON r.fee_item_id = i.id AND r.building_id = u.building_id AND r.layout IS NOT DISTINCT FROM u.layout
   WHERE u.area_m2 IS NOT NULL
  UNION ALL
  SELECT u.id, 2, i.id, coalesce(c.description, i.name), c.quantity * i.cycle_months, r.rate_fen, NULL, NULL, i.due_days
    FROM u JOIN unit_charges c ON c.unit_id = u.id AND c.from_period <= $1 AND (c.to_period IS NULL OR c.to_period >= $1)
    JOIN items i ON i.id = c.fee_item_id AND i.basis = 'fixed' AND $4::int % i.cycle_months = 0
    JOIN rates r ON r.fee_item_id = i.id AND r.building_id = u.building_id AND r.layout IS NOT DISTINCT FROM u.layout
  UNION ALL
  SELECT u.id, 3, i.id, i.name, mr.consumption, r.rate_fen, NULL, mr.id, i.due_days
    FROM u JOIN meters m ON m.unit_id = u.id
    JOIN meter_readings mr ON mr.meter_id = m.id AND mr.period = $1 AND mr.status IN ('ok', 'confirmed', 'corrected')
    JOIN items i ON i.basis = 'meter' AND i.meter_kind = m.kind
    JOIN rates r ON r.fee_item_id = i.id AND r.building_id = u.building_id AND r.layout IS NOT DISTINCT FROM u.layout
  UNION ALL
  SELECT s.unit_id, 4, s.fee_item_id, s.description, s.quantity, s.unit_price, s.amount, s.reading_id, i.due_days
    FROM unnest($5::bigint[], $6::bigint[], $7::text[], $8::numeric[], $9::numeric[], $10::bigint[], $11::bigint[])
         AS s (unit_id, fee_item_id, description, quantity, unit_price, reading_id, amount)
    JOIN items i ON i.id = s.fee_item_id
  UNION ALL
  SELECT u.id, 5, i.id, coalesce(c.description, i.name), 1, c.amount_fen, c.amount_fen, NULL, i.due_days
    FROM u JOIN unit_charges c ON c.unit_id = u.id AND c.from_period = $1
    JOIN items i ON i.id = c.fee_item_id AND i.basis = 'oneoff'
   WHERE c.amount_fen IS NOT NULL)
SELECT unit_id, sort, fee_item_id, description, quantity, unit_price_fen, amount, meter_reading_id, due_days
  FROM (SELECT l.*, coalesce(l.amount_fen, round(l.quantity * l.unit_price_fen)::bigint) AS amount FROM lines l) x
 WHERE amount > 0`;

/**
 * One bill per unit from the draft lines: numbered, addressed to the unit's current owner,
 * due after the shortest due_days of its items. ON CONFLICT DO NOTHING on (unit, period) is
 * what guarantees a single bill whatever runs at once; lines and 'charge' entries are made
 * only for the bills this statement inserted. Credit on the account (entries without a
 * bill summing below 0) is applied as the schema's pair of 'credit_applied' entries.
 * $1 period, $2 run id, $3 issued on (null: today where the unit is), $4 actor,
 * $5 units whose account this transaction locked (credit is applied only to those).
 */
const INSERT_BILLS_SQL = `
WITH totals AS (
  SELECT unit_id, sum(amount_fen)::bigint AS total_fen, min(due_days) AS due_days FROM bill_draft_lines GROUP BY unit_id),
heads AS (
  SELECT t.unit_id, t.total_fen, u.building_id, o.owner_id,
         coalesce($3::date, (now() AT TIME ZONE s.timezone)::date) AS issued_on, t.due_days
    FROM totals t JOIN units u ON u.id = t.unit_id JOIN buildings b ON b.id = u.building_id JOIN sites s ON s.id = b.site_id
    LEFT JOIN LATERAL (
      SELECT cuo.owner_id FROM current_unit_owners cuo WHERE cuo.unit_id = t.unit_id AND cuo.role = 'owner'
       ORDER BY cuo.from_date, cuo.id LIMIT 1) o ON true),
numbered AS (SELECT h.*, nextval('bill_number_seq') AS n FROM (SELECT * FROM heads ORDER BY unit_id) h),
new_bills AS (
  INSERT INTO bills (number, unit_id, owner_id, building_id, period, bill_run_id, issued_on, due_on, total_fen)
  SELECT 'B' || replace($1, '-', '') || '-' || lpad(n::text, greatest(6, length(n::text)), '0'),
         unit_id, owner_id, building_id, $1, $2, issued_on, issued_on + due_days, total_fen
    FROM numbered
  ON CONFLICT (unit_id, period) DO NOTHING
  RETURNING id, unit_id, owner_id, total_fen),
new_lines AS (
  INSERT INTO bill_lines (bill_id, line_no, fee_item_id, description, quantity, unit_price_fen, amount_fen, meter_reading_id)
  SELECT nb.id, row_number() OVER (PARTITION BY l.unit_id ORDER BY l.sort, l.fee_item_id, l.meter_reading_id NULLS FIRST, l.description),
         l.fee_item_id, l.description, l.quantity, l.unit_price_fen, l.amount_fen, l.meter_reading_id
    FROM bill_draft_lines l JOIN new_bills nb ON nb.unit_id = l.unit_id
  RETURNING id, bill_id, amount_fen),
charges AS (
  INSERT INTO ledger_entries (unit_id, owner_id, bill_id, bill_line_id, kind, amount_fen, entered_by, memo)
  SELECT nb.unit_id, nb.owner_id, nl.bill_id, nl.id, 'charge', nl.amount_fen, $4, 'bill run ' || $2
    FROM new_lines nl JOIN new_bills nb ON nb.id = nl.bill_id
  RETURNING id),
credits AS (
  SELECT nb.id AS bill_id, nb.unit_id, nb.owner_id, least(-c.balance, nb.total_fen) AS x
    FROM new_bills nb
    JOIN LATERAL (SELECT sum(e.amount_fen) AS balance FROM ledger_entries e WHERE e.unit_id = nb.unit_id AND e.bill_id IS NULL) c ON c.balance < 0
   WHERE nb.unit_id = ANY ($5::bigint[])),
applied AS (
  INSERT INTO ledger_entries (unit_id, owner_id, bill_id, kind, amount_fen, entered_by, memo)
  SELECT unit_id, owner_id, NULL::bigint, 'credit_applied', x, $4, 'credit applied to bill ' || bill_id FROM credits
  UNION ALL
  SELECT unit_id, owner_id, bill_id, 'credit_applied', -x, $4, 'credit from the account' FROM credits
  RETURNING id)
SELECT (SELECT count(*) FROM heads)::int AS made,
       (SELECT count(*) FROM new_bills)::int AS created,
       (SELECT coalesce(sum(total_fen), 0) FROM new_bills)::bigint AS total_fen,
       (SELECT count(*) FROM charges)::int AS charges,
       (SELECT count(*) FROM applied)::int AS applied`;

/**
 * Bill runs: per period (and optionally one building), one bill per unit with its lines,
 * 'charge' ledger entries and any credit applied; a preview computes the same drafts and
 * rolls back. Set-based: each chunk of units is a handful of statements, whatever its size.
 *
 * Two runs of a period at once (two clerks, two hubs): the first takes a session advisory
 * lock on the period and the second waits for it, then finds the bills made; the unique
 * (unit, period) key is the guarantee, the lock only spares the wasted work.
 */
export class BillRunService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly hubId: string,
  ) {}

  private scopeOf(user: SessionUser, input: { period: Period; buildingId?: string }): Scope {
    if (input.buildingId !== undefined && !canSeeBuilding(user, input.buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `not your building: ${input.buildingId}`);
    return { period: input.period, buildingId: input.buildingId ?? null, buildings: user.buildings.length ? user.buildings : null };
  }

  async list(user: SessionUser, filter: { period?: Period }): Promise<BillRun[]> {
    const { rows } = await this.db.query<RunRow>(
      `${RUN_SELECT} WHERE ($1::text IS NULL OR period = $1) AND ($2::text[] IS NULL OR building_id = ANY ($2) OR building_id IS NULL) ORDER BY started_at DESC, id DESC LIMIT 200`,
      [filter.period ?? null, user.buildings.length ? user.buildings : null],
    );
    return rows.map(toRun);
  }

  /** What a run would make now, computed exactly as the run does, then rolled back. */
  async preview(user: SessionUser, input: RunInput): Promise<Preview> {
    const scope = this.scopeOf(user, input);
    return this.db.withClient(async (c) => {
      const { pending, existing, total: units } = await this.unitsToBill(c, scope);
      const blocked = await this.blockedUnits(c, scope, pending);
      const blockedIds = new Set(blocked.map((b) => b.unitId));
      const billable = pending.filter((id) => !blockedIds.has(id));
      const shared = await this.sharedShares(c, scope);
      const drafts: BillDraft[] = [];
      let billCount = 0;
      let totalFen = 0;
      for (let i = 0; i < billable.length; i += BILL_RUN_CHUNK) {
        const chunk = billable.slice(i, i + BILL_RUN_CHUNK);
        await c.query('BEGIN');
        try {
          await this.draftLines(c, scope, chunk, shared);
          const summary = (await c.query<{ bills: number; total: string }>(
            `SELECT count(DISTINCT unit_id)::int AS bills, coalesce(sum(amount_fen), 0)::text AS total FROM bill_draft_lines`,
          )).rows[0];
          billCount += summary.bills;
          totalFen += fenOf(summary.total);
          if (drafts.length < PREVIEW_BILLS) drafts.push(...(await this.readDrafts(c, input.issuedOn ?? null, PREVIEW_BILLS - drafts.length)));
        } finally {
          await c.query('ROLLBACK');
        }
      }
      return { period: scope.period, units, billCount, bills: drafts, totalFen, blocked, existing, unitsSkipped: billable.length - billCount };
    });
  }

  /** Makes the period's bills (the whole scope, chunk by chunk) and records the run. */
  async run(user: SessionUser, input: RunInput): Promise<BillRun> {
    const scope = this.scopeOf(user, input);
    const yyyymm = Number(scope.period.replace('-', ''));
    const { run, liveId } = await this.db.withClient(async (c) => {
      const runId = (await c.query<{ id: number }>(
        `INSERT INTO bill_runs (period, building_id, status, hub_id, started_by) VALUES ($1, $2, 'running', $3, $4) RETURNING id::int AS id`,
        [scope.period, scope.buildingId, this.hubId, user.username],
      )).rows[0].id;
      await c.query('SELECT pg_advisory_lock($1, $2)', [BILL_RUN_LOCK, yyyymm]);
      try {
        const t = performance.now();
        const { pending, existing } = await this.unitsToBill(c, scope);
        const blocked = await this.blockedUnits(c, scope, pending);
        const blockedIds = new Set(blocked.map((b) => b.unitId));
        const billable = pending.filter((id) => !blockedIds.has(id));
        const shared = await this.sharedShares(c, scope);
        this.logger.debug({ runId, units: pending.length, blocked: blocked.length, ms: Math.round(performance.now() - t) }, 'bill run scope, blocked units and shared-area shares worked out');
        let created = 0;
        let raced = 0;
        let totalFen = 0;
        const chunks: number[][] = [];
        for (let i = 0; i < billable.length; i += BILL_RUN_CHUNK) chunks.push(billable.slice(i, i + BILL_RUN_CHUNK));
        const bill = async (client: Queryable) => {
          for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
            const made = await this.billChunk(client, scope, runId, chunk, shared, input.issuedOn ?? null, user.username).catch((err: unknown) => {
              chunks.length = 0; // the other connection stops after its current chunk
              throw err;
            });
            created += made.created;
            raced += made.made - made.created;
            totalFen += fenOf(made.total_fen);
          }
        };
        // Chunks are disjoint sets of units: on a server, a second connection bills them in
        // parallel (the run's own connection, holding the lock, is the first). PGlite has one.
        const workers = Math.min(chunks.length, this.db.kind === 'postgres' ? RUN_CONNECTIONS : 1);
        const outcomes = await Promise.allSettled(Array.from({ length: workers }, (_, i) => (i === 0 ? bill(c) : this.db.withClient(bill))));
        const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
        if (failure) throw failure.reason;
        const skipped = billable.length - created - raced;
        return await inTransaction(c, async () => {
          const row = (await c.query<RunRow>(
            `UPDATE bill_runs SET status = 'done', finished_at = now(), bills_created = $2, bills_existing = $3, units_skipped = $4, total_fen = $5
              WHERE id = $1 RETURNING id::int AS id, period, building_id AS "buildingId", status, hub_id AS "hubId", started_by AS "startedBy",
                bills_created AS "billsCreated", bills_existing AS "billsExisting", units_skipped AS "unitsSkipped", total_fen::bigint AS "totalFen",
                started_at AS "startedAt", finished_at AS "finishedAt", error`,
            [runId, created, existing + raced, skipped + blocked.length, totalFen],
          )).rows[0];
          const run = { ...toRun(row), blocked };
          await recordAudit(c, {
            userId: user.id, actor: user.username, action: 'billing.run', targetType: 'bill_run', targetId: runId,
            details: { period: scope.period, buildingId: scope.buildingId, billsCreated: created, totalFen, blocked: blocked.length },
          });
          const liveId = await appendLiveEvent(c, {
            type: 'billing.run',
            buildingId: scope.buildingId,
            audience: staffAudience,
            data: { runId, period: scope.period, buildingId: scope.buildingId, billsCreated: created, billsExisting: run.billsExisting, unitsSkipped: run.unitsSkipped, totalFen },
          });
          return { run, liveId };
        });
      } catch (err) {
        this.logger.error({ err, runId, period: scope.period }, 'bill run failed');
        await c.query(`UPDATE bill_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1`, [runId, (err as Error).message]).catch(() => {});
        throw err;
      } finally {
        await c.query('SELECT pg_advisory_unlock($1, $2)', [BILL_RUN_LOCK, yyyymm]).catch(() => {});
      }
    });
    this.bus.emit('live.appended', { lastId: liveId });
    return run;
  }

  /** One chunk in one transaction: its draft lines, then its bills, lines and ledger entries. */
  private async billChunk(c: Queryable, scope: Scope, runId: number, chunk: number[], shared: Map<number, SharedLines>, issuedOn: string | null, actor: string) {
    return inTransaction(c, async () => {
      const t0 = performance.now();
      // JIT compiling these plans costs more than it saves (and the row estimates of the CTEs are rough).
      if (this.db.kind === 'postgres') await c.query('SET LOCAL jit = off');
      await this.draftLines(c, scope, chunk, shared);
      const t1 = performance.now();
      // The accounts whose credit this run may apply, locked the way payments lock them (ledger.service.ts).
      const locked = (await c.query<{ id: number }>(
        `SELECT u.id::int AS id FROM units u
          WHERE u.id IN (SELECT e.unit_id FROM ledger_entries e WHERE e.unit_id = ANY ($1::bigint[]) AND e.bill_id IS NULL GROUP BY e.unit_id HAVING sum(e.amount_fen) < 0)
          ORDER BY u.id FOR NO KEY UPDATE`,
        [chunk],
      )).rows.map((r) => r.id);
      const t2 = performance.now();
      const result = (await c.query<{ made: number; created: number; total_fen: string | number }>(INSERT_BILLS_SQL, [scope.period, runId, issuedOn, actor, locked])).rows[0];
      this.logger.debug({ runId, units: chunk.length, draftMs: Math.round(t1 - t0), lockMs: Math.round(t2 - t1), insertMs: Math.round(performance.now() - t2) }, 'bill run chunk');
      return result;
    });
  }

  /** Units in scope not billed for the period yet, in id order; and how many are billed already. */
  private async unitsToBill(c: Queryable, scope: Scope): Promise<{ pending: number[]; existing: number; total: number }> {
    const { rows } = await c.query<{ id: number; billed: boolean }>(
      `SELECT u.id::int AS id, EXISTS (SELECT 1 FROM bills b WHERE b.unit_id = u.id AND b.period = $1) AS billed
         FROM units u WHERE ($2::text IS NULL OR u.building_id = $2) AND ($3::text[] IS NULL OR u.building_id = ANY ($3)) ORDER BY u.id`,
      [scope.period, scope.buildingId, scope.buildings],
    );
    const pending = rows.filter((r) => !r.billed).map((r) => r.id);
    return { pending, existing: rows.length - pending.length, total: rows.length };
  }

  /**
   * Units whose meter lines cannot be billed yet: a meter of a billed kind, in use at the
   * period's end, with no reading for the period (not checked) or a flagged one; for a
   * building's shared meter, every unit of the building (its share is unknown).
   */
  private async blockedUnits(c: Queryable, scope: Scope, pending: number[]): Promise<BlockedUnit[]> {
    const { rows } = await c.query<{ unit_id: number | null; building_id: string; kind: string; meter_id: number; reading_id: number | null; flags: string[] | null }>(
      `WITH bounds AS (${PERIOD_BOUNDS_SQL}),
            kinds AS (SELECT DISTINCT meter_kind FROM fee_items WHERE active AND basis = 'meter')
       SELECT m.unit_id::int AS unit_id, m.building_id, m.kind, m.id::int AS meter_id, r.id::int AS reading_id, r.flags
         FROM meters m JOIN bounds b ON b.building_id = m.building_id JOIN kinds k ON k.meter_kind = m.kind
         LEFT JOIN meter_readings r ON r.meter_id = m.id AND r.period = $1
        WHERE m.installed_at < b.p_end AND (m.removed_at IS NULL OR m.removed_at >= b.p_end) AND (r.id IS NULL OR r.status = 'flagged')
        ORDER BY m.id`,
      [scope.period, scope.buildingId, scope.buildings],
    );
    const why = (r: (typeof rows)[number]) =>
      r.reading_id === null ? `${r.kind} meter ${r.meter_id}: no reading for the period (run the reading check)` : `${r.kind} meter ${r.meter_id}: reading ${r.reading_id} flagged (${(r.flags ?? []).join(', ')}), confirm or correct it`;
    const reasons = new Map<number, string[]>();
    const add = (unitId: number, reason: string) => reasons.set(unitId, [...(reasons.get(unitId) ?? []), reason]);
    const shared = rows.filter((r) => r.unit_id === null);
    for (const r of rows) if (r.unit_id !== null) add(r.unit_id, why(r));
    if (shared.length) {
      const units = (await c.query<{ id: number; building_id: string }>(
        `SELECT id::int AS id, building_id FROM units WHERE building_id = ANY ($1::text[]) AND ($2::text IS NULL OR building_id = $2)`,
        [[...new Set(shared.map((r) => r.building_id))], scope.buildingId],
      )).rows;
      for (const r of shared) for (const u of units) if (u.building_id === r.building_id) add(u.id, `shared-area ${why(r)}`);
    }
    const unbilled = new Set(pending);
    return [...reasons].filter(([unitId]) => unbilled.has(unitId)).sort(([a], [b]) => a - b).map(([unitId, list]) => ({ unitId, reason: list.join('; ') }));
  }

  /**
   * Shared-area (公摊) shares, per building and meter item: the building's shared meters'
   * resolved consumption of the kind × the building's rate (rounded to the fen once), split
   * over all the building's units with an area in proportion to it by largest remainder,
   * so the shares add up to the cost exactly (README.md, "Shared-area apportionment").
   */
  private async sharedShares(c: Queryable, scope: Scope): Promise<Map<number, SharedLines>> {
    const costs = (await c.query<{ building_id: string; fee_item_id: number; name: string; consumption: string; rate_fen: string; cost_fen: string; reading_id: number }>(
      `WITH bounds AS (${PERIOD_BOUNDS_SQL}),
            usage AS (
              SELECT m.building_id, m.kind, sum(r.consumption) AS consumption, min(r.id) AS reading_id
                FROM meters m JOIN bounds b ON b.building_id = m.building_id
                JOIN meter_readings r ON r.meter_id = m.id AND r.period = $1 AND r.status IN ('ok', 'confirmed', 'corrected')
               WHERE m.unit_id IS NULL
               GROUP BY m.building_id, m.kind HAVING sum(r.consumption) > 0)
       SELECT us.building_id, i.id::int AS fee_item_id, i.name, us.consumption::text AS consumption, rt.rate_fen::text AS rate_fen,
              round(us.consumption * rt.rate_fen)::text AS cost_fen, us.reading_id::int AS reading_id
         FROM usage us JOIN fee_items i ON i.active AND i.basis = 'meter' AND i.meter_kind = us.kind
         JOIN LATERAL (
           SELECT fr.rate_fen FROM fee_rates fr
            WHERE fr.fee_item_id = i.id AND fr.effective_from <= $4::date AND fr.unit_layout IS NULL
              AND (fr.building_id IS NULL OR fr.building_id = us.building_id)
            ORDER BY fr.building_id IS NULL, fr.effective_from DESC LIMIT 1) rt ON true
        ORDER BY us.building_id, i.id`,
      [scope.period, scope.buildingId, scope.buildings, periodStart(scope.period)],
    )).rows;
    const byUnit = new Map<number, SharedLines>();
    if (!costs.length) return byUnit;
    const units = (await c.query<{ id: number; building_id: string; weight: string }>(
      `SELECT id::int AS id, building_id, (area_m2 * 100)::bigint::text AS weight FROM units WHERE building_id = ANY ($1::text[]) AND area_m2 IS NOT NULL ORDER BY id`,
      [[...new Set(costs.map((x) => x.building_id))]],
    )).rows;
    for (const cost of costs) {
      const members = units.filter((u) => u.building_id === cost.building_id);
      const weights = members.map((u) => BigInt(u.weight));
      const totalWeight = weights.reduce((a, w) => a + w, 0n);
      const shares = apportion(fenOf(cost.cost_fen), weights);
      const consumption = parseDecimal(cost.consumption, 3);
      members.forEach((u, i) => {
        if (shares[i] <= 0) return;
        const lines = byUnit.get(u.id) ?? { unitId: [], feeItemId: [], description: [], quantity: [], unitPrice: [], readingId: [], amount: [] };
        lines.unitId.push(u.id);
        lines.feeItemId.push(cost.fee_item_id);
        lines.description.push(`${cost.name} (shared area 公摊)`);
        // The unit's part of the shared consumption, to 3 places (half up), for the reader of the bill.
        lines.quantity.push(formatDecimal((2n * consumption * weights[i] + totalWeight) / (2n * totalWeight), 3));
        lines.unitPrice.push(cost.rate_fen);
        lines.readingId.push(cost.reading_id);
        lines.amount.push(shares[i]);
        byUnit.set(u.id, lines);
      });
    }
    return byUnit;
  }

  private async draftLines(c: Queryable, scope: Scope, chunk: number[], shared: Map<number, SharedLines>): Promise<void> {
    await c.query(`CREATE TEMP TABLE bill_draft_lines (
      unit_id bigint NOT NULL, sort int NOT NULL, fee_item_id bigint NOT NULL, description text NOT NULL, quantity numeric(14, 3) NOT NULL,
      unit_price_fen numeric(14, 4) NOT NULL, amount_fen bigint NOT NULL, meter_reading_id bigint, due_days int NOT NULL) ON COMMIT DROP`);
    const s: SharedLines = { unitId: [], feeItemId: [], description: [], quantity: [], unitPrice: [], readingId: [], amount: [] };
    for (const id of chunk) {
      const lines = shared.get(id);
      if (!lines) continue;
      for (const key of Object.keys(s) as (keyof SharedLines)[]) (s[key] as unknown[]).push(...lines[key]);
    }
    await c.query(DRAFT_LINES_SQL, [scope.period, chunk, periodStart(scope.period), monthOf(scope.period), s.unitId, s.feeItemId, s.description, s.quantity, s.unitPrice, s.readingId, s.amount]);
    // A fresh temporary table has no statistics: without them the planner takes it for a few
    // rows and joins the bills to it by nested loop, quadratic in the chunk (minutes, not seconds).
    await c.query('ANALYZE bill_draft_lines');
  }

  private async readDrafts(c: Queryable, issuedOn: string | null, limit: number): Promise<BillDraft[]> {
    const { rows } = await c.query<{ unit_id: number; unit_number: string; building_id: string; owner_id: number | null; issued_on: string; due_on: string; lines: DraftLine[] }>(
      `WITH heads AS (
         SELECT l.unit_id, min(l.due_days) AS due_days FROM bill_draft_lines l GROUP BY l.unit_id ORDER BY l.unit_id LIMIT $2)
       SELECT h.unit_id::int AS unit_id, u.number AS unit_number, u.building_id, o.owner_id::int AS owner_id,
              to_char(d.issued_on, 'YYYY-MM-DD') AS issued_on, to_char(d.issued_on + h.due_days, 'YYYY-MM-DD') AS due_on,
              (SELECT json_agg(json_build_object('feeItemId', l.fee_item_id, 'description', l.description, 'quantity', l.quantity::text,
                      'unitPriceFen', l.unit_price_fen::text, 'amountFen', l.amount_fen, 'meterReadingId', l.meter_reading_id)
                      ORDER BY l.sort, l.fee_item_id, l.meter_reading_id NULLS FIRST, l.description)
                 FROM bill_draft_lines l WHERE l.unit_id = h.unit_id) AS lines
         FROM heads h JOIN units u ON u.id = h.unit_id JOIN buildings b ON b.id = u.building_id JOIN sites s ON s.id = b.site_id
         CROSS JOIN LATERAL (SELECT coalesce($1::date, (now() AT TIME ZONE s.timezone)::date) AS issued_on) d
         LEFT JOIN LATERAL (SELECT cuo.owner_id FROM current_unit_owners cuo WHERE cuo.unit_id = h.unit_id AND cuo.role = 'owner' ORDER BY cuo.from_date, cuo.id LIMIT 1) o ON true
        ORDER BY h.unit_id`,
      [issuedOn, limit],
    );
    return rows.map((r) => ({
      unitId: r.unit_id,
      unitNumber: r.unit_number,
      buildingId: r.building_id,
      ownerId: r.owner_id,
      issuedOn: r.issued_on,
      dueOn: r.due_on,
      totalFen: r.lines.reduce((sum, l) => sum + fenOf(l.amountFen), 0),
      lines: r.lines.map((l) => ({ ...l, amountFen: fenOf(l.amountFen), meterReadingId: l.meterReadingId === null ? null : Number(l.meterReadingId) })),
    }));
  }
}

