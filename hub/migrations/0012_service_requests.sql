-- Customer service: requests from owners (portal), clerks (phone), integrators (api)
-- and alarms, classified into standard work orders, followed to closure, rated.

CREATE SEQUENCE service_request_number_seq;

CREATE TABLE service_requests (
  id              bigserial PRIMARY KEY,
  number          text NOT NULL UNIQUE,
  channel         text NOT NULL CHECK (channel IN ('phone', 'portal', 'api', 'alarm')),
  -- The requester: an owner (portal users are always one), the login that entered it, a contact name.
  owner_id        bigint REFERENCES owners (id),
  user_id         bigint REFERENCES users (id),
  contact_name    text,
  unit_id         bigint REFERENCES units (id),
  building_id     text NOT NULL REFERENCES buildings (id),
  location        text,
  category        text NOT NULL CHECK (category IN ('plumbing', 'electrical', 'lift', 'hvac', 'cleaning', 'security', 'noise', 'other')),
  urgency         text NOT NULL CHECK (urgency IN ('critical', 'high', 'medium', 'low')),
  description     text NOT NULL,
  status          text NOT NULL DEFAULT 'new'
                  CHECK (status IN ('new', 'classified', 'dispatched', 'in_progress', 'resolved', 'closed', 'rejected')),
  work_order_id   bigint UNIQUE REFERENCES work_orders (id),
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  classified_at   timestamptz,
  dispatched_at   timestamptz,
  resolved_at     timestamptz,
  closed_at       timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_requests_owner_idx ON service_requests (owner_id, created_at);
CREATE INDEX service_requests_status_idx ON service_requests (status);
CREATE INDEX service_requests_building_idx ON service_requests (building_id, created_at);

-- The request's timeline: every step, note, photo and exception, by whom and where.
CREATE TABLE service_request_events (
  id           bigserial PRIMARY KEY,
  request_id   bigint NOT NULL REFERENCES service_requests (id),
  at           timestamptz NOT NULL DEFAULT now(),
  user_id      bigint REFERENCES users (id),
  actor        text NOT NULL,
  action       text NOT NULL,
  from_status  text,
  to_status    text,
  note         text,
  photos       text[] NOT NULL DEFAULT '{}',
  location     text
);
CREATE INDEX service_request_events_req_idx ON service_request_events (request_id, at);

-- One satisfaction survey per closed request, by its requester.
CREATE TABLE service_surveys (
  id           bigserial PRIMARY KEY,
  request_id   bigint NOT NULL UNIQUE REFERENCES service_requests (id),
  user_id      bigint REFERENCES users (id),
  score        integer NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment      text,
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_surveys_at_idx ON service_surveys (at);
