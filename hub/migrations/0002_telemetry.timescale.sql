-- warden:no-transaction
-- Telemetry on TimescaleDB: a hypertable with compression, and continuous
-- aggregates in place of the hub-maintained rollups (same names and columns,
-- so queries do not care which path is active). Retention is applied by the hub
-- at start-up from TELEMETRY_RETENTION_DAYS (add_retention_policy).
-- See https://docs.timescale.com/api/latest/hypertable/ and .../continuous-aggregates/.

CREATE TABLE IF NOT EXISTS telemetry (
  series_id  integer NOT NULL,
  ts         timestamptz NOT NULL,
  value      double precision,
  value_text text,
  quality    smallint NOT NULL DEFAULT 0,
  PRIMARY KEY (series_id, ts)
);

SELECT create_hypertable('telemetry', by_range('ts', INTERVAL '1 day'), if_not_exists => true);

ALTER TABLE telemetry SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'series_id',
  timescaledb.compress_orderby = 'ts DESC'
);
SELECT add_compression_policy('telemetry', INTERVAL '7 days', if_not_exists => true);

CREATE MATERIALIZED VIEW IF NOT EXISTS telemetry_1m WITH (timescaledb.continuous) AS
  SELECT series_id, time_bucket(INTERVAL '1 minute', ts) AS bucket,
         min(value) AS min, max(value) AS max, avg(value) AS avg, last(value, ts) AS last,
         count(*)::integer AS count
  FROM telemetry GROUP BY series_id, bucket WITH NO DATA;
SELECT add_continuous_aggregate_policy('telemetry_1m',
  start_offset => INTERVAL '1 hour', end_offset => INTERVAL '1 minute',
  schedule_interval => INTERVAL '1 minute', if_not_exists => true);

CREATE MATERIALIZED VIEW IF NOT EXISTS telemetry_1h WITH (timescaledb.continuous) AS
  SELECT series_id, time_bucket(INTERVAL '1 hour', bucket) AS bucket,
         min(min) AS min, max(max) AS max,
         sum(avg * count) / nullif(sum(count), 0) AS avg, last(last, bucket) AS last,
         sum(count)::integer AS count
  FROM telemetry_1m GROUP BY series_id, time_bucket(INTERVAL '1 hour', bucket) WITH NO DATA;
SELECT add_continuous_aggregate_policy('telemetry_1h',
  start_offset => INTERVAL '1 day', end_offset => INTERVAL '1 hour',
  schedule_interval => INTERVAL '15 minutes', if_not_exists => true);

-- Kept for symmetry with the plain path, where the hub calls it before writing a new day.
CREATE OR REPLACE FUNCTION warden_ensure_telemetry_partition(day date) RETURNS void
LANGUAGE plpgsql AS $$ BEGIN END $$;
