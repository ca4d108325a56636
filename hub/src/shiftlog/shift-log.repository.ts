import type { Queryable } from '../db/database.js';

export const shiftLogKinds = ['note', 'handover', 'patrol'] as const;
export type ShiftLogKind = (typeof shiftLogKinds)[number];

/** One entry as clients get it. */
export interface ShiftLogEntry {
  id: number;
  at: string;
  authorId: number | null;
  authorName: string;
  buildingId: string | null;
  kind: ShiftLogKind;
  text: string;
  alarmIds: number[];
}

interface ShiftLogRow {
  id: string;
  at: Date;
  author_id: string | null;
  author_name: string;
  building_id: string | null;
  kind: ShiftLogKind;
  text: string;
  alarm_ids: (string | number)[];
}

const toEntry = (r: ShiftLogRow): ShiftLogEntry => ({
  id: Number(r.id),
  at: r.at.toISOString(),
  authorId: r.author_id === null ? null : Number(r.author_id),
  authorName: r.author_name,
  buildingId: r.building_id,
  kind: r.kind,
  text: r.text,
  alarmIds: r.alarm_ids.map(Number),
});

export interface NewShiftLogEntry {
  authorId: number;
  authorName: string;
  buildingId: string | null;
  kind: ShiftLogKind;
  text: string;
  alarmIds: number[];
}

export async function insertEntry(tx: Queryable, entry: NewShiftLogEntry): Promise<ShiftLogEntry> {
  const { rows } = await tx.query<ShiftLogRow>(
    `INSERT INTO shift_log (author_id, author_name, building_id, kind, text, alarm_ids)
     VALUES ($1, $2, $3, $4, $5, $6::bigint[])
     RETURNING *`,
    [entry.authorId, entry.authorName, entry.buildingId, entry.kind, entry.text, entry.alarmIds],
  );
  return toEntry(rows[0]);
}

export interface ShiftLogFilter {
  /** Buildings the reader is limited to; empty: the whole estate (and estate-wide entries). */
  buildings: string[];
  building?: string;
  since?: Date;
  limit: number;
}

/** Newest first. A reader limited to some buildings sees only their entries, not estate-wide ones. */
export async function listEntries(db: Queryable, f: ShiftLogFilter): Promise<ShiftLogEntry[]> {
  const { rows } = await db.query<ShiftLogRow>(
    `SELECT * FROM shift_log
      WHERE (cardinality($1::text[]) = 0 OR building_id = ANY($1))
        AND ($2::text IS NULL OR building_id = $2)
        AND ($3::timestamptz IS NULL OR at >= $3)
      ORDER BY at DESC, id DESC
      LIMIT $4`,
    [f.buildings, f.building ?? null, f.since ?? null, f.limit],
  );
  return rows.map(toEntry);
}

export async function buildingExists(db: Queryable, id: string): Promise<boolean> {
  return Boolean((await db.query('SELECT 1 FROM buildings WHERE id = $1', [id])).rowCount);
}

/** The buildings of the given alarms (null: estate-wide); alarms that do not exist are left out. */
export async function alarmBuildings(db: Queryable, ids: number[]): Promise<Map<number, string | null>> {
  if (!ids.length) return new Map();
  const { rows } = await db.query<{ id: string; building_id: string | null }>('SELECT id, building_id FROM alarms WHERE id = ANY($1::bigint[])', [ids]);
  return new Map(rows.map((r) => [Number(r.id), r.building_id]));
}
