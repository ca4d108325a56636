-- Hubs that evaluate alarm rules together behind one external broker with shared
-- subscriptions. Each live hub beats here; a device's rules are evaluated by exactly
-- one of the live hubs of its group (rendezvous hash of the device id), so stateful
-- rules (held-open doors, counted swipes, delays, rates, staleness) see the device's
-- whole stream. Liveness is judged by the database clock, never a hub's own.
CREATE TABLE alarm_hubs (
  hub_id       text PRIMARY KEY,
  shared_group text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alarm_hubs_group ON alarm_hubs (shared_group, heartbeat_at);
