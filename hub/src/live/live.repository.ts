import type { Role } from '../auth/roles.js';
import type { Queryable } from '../db/database.js';

/** Type given to the one row that stands for every pruned event (see pruneLiveEvents). */
export const PRUNED_MARKER_TYPE = 'live.pruned';

export interface LiveEventRow {
  id: number;
  type: string;
  building_id: string | null;
  audience: Role[];
  /** People it is addressed to besides the audience, or null. */
  user_ids: number[] | null;
  /** The event's data as JSON text, spliced into the frame without a parse/stringify round trip. */
  data: string;
}

/** Events after `afterId`, oldest first, at most `limit`. */
export async function readLiveEventsAfter(db: Queryable, afterId: number, limit: number): Promise<LiveEventRow[]> {
  const { rows } = await db.query<LiveEventRow>(
    `SELECT id, type, building_id, audience, user_ids::int[] AS user_ids, data::text AS data
       FROM live_events
      WHERE id > $1
      ORDER BY id
      LIMIT $2`,
    [afterId, limit],
  );
  return rows;
}

export async function readLastLiveEventId(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ last: number | null }>('SELECT max(id) AS last FROM live_events');
  return rows[0].last ?? 0;
}

export interface LiveLogBounds {
  /** Every event with an id up to this one was pruned; null while nothing ever was. */
  prunedThrough: number | null;
  /** The newest id in the log; 0 when it is empty. */
  lastId: number;
}

/**
 * What a resuming client's `since` is checked against. The oldest row is the pruned
 * marker once anything was pruned, because pruning deletes every row below it.
 */
export async function readLiveLogBounds(db: Queryable): Promise<LiveLogBounds> {
  const { rows } = await db.query<{ first_id: number | null; first_type: string | null; last: number | null }>(
    `SELECT first.id AS first_id, first.type AS first_type, (SELECT max(id) FROM live_events) AS last
       FROM (SELECT 1) one
       LEFT JOIN LATERAL (SELECT id, type FROM live_events ORDER BY id LIMIT 1) first ON true`,
  );
  const row = rows[0];
  return { prunedThrough: row.first_type === PRUNED_MARKER_TYPE ? row.first_id : null, lastId: row.last ?? 0 };
}

/**
 * Deletes events older than `before`. Ids are not dense (a rolled-back append burns
 * one), so "the oldest id left" cannot tell a resuming client whether it missed
 * something; instead the newest pruned row is kept as an empty marker, visible to no
 * one, and a `since` below it is known to be too old. One statement (one
 * transaction), so the log is never seen without its marker; harmless if several
 * hubs prune at once.
 */
export async function pruneLiveEvents(db: Queryable, before: Date): Promise<number> {
  const { rows } = await db.query<{ deleted: number }>(
    `WITH cut AS (
       SELECT max(id) AS id FROM live_events WHERE at < $1
     ), deleted AS (
       DELETE FROM live_events WHERE id < (SELECT id FROM cut) RETURNING id
     ), marked AS (
       UPDATE live_events
          SET type = $2, building_id = NULL, audience = '{}', data = '{}'::jsonb
        WHERE id = (SELECT id FROM cut) AND type <> $2
        RETURNING id
     )
     SELECT ((SELECT count(*) FROM deleted) + (SELECT count(*) FROM marked))::int AS deleted`,
    [before, PRUNED_MARKER_TYPE],
  );
  return rows[0].deleted;
}
