-- Telemetry on plain PostgreSQL/PGlite: range-partitioned by day on ts (the hub
-- creates partitions ahead and drops expired ones), with 1-minute and 1-hour
-- rollups that the hub maintains itself.

CREATE TABLE telemetry (
  series_id  integer NOT NULL,
  ts         timestamptz NOT NULL,
  value      double precision,
  value_text text,
  quality    smallint NOT NULL DEFAULT 0,
  -- The natural key: a redelivered reading can never become a second row.
  PRIMARY KEY (series_id, ts)
) PARTITION BY RANGE (ts);

-- Catches readings outside every day partition so none is refused.
CREATE TABLE telemetry_default PARTITION OF telemetry DEFAULT;

CREATE INDEX telemetry_ts_brin ON telemetry USING brin (ts);

CREATE FUNCTION warden_ensure_telemetry_partition(day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  name text := 'telemetry_' || to_char(day, 'YYYYMMDD');
BEGIN
  IF to_regclass(name) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF telemetry FOR VALUES FROM (%L) TO (%L)',
                   name, day::timestamptz, (day + 1)::timestamptz);
  END IF;
END $$;

CREATE TABLE telemetry_1m (
  series_id integer NOT NULL,
  bucket    timestamptz NOT NULL,
  min       double precision,
  max       double precision,
  avg       double precision,
  last      double precision,
  count     integer NOT NULL,
  PRIMARY KEY (series_id, bucket)
);

CREATE TABLE telemetry_1h (LIKE telemetry_1m INCLUDING ALL);
