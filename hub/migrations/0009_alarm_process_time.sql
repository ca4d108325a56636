-- The source time (reading or event timestamp) of the last change of an alarm's process
-- state. With several hubs a decision taken on an older reading, arriving after a newer
-- one was applied elsewhere, is stale and is not applied.
ALTER TABLE alarms ADD COLUMN process_ts timestamptz;
