-- Security: which camera watches which device, arming schedules per zone, evidence
-- (snapshots and clips) attached to security alarm episodes, and incidents that group
-- related security episodes under one work order.

-- ------------------------------------------------------------------ camera coverage
-- From camera births (`device.covers`: codes of devices of the same agent). Kept as
-- codes, not device ids, because an agent's births arrive in any order: a camera may
-- be born before the doors it watches. `camera_coverage` resolves them to ids.
CREATE TABLE device_coverage (
  camera_id     bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  covered_code  text NOT NULL,
  PRIMARY KEY (camera_id, covered_code)
);

CREATE VIEW camera_coverage AS
  SELECT c.camera_id, d.id AS device_id
    FROM device_coverage c
    JOIN devices cam ON cam.id = c.camera_id
    JOIN devices d ON d.agent_id = cam.agent_id AND d.code = c.covered_code;

-- ------------------------------------------------------------------ zone arming schedules
-- When a security zone of a building is armed (motion then alarms): the shape of
-- armingScheduleSchema (hub/src/alarms/rule-schema.ts), validated by the hub.
CREATE TABLE zone_schedules (
  building_id  text NOT NULL REFERENCES buildings (id),
  zone         text NOT NULL,
  schedule     jsonb NOT NULL,
  updated_by   text NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (building_id, zone)
);

-- ------------------------------------------------------------------ incidents
-- Related security signals close in time and place (door forced, motion on the camera
-- covering that door, tamper) are one incident with one work order. Decided inside the
-- alarm's raise transaction under an advisory lock per building, so two hubs never
-- open two incidents for one break-in.
CREATE TABLE incidents (
  id              bigserial PRIMARY KEY,
  building_id     text REFERENCES buildings (id),
  zone            text,
  title           text NOT NULL,
  priority        text NOT NULL CHECK (priority IN ('critical', 'high', 'medium', 'low')),
  opened_at       timestamptz NOT NULL,
  last_signal_at  timestamptz NOT NULL,
  closed_at       timestamptz,
  work_order_id   bigint REFERENCES work_orders (id)
);
CREATE INDEX incidents_open_idx ON incidents (building_id, last_signal_at) WHERE closed_at IS NULL;
CREATE INDEX incidents_opened_idx ON incidents (opened_at);
CREATE INDEX incidents_work_order_idx ON incidents (work_order_id);

CREATE TABLE incident_episodes (
  incident_id  bigint NOT NULL REFERENCES incidents (id),
  -- An episode belongs to one incident at most.
  episode_id   bigint NOT NULL UNIQUE REFERENCES alarm_episodes (id),
  joined_at    timestamptz NOT NULL,
  PRIMARY KEY (incident_id, episode_id)
);

-- ------------------------------------------------------------------ evidence
-- What a camera saw when a security alarm was raised. Bytes live in the database
-- (a snapshot is tens of KB, a clip at most ~1.5 MB by the protocol's payload limit),
-- so evidence is backed up, replicated and access-checked with everything else.
CREATE TABLE evidence (
  id                bigserial PRIMARY KEY,
  episode_id        bigint NOT NULL REFERENCES alarm_episodes (id),
  incident_id       bigint REFERENCES incidents (id),
  camera_device_id  bigint NOT NULL REFERENCES devices (id),
  command_id        uuid REFERENCES commands (id),
  kind              text NOT NULL CHECK (kind IN ('snapshot', 'clip')),
  content_type      text NOT NULL,
  bytes             bytea NOT NULL,
  size              integer NOT NULL CHECK (size > 0),
  width             integer,
  height            integer,
  seconds           integer,
  captured_at       timestamptz NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  -- One of each kind per camera and episode, whichever hub stores it.
  UNIQUE (episode_id, camera_device_id, kind)
);
CREATE INDEX evidence_incident_idx ON evidence (incident_id);

CREATE INDEX commands_device_idx ON commands (device_id, sent_at);
