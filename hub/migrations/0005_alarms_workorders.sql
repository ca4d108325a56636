-- Alarm rules and the ISA-18.2 alarm lifecycle, work orders with dispatch and SLA,
-- and the live event log the WebSocket stream is served from.

-- ------------------------------------------------------------------ alarm rules
-- A rule is data: a condition tree evaluated per point/event, a scope, a priority.
-- Every edit bumps `version` and keeps the previous definition in alarm_rule_versions.
CREATE TABLE alarm_rules (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL,
  -- The devices it watches: one device, every device of a type, a building, or the estate.
  scope_type  text NOT NULL CHECK (scope_type IN ('device', 'deviceType', 'building', 'estate')),
  scope_id    text,
  priority    text NOT NULL CHECK (priority IN ('critical', 'high', 'medium', 'low')),
  category    text NOT NULL CHECK (category IN ('maintenance', 'security')),
  definition  jsonb NOT NULL,           -- condition, delays, re-alarm, work-order options (zod-checked)
  enabled     boolean NOT NULL DEFAULT true,
  deleted     boolean NOT NULL DEFAULT false,
  version     integer NOT NULL DEFAULT 1,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((scope_type = 'estate') = (scope_id IS NULL))
);

CREATE TABLE alarm_rule_versions (
  rule_id     bigint NOT NULL REFERENCES alarm_rules (id),
  version     integer NOT NULL,
  snapshot    jsonb NOT NULL,           -- the whole rule as it was
  changed_by  text NOT NULL,
  changed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule_id, version)
);

-- ------------------------------------------------------------------ alarms
-- One alarm per (rule, source device): its ISA-18.2 state. The process side
-- (`active`) follows the rule's condition; the operator side (`acked`) follows people.
--   normal                  : not active, nothing to acknowledge
--   unack                   : active, unacknowledged
--   acked                   : active, acknowledged
--   rtn_unack               : returned to normal, unacknowledged
-- Shelved, suppressed-by-design and out-of-service are flags over that state.
CREATE TABLE alarms (
  id              bigserial PRIMARY KEY,
  rule_id         bigint NOT NULL REFERENCES alarm_rules (id),
  device_id       bigint NOT NULL REFERENCES devices (id),
  building_id     text REFERENCES buildings (id),
  state           text NOT NULL DEFAULT 'normal' CHECK (state IN ('normal', 'unack', 'acked', 'rtn_unack')),
  active          boolean NOT NULL DEFAULT false,
  episode_id      bigint,               -- the open episode, if any
  shelved_until   timestamptz,
  shelved_by      text,
  shelve_reason   text,
  suppressed      boolean NOT NULL DEFAULT false,
  out_of_service  boolean NOT NULL DEFAULT false,
  oos_reason      text,
  changed_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (rule_id, device_id)
);
CREATE INDEX alarms_building_idx ON alarms (building_id);
CREATE INDEX alarms_device_idx ON alarms (device_id);

-- An episode runs from activation until the alarm is back to normal (cleared and
-- acknowledged). At most one open episode per alarm: the database, not the hubs,
-- guarantees that an activation seen by two hubs opens one episode.
CREATE TABLE alarm_episodes (
  id               bigserial PRIMARY KEY,
  alarm_id         bigint NOT NULL REFERENCES alarms (id),
  rule_id          bigint NOT NULL REFERENCES alarm_rules (id),
  rule_version     integer NOT NULL,
  device_id        bigint NOT NULL REFERENCES devices (id),
  building_id      text REFERENCES buildings (id),
  priority         text NOT NULL,
  category         text NOT NULL,
  message          text NOT NULL,
  value            jsonb,                -- the reading or event that raised it
  raised_at        timestamptz NOT NULL,
  cleared_at       timestamptz,          -- last return to normal of the condition
  acked_at         timestamptz,
  acked_by         text,
  ended_at         timestamptz,
  activations      integer NOT NULL DEFAULT 1,
  realarms         integer NOT NULL DEFAULT 0,
  last_annunciated_at timestamptz NOT NULL,
  escalated_at     timestamptz,
  work_order_id    bigint
);
CREATE UNIQUE INDEX alarm_episodes_one_open_idx ON alarm_episodes (alarm_id) WHERE ended_at IS NULL;
CREATE INDEX alarm_episodes_raised_idx ON alarm_episodes (raised_at);
CREATE INDEX alarm_episodes_building_raised_idx ON alarm_episodes (building_id, raised_at);
ALTER TABLE alarms ADD CONSTRAINT alarms_episode_fk FOREIGN KEY (episode_id) REFERENCES alarm_episodes (id);

-- Every transition, by whom and when; activations are rows too (KPIs count them).
CREATE TABLE alarm_transitions (
  id           bigserial PRIMARY KEY,
  alarm_id     bigint NOT NULL REFERENCES alarms (id),
  episode_id   bigint REFERENCES alarm_episodes (id),
  at           timestamptz NOT NULL DEFAULT now(),
  action       text NOT NULL,          -- activate, clear, ack, shelve, unshelve, suppress, unsuppress, ...
  from_state   text NOT NULL,
  to_state     text NOT NULL,
  user_id      bigint REFERENCES users (id),
  actor        text NOT NULL,
  note         text,
  details      jsonb
);
CREATE INDEX alarm_transitions_alarm_idx ON alarm_transitions (alarm_id, at);
CREATE INDEX alarm_transitions_at_idx ON alarm_transitions (at, action);

-- Evaluation state a hub needs after a restart (condition timers, counters), per alarm.
CREATE TABLE alarm_rule_state (
  rule_id     bigint NOT NULL REFERENCES alarm_rules (id),
  device_id   bigint NOT NULL REFERENCES devices (id),
  rule_version integer NOT NULL,
  state       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule_id, device_id)
);

-- ------------------------------------------------------------------ work orders
CREATE TABLE sla_policies (
  priority        text PRIMARY KEY CHECK (priority IN ('critical', 'high', 'medium', 'low')),
  accept_minutes  integer NOT NULL CHECK (accept_minutes > 0),
  resolve_minutes integer NOT NULL CHECK (resolve_minutes > 0)
);
INSERT INTO sla_policies (priority, accept_minutes, resolve_minutes) VALUES
  ('critical', 5, 240),
  ('high', 15, 480),
  ('medium', 60, 1440),
  ('low', 240, 4320);

-- Who is on duty when: dispatch prefers people on shift.
CREATE TABLE staff_shifts (
  id         bigserial PRIMARY KEY,
  staff_id   bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
  starts_at  timestamptz NOT NULL,
  ends_at    timestamptz NOT NULL,
  CHECK (ends_at > starts_at)
);
CREATE INDEX staff_shifts_time_idx ON staff_shifts (starts_at, ends_at);

CREATE SEQUENCE work_order_number_seq;

CREATE TABLE work_orders (
  id                bigserial PRIMARY KEY,
  number            text NOT NULL UNIQUE,            -- WO-000123, for people
  kind              text NOT NULL CHECK (kind IN ('maintenance', 'security')),
  source            text NOT NULL CHECK (source IN ('alarm', 'manual', 'request', 'preventive')),
  -- The episode that opened it: one work order per episode, whatever the number of hubs.
  alarm_episode_id  bigint UNIQUE REFERENCES alarm_episodes (id),
  title             text NOT NULL,
  description       text,
  priority          text NOT NULL CHECK (priority IN ('critical', 'high', 'medium', 'low')),
  status            text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'assigned', 'accepted', 'in_progress', 'on_hold', 'resolved', 'closed', 'cancelled')),
  trade             text NOT NULL,
  building_id       text REFERENCES buildings (id),
  device_id         bigint REFERENCES devices (id),
  location          text,
  assignee_id       bigint REFERENCES staff (id),
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  accept_due_at     timestamptz NOT NULL,
  resolve_due_at    timestamptz NOT NULL,
  assigned_at       timestamptz,
  accepted_at       timestamptz,
  started_at        timestamptz,
  resolved_at       timestamptz,
  closed_at         timestamptz,
  cancelled_at      timestamptz,
  resolution        text,
  -- Maintenance resolved while its alarm's reading was still abnormal.
  verification      text CHECK (verification IN ('normal', 'abnormal', 'unverified')),
  reopen_count      integer NOT NULL DEFAULT 0,
  escalation_level  integer NOT NULL DEFAULT 0,
  accept_breached_at  timestamptz,
  resolve_breached_at timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX work_orders_status_idx ON work_orders (status);
CREATE INDEX work_orders_assignee_idx ON work_orders (assignee_id) WHERE status NOT IN ('closed', 'cancelled');
CREATE INDEX work_orders_device_idx ON work_orders (device_id, created_at);
CREATE INDEX work_orders_building_idx ON work_orders (building_id, created_at);
ALTER TABLE alarm_episodes ADD CONSTRAINT alarm_episodes_work_order_fk FOREIGN KEY (work_order_id) REFERENCES work_orders (id);

CREATE TABLE work_order_events (
  id             bigserial PRIMARY KEY,
  work_order_id  bigint NOT NULL REFERENCES work_orders (id),
  at             timestamptz NOT NULL DEFAULT now(),
  action         text NOT NULL,        -- create, assign, accept, start, hold, resume, resolve, close, cancel, reopen, escalate, comment
  from_status    text,
  to_status      text NOT NULL,
  user_id        bigint REFERENCES users (id),
  actor          text NOT NULL,
  note           text,
  details        jsonb
);
CREATE INDEX work_order_events_wo_idx ON work_order_events (work_order_id, at);

-- ------------------------------------------------------------------ live events
-- What the WebSocket stream serves, in commit order: writers take one advisory
-- transaction lock before appending, so ids become visible strictly in order and a
-- client resuming after id N misses nothing. `building_id` and `audience` decide who
-- may see an event (null building: estate-wide; audience: roles).
CREATE TABLE live_events (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  type         text NOT NULL,
  building_id  text,
  audience     text[] NOT NULL,
  data         jsonb NOT NULL
);
CREATE INDEX live_events_at_idx ON live_events (at);
