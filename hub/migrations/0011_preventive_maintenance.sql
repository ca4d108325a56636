-- Preventive maintenance: plans on equipment, due by calendar (every N days) or by usage
-- measured from telemetry (every N units of a cumulative metric of the equipment's device,
-- e.g. 500 runHours), and the occurrences each opened one work order for.

CREATE TABLE pm_plans (
  id               bigserial PRIMARY KEY,
  equipment_id     bigint NOT NULL REFERENCES equipment (id),
  title            text NOT NULL,
  description      text,
  trade            text NOT NULL,
  priority         text NOT NULL CHECK (priority IN ('critical', 'high', 'medium', 'low')),
  kind             text NOT NULL CHECK (kind IN ('calendar', 'usage')),
  interval_days    integer CHECK (interval_days > 0),
  metric           text,
  interval_usage   double precision CHECK (interval_usage > 0),
  last_done_at     timestamptz,
  last_done_usage  double precision,
  next_due_at      timestamptz,
  next_due_usage   double precision,
  -- Calendar plans: the work order is opened this many days before the due date.
  lead_days        integer NOT NULL DEFAULT 0 CHECK (lead_days >= 0),
  active           boolean NOT NULL DEFAULT true,
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (
    (kind = 'calendar' AND interval_days IS NOT NULL AND next_due_at IS NOT NULL)
    OR (kind = 'usage' AND metric IS NOT NULL AND interval_usage IS NOT NULL AND next_due_usage IS NOT NULL)
  )
);
CREATE INDEX pm_plans_equipment_idx ON pm_plans (equipment_id);

-- One row per due occurrence of a plan: the unique (plan_id, occurrence) makes sure two
-- sweeps (or two hubs) never open two work orders for the same occurrence.
CREATE TABLE pm_occurrences (
  id               bigserial PRIMARY KEY,
  plan_id          bigint NOT NULL REFERENCES pm_plans (id) ON DELETE CASCADE,
  occurrence       text NOT NULL,
  due_at           timestamptz,
  due_usage        double precision,
  usage_at_open    double precision,
  work_order_id    bigint UNIQUE REFERENCES work_orders (id),
  opened_at        timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz,
  completed_usage  double precision,
  UNIQUE (plan_id, occurrence)
);
CREATE INDEX pm_occurrences_pending_idx ON pm_occurrences (work_order_id) WHERE completed_at IS NULL;
