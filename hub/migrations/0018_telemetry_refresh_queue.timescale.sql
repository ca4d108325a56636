-- TimescaleDB: replayed telemetry older than the continuous aggregates' refresh windows
-- (1 hour for telemetry_1m, 1 day for telemetry_1h, see 0002) is never picked up by their
-- policies. The ingest writer queues the ranges of replayed batches here, as on the plain
-- path (0004), and the hub refreshes the aggregates over them with
-- refresh_continuous_aggregate (hub/src/telemetry/rollup.service.ts).
CREATE TABLE IF NOT EXISTS telemetry_rollup_dirty (
  id         bigserial PRIMARY KEY,
  from_ts    timestamptz NOT NULL,
  to_ts      timestamptz NOT NULL,  -- inclusive: the newest point of the batch
  series_ids integer[],
  historical boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (from_ts <= to_ts)
);
