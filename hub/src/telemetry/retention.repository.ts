import type { Queryable } from '../db/database.js';

// ------------------------------------------------------------ plain PostgreSQL

/** Creates the day partitions (UTC days, e.g. '2026-11-27') that do not exist yet. */
export async function ensureDayPartitions(q: Queryable, days: string[]): Promise<void> {
  await q.query('SELECT warden_ensure_telemetry_partition(d::date) FROM unnest($1::text[]) AS d', [days]);
}

/** Drops the day partitions that end on or before `cutoffDay`; returns their names. */
export async function dropDayPartitions(q: Queryable, cutoffDay: string): Promise<string[]> {
  const { rows } = await q.query<{ name: string }>('SELECT warden_drop_telemetry_partitions($1::date) AS name', [cutoffDay]);
  return rows.map((r) => r.name);
}

/** Readings that landed in the default partition (no day partition at the time) and are now too old. */
export async function deleteOldDefaultRows(q: Queryable, before: Date): Promise<number> {
  const { rowCount } = await q.query('DELETE FROM telemetry_default WHERE ts < $1', [before]);
  return rowCount ?? 0;
}

export async function deleteOldRollups(q: Queryable, before: Date): Promise<number> {
  const minutes = await q.query('DELETE FROM telemetry_1m WHERE bucket < $1', [before]);
  const hours = await q.query('DELETE FROM telemetry_1h WHERE bucket < $1', [before]);
  return (minutes.rowCount ?? 0) + (hours.rowCount ?? 0);
}

// ------------------------------------------------------------------- TimescaleDB

export type TimescaleRelation = 'telemetry' | 'telemetry_1m' | 'telemetry_1h';

/**
 * Makes the TimescaleDB retention policy of a hypertable or continuous aggregate
 * drop data older than `days`, replacing a policy with another interval. See
 * https://docs.timescale.com/api/latest/data-retention/add_retention_policy/ and
 * timescaledb_information.jobs (a continuous aggregate's jobs are listed under
 * its materialization hypertable).
 */
export async function applyTimescaleRetention(q: Queryable, relation: TimescaleRelation, days: number): Promise<'unchanged' | 'added' | 'replaced'> {
  const { rows } = await q.query<{ same: boolean }>(
    `SELECT (j.config ->> 'drop_after')::interval = make_interval(days => $2::int) AS same
       FROM timescaledb_information.jobs j
       LEFT JOIN timescaledb_information.continuous_aggregates c
              ON c.materialization_hypertable_schema = j.hypertable_schema
             AND c.materialization_hypertable_name = j.hypertable_name
      WHERE j.proc_name = 'policy_retention' AND coalesce(c.view_name, j.hypertable_name) = $1`,
    [relation, days],
  );
  if (rows.length && rows.every((r) => r.same)) return 'unchanged';
  if (rows.length) await q.query('SELECT remove_retention_policy($1::regclass, if_exists => true)', [relation]);
  await q.query('SELECT add_retention_policy($1::regclass, drop_after => make_interval(days => $2::int), if_not_exists => true)', [relation, days]);
  return rows.length ? 'replaced' : 'added';
}
