-- Discrete device events (door forced, motion, equipment fault) and the commands
-- the hub sends to agents with their acknowledgements.

CREATE TABLE device_events (
  id          bigserial PRIMARY KEY,
  agent_id    text NOT NULL REFERENCES agents (id),
  msg_id      text NOT NULL,
  device_id   bigint NOT NULL REFERENCES devices (id),
  kind        text NOT NULL,
  ts          timestamptz NOT NULL,
  historical  boolean NOT NULL DEFAULT false,
  data        jsonb,
  received_at timestamptz NOT NULL DEFAULT now(),
  -- A redelivered MQTT message is the same event, never a second row.
  UNIQUE (agent_id, msg_id)
);
CREATE INDEX device_events_device_ts_idx ON device_events (device_id, ts);
CREATE INDEX device_events_ts_idx ON device_events (ts);

CREATE TABLE commands (
  id          uuid PRIMARY KEY,
  agent_id    text NOT NULL REFERENCES agents (id),
  device_id   bigint REFERENCES devices (id),
  name        text NOT NULL,
  params      jsonb,
  issued_by   bigint REFERENCES users (id),
  issued_by_name text NOT NULL,
  reason      text,
  sent_at     timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  result      text CHECK (result IN ('ok', 'error', 'rejected', 'unsupported', 'expired', 'timeout')),
  result_message text,
  acked_at    timestamptz
);
CREATE INDEX commands_agent_idx ON commands (agent_id, sent_at);
