-- Bill runs and meter replacement: what 0013 leaves to the services.

-- A replacement meter points at the one it replaced, so a period in which the meter
-- was changed is read across both registers (old final − start + new end − new initial).
ALTER TABLE meters ADD COLUMN replaces_id bigint REFERENCES meters (id);
CREATE UNIQUE INDEX meters_replaces_idx ON meters (replaces_id) WHERE replaces_id IS NOT NULL;

-- Bill numbers ("B202611-000123"): readable and unique; gaps (a rolled-back chunk, a
-- unit whose bill already existed) are harmless, unlike receipts.
CREATE SEQUENCE bill_number_seq;

-- Meter lines of a reading, to refuse re-checking or correcting a reading already billed.
CREATE INDEX bill_lines_meter_reading_idx ON bill_lines (meter_reading_id) WHERE meter_reading_id IS NOT NULL;
-- Unallocated credit of a unit (entries without a bill), read for every new bill.
CREATE INDEX ledger_unit_unbilled_idx ON ledger_entries (unit_id) WHERE bill_id IS NULL;
