-- Service quality: periodic satisfaction surveys of owners, written evaluations of
-- staff, improvement plans, and service requests opened by alarms.

-- ------------------------------------------------------------------ periodic surveys
-- A campaign asks the owners of a building (or of the whole estate) about a period
-- (a quarter, a month). Invitations are recorded when it is created; each invited
-- owner answers once, scoring every dimension of the campaign 1–5.
CREATE TABLE survey_campaigns (
  id            bigserial PRIMARY KEY,
  title         text NOT NULL,
  period        text NOT NULL,                      -- 'YYYY-Qn' or 'YYYY-MM', the period asked about
  building_id   text REFERENCES buildings (id),     -- null: the whole estate
  dimensions    text[] NOT NULL CHECK (cardinality(dimensions) > 0),
  opens_at      timestamptz NOT NULL,
  closes_at     timestamptz NOT NULL,
  created_by    text NOT NULL,
  user_id       bigint REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (closes_at > opens_at)
);
CREATE INDEX survey_campaigns_period_idx ON survey_campaigns (period);

-- Who was asked; building_id is where the answer counts in the analysis (the owner's
-- unit in the campaign's scope; the lowest building id when they hold units in several).
CREATE TABLE survey_invitations (
  campaign_id   bigint NOT NULL REFERENCES survey_campaigns (id),
  owner_id      bigint NOT NULL REFERENCES owners (id),
  building_id   text NOT NULL REFERENCES buildings (id),
  invited_at    timestamptz NOT NULL,
  PRIMARY KEY (campaign_id, owner_id)
);
CREATE INDEX survey_invitations_owner_idx ON survey_invitations (owner_id);

-- One answer per owner per campaign (the primary key), only from an invited owner.
CREATE TABLE survey_answers (
  campaign_id   bigint NOT NULL,
  owner_id      bigint NOT NULL,
  user_id       bigint REFERENCES users (id),
  comment       text,
  answered_at   timestamptz NOT NULL,
  PRIMARY KEY (campaign_id, owner_id),
  FOREIGN KEY (campaign_id, owner_id) REFERENCES survey_invitations (campaign_id, owner_id)
);

CREATE TABLE survey_answer_scores (
  campaign_id   bigint NOT NULL,
  owner_id      bigint NOT NULL,
  dimension     text NOT NULL,
  score         integer NOT NULL CHECK (score BETWEEN 1 AND 5),
  PRIMARY KEY (campaign_id, owner_id, dimension),
  FOREIGN KEY (campaign_id, owner_id) REFERENCES survey_answers (campaign_id, owner_id)
);

-- ------------------------------------------------------------------ staff evaluation
-- A manager's written evaluation of a member of staff for a period; append-only.
CREATE TABLE staff_reviews (
  id            bigserial PRIMARY KEY,
  staff_id      bigint NOT NULL REFERENCES staff (id),
  period        text NOT NULL,
  rating        integer CHECK (rating BETWEEN 1 AND 5),
  comment       text NOT NULL,
  user_id       bigint REFERENCES users (id),
  reviewer      text NOT NULL,
  at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_reviews_staff_idx ON staff_reviews (staff_id, period);

-- ------------------------------------------------------------------ improvement plans
-- Opened from a low-scoring finding; "overdue" is derived (not done, due date passed).
CREATE TABLE improvement_plans (
  id              bigserial PRIMARY KEY,
  title           text NOT NULL,
  finding_type    text NOT NULL CHECK (finding_type IN ('category', 'building', 'staff')),
  finding_key     text NOT NULL,
  -- The finding's satisfaction when the plan was made (surveys in finding_period), if measured.
  finding_period  text,
  finding_count   integer,
  finding_average numeric(4, 2),
  building_id     text REFERENCES buildings (id),   -- the building it concerns, for building limits
  owner_user_id   bigint NOT NULL REFERENCES users (id),
  actions         text[] NOT NULL CHECK (cardinality(actions) > 0),
  due_date        date NOT NULL,
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done')),
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  done_at         timestamptz
);
CREATE INDEX improvement_plans_open_idx ON improvement_plans (due_date) WHERE status <> 'done';

CREATE TABLE improvement_plan_notes (
  id            bigserial PRIMARY KEY,
  plan_id       bigint NOT NULL REFERENCES improvement_plans (id),
  at            timestamptz NOT NULL DEFAULT now(),
  user_id       bigint REFERENCES users (id),
  actor         text NOT NULL,
  from_status   text,
  to_status     text,
  note          text NOT NULL
);
CREATE INDEX improvement_plan_notes_plan_idx ON improvement_plan_notes (plan_id, at);

-- ------------------------------------------------------------------ requests from alarms
-- The unit a device sits in (a leak sensor under a flat's sink): its maintenance alarms
-- become service requests of that unit. Births do not carry it; people set it.
ALTER TABLE devices ADD COLUMN unit_id bigint REFERENCES units (id);

-- Rules whose every episode becomes a service request, whatever the device.
CREATE TABLE service_request_rules (
  rule_id     bigint PRIMARY KEY REFERENCES alarm_rules (id),
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- At most one request per alarm episode, whichever hub handles it.
ALTER TABLE service_requests ADD COLUMN alarm_episode_id bigint REFERENCES alarm_episodes (id);
CREATE UNIQUE INDEX service_requests_episode_idx ON service_requests (alarm_episode_id);
