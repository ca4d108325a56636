-- The guard shift log: notes, patrol records and end-of-shift handovers, written in
-- the control room beside the alarm console. Append-only: a log entry is a record of
-- what someone said at the time, so it is never edited (a correction is a new entry).
CREATE TABLE shift_log (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  author_id    bigint REFERENCES users (id),
  -- The author as people read them in the log (display name), kept even if the account goes.
  author_name  text NOT NULL,
  -- The building it is about; null for the whole estate (seen only by estate-wide users).
  building_id  text REFERENCES buildings (id),
  kind         text NOT NULL CHECK (kind IN ('note', 'handover', 'patrol')),
  text         text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
  -- Alarms the entry mentions ("left #412 shelved for the pump fitter"); not a foreign
  -- key on purpose: the log outlives alarm rows retired with their rules.
  alarm_ids    bigint[] NOT NULL DEFAULT '{}'
);
CREATE INDEX shift_log_at_idx ON shift_log (at DESC, id DESC);
CREATE INDEX shift_log_building_at_idx ON shift_log (building_id, at DESC);
