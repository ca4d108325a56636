-- Core schema: estate structure, agents and devices, people and access, audit.

CREATE TABLE roles (
  name        text PRIMARY KEY,
  description text NOT NULL
);
INSERT INTO roles (name, description) VALUES
  ('admin',      'Administers users, configuration and everything else'),
  ('manager',    'Property manager: oversees operations, reports, escalations'),
  ('guard',      'Security guard: alarm console, cameras, doors'),
  ('technician', 'Maintenance staff: work orders, equipment'),
  ('clerk',      'Property office clerk: records, billing, requests'),
  ('owner',      'Owner or resident: own units, bills and requests');

CREATE TABLE sites (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  timezone   text NOT NULL DEFAULT 'Asia/Shanghai',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE buildings (
  id         text PRIMARY KEY,
  site_id    text NOT NULL REFERENCES sites (id),
  name       text NOT NULL,
  address    text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX buildings_site_idx ON buildings (site_id);

CREATE TABLE floors (
  id          bigserial PRIMARY KEY,
  building_id text NOT NULL REFERENCES buildings (id),
  code        text NOT NULL,          -- as printed in the lift: 'B1', '1', '12'
  level       integer NOT NULL,       -- sort order; basements negative
  name        text,
  UNIQUE (building_id, code)
);

CREATE TABLE units (
  id          bigserial PRIMARY KEY,
  building_id text NOT NULL REFERENCES buildings (id),
  floor_id    bigint REFERENCES floors (id),
  number      text NOT NULL,
  area_m2     numeric(10, 2) CHECK (area_m2 > 0),
  layout      text,
  status      text NOT NULL DEFAULT 'vacant'
              CHECK (status IN ('occupied', 'vacant', 'rented', 'under_repair', 'renovation')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (building_id, number)
);

-- One edge agent per building; it logs in to the broker with its id and secret.
CREATE TABLE agents (
  id               text PRIMARY KEY,
  site_id          text NOT NULL REFERENCES sites (id),
  building_id      text REFERENCES buildings (id),
  secret_hash      text NOT NULL,
  enabled          boolean NOT NULL DEFAULT true,
  online           boolean NOT NULL DEFAULT false,
  session          text,
  agent_version    text,
  last_seq         bigint,
  state_changed_at timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- Equipment and sensors as the agents announce them in device births.
CREATE TABLE devices (
  id            bigserial PRIMARY KEY,
  agent_id      text NOT NULL REFERENCES agents (id),
  code          text NOT NULL,
  site_id       text NOT NULL REFERENCES sites (id),
  building_id   text REFERENCES buildings (id),
  floor_id      bigint REFERENCES floors (id),
  type          text NOT NULL,
  name          text NOT NULL,
  model         text,
  manufacturer  text,
  serial        text,
  zone          text,
  location      text,
  capabilities  text[] NOT NULL DEFAULT '{}',
  heartbeat_sec integer,
  online        boolean NOT NULL DEFAULT false,
  last_seen_at  timestamptz,
  birth_at      timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent_id, code)
);
CREATE INDEX devices_building_idx ON devices (building_id);

-- One row per (device, metric): the id is the telemetry series key, keeping telemetry rows narrow.
CREATE TABLE device_metrics (
  id          serial PRIMARY KEY,
  device_id   bigint NOT NULL REFERENCES devices (id),
  name        text NOT NULL,
  type        text NOT NULL CHECK (type IN ('number', 'boolean', 'string')),
  unit        text,
  description text,
  cumulative  boolean NOT NULL DEFAULT false,
  UNIQUE (device_id, name)
);

-- Latest live value per series, for instant reads. Historical replays never overwrite it.
CREATE TABLE latest_values (
  series_id  integer PRIMARY KEY REFERENCES device_metrics (id),
  ts         timestamptz NOT NULL,
  value      double precision,
  value_text text,
  quality    smallint NOT NULL DEFAULT 0
);

-- Inbound MQTT messages that failed validation, with the reason.
CREATE TABLE dead_letters (
  id          bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  topic       text NOT NULL,
  kind        text,
  agent_id    text,
  reason      text NOT NULL,
  payload     text
);
CREATE INDEX dead_letters_received_idx ON dead_letters (received_at);

CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  username      text NOT NULL,
  display_name  text NOT NULL,
  password_hash text NOT NULL,
  role          text NOT NULL REFERENCES roles (name),
  disabled      boolean NOT NULL DEFAULT false,
  last_login_at timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_idx ON users (lower(username));

-- A user limited to some buildings sees only those; no rows means the whole estate.
CREATE TABLE user_buildings (
  user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  building_id text NOT NULL REFERENCES buildings (id),
  PRIMARY KEY (user_id, building_id)
);

-- Login sessions: only a SHA-256 of the bearer token is stored.
CREATE TABLE sessions (
  token_hash  bytea PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  ip          text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE staff (
  id          bigserial PRIMARY KEY,
  user_id     bigint UNIQUE REFERENCES users (id),
  name        text NOT NULL,
  position    text,
  phone       text,
  email       text,
  trades      text[] NOT NULL DEFAULT '{}',
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_buildings (
  staff_id    bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
  building_id text NOT NULL REFERENCES buildings (id),
  PRIMARY KEY (staff_id, building_id)
);

-- Append-only record of what people and the system did that matters.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  user_id     bigint REFERENCES users (id),
  actor       text NOT NULL,
  action      text NOT NULL,
  target_type text,
  target_id   text,
  details     jsonb,
  ip          text
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id);
