import type { Queryable } from '../db/database.js';
import type { Role } from '../auth/roles.js';

/** Key of the transaction-level advisory lock every live-event writer takes (any constant; "WLIV"). */
export const LIVE_EVENT_LOCK = 0x574c4956;
/** PostgreSQL NOTIFY channel that tells every hub new live events were committed. */
export const LIVE_CHANNEL = 'warden_live';

export interface LiveEventInput {
  /** e.g. alarm.raised, alarm.changed, workorder.changed */
  type: string;
  /** The building it concerns; null for estate-wide events. Users limited to other buildings do not see it. */
  buildingId: string | null;
  /** Roles allowed to see it. */
  audience: readonly Role[];
  /** People it is addressed to besides the audience (e.g. the owner of a request): they see it whatever their role. */
  userIds?: readonly number[];
  data: unknown;
}

/**
 * Appends an event to the live log inside the caller's transaction. The advisory
 * lock (held until commit) serialises writers across hubs, so ids become visible in
 * increasing order and a reader resuming after id N never skips one committed later.
 * Call it last in the transaction, to hold the lock briefly; the NOTIFY is delivered
 * on commit. After commit, wake the local LiveHub so this hub's clients get it at once.
 */
export async function appendLiveEvent(tx: Queryable, event: LiveEventInput): Promise<number> {
  // One round trip: the INSERT reads its row from the lock's CTE, so the id is drawn after the lock is held.
  const { rows } = await tx.query<{ id: string }>(
    `WITH locked AS (SELECT pg_advisory_xact_lock($1)),
          inserted AS (INSERT INTO live_events (type, building_id, audience, data, user_ids) SELECT $2, $3, $4, $5, $7 FROM locked RETURNING id)
     SELECT id, pg_notify($6, id::text) FROM inserted`,
    [LIVE_EVENT_LOCK, event.type, event.buildingId, event.audience, JSON.stringify(event.data), LIVE_CHANNEL, event.userIds?.length ? event.userIds : null],
  );
  return Number(rows[0].id);
}
