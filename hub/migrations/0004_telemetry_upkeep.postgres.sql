-- Upkeep of telemetry on plain PostgreSQL/PGlite (TimescaleDB does this with
-- continuous aggregates and retention policies instead).

-- Time ranges whose rollups must be recomputed. The ingest writer records one row
-- per stored batch (live and replayed points separately) before the batch is
-- acknowledged, so a hub that dies never loses one: another hub's rollup job
-- claims the rows inside its transaction and they come back if it fails.
CREATE TABLE telemetry_rollup_dirty (
  id         bigserial PRIMARY KEY,
  from_ts    timestamptz NOT NULL,
  to_ts      timestamptz NOT NULL,  -- inclusive: the newest point of the batch
  -- The series that received points; NULL means every series (a very wide batch).
  series_ids integer[],
  historical boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (from_ts <= to_ts)
);

-- One row: up to when the rollups reflect every batch stored before the last
-- job run. History queries read raw telemetry after it, so charts reach "now".
CREATE TABLE telemetry_rollup_state (
  id          boolean PRIMARY KEY DEFAULT true CHECK (id),
  watermark   timestamptz,
  last_run_at timestamptz
);
INSERT INTO telemetry_rollup_state (id) VALUES (true);

-- Drops the day partitions that end on or before `cutoff` and returns their names.
-- Names come from the catalogue, never from input; %I quotes them anyway.
CREATE FUNCTION warden_drop_telemetry_partitions(cutoff date) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  part text;
BEGIN
  FOR part IN
    SELECT c.relname
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'telemetry'::regclass
       AND c.relname ~ '^telemetry_[0-9]{8}$'
       AND to_date(substr(c.relname, 11), 'YYYYMMDD') + 1 <= cutoff
     ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE %I', part);
    RETURN NEXT part;
  END LOOP;
END $$;
