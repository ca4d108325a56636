-- Billing: fee schedules, meters and their period readings, bill runs, a ledger from
-- which every balance is derived, payments with receipts, notices and arrears.
--
-- Money is integer fen (bigint, *_fen). Rates may be finer than a fen (electricity at
-- 0.568 yuan/kWh), so rates are exact decimals (numeric) in fen per unit; an amount is
-- rounded half-up to the fen once, when a bill line is made, and never again.
-- Nothing that carries money is edited in place: a correction is a new ledger entry.
-- A period is a calendar month, 'YYYY-MM', in the estate's time zone.

-- ------------------------------------------------------------------ fee schedule
CREATE TABLE fee_items (
  id                   bigserial PRIMARY KEY,
  code                 text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_.-]{0,39}$'),
  name                 text NOT NULL,
  name_zh              text,
  -- area: rate × the unit's m² per month; fixed: rate × quantity assigned to the unit
  -- (parking spaces); meter: rate × the period's consumption of the unit's meters of
  -- meter_kind plus its share of the building's shared-area consumption; oneoff: charges
  -- entered for one period.
  basis                text NOT NULL CHECK (basis IN ('area', 'fixed', 'meter', 'oneoff')),
  meter_kind           text CHECK (meter_kind IN ('water', 'electricity')),
  -- Billed in periods whose month number, counted from January, is a multiple of it.
  cycle_months         smallint NOT NULL DEFAULT 1 CHECK (cycle_months IN (1, 2, 3, 6, 12)),
  -- Due this many days after the bill's issue date.
  due_days             smallint NOT NULL DEFAULT 15 CHECK (due_days BETWEEN 0 AND 365),
  -- Late fee on the overdue amount of this item's lines: a daily rate in basis points
  -- (5 = 0.05 % a day) from the day after due + grace, capped at cap_bp of that amount.
  late_daily_bp        integer NOT NULL DEFAULT 0 CHECK (late_daily_bp BETWEEN 0 AND 10000),
  late_cap_bp          integer NOT NULL DEFAULT 0 CHECK (late_cap_bp BETWEEN 0 AND 100000),
  late_grace_days      smallint NOT NULL DEFAULT 0 CHECK (late_grace_days BETWEEN 0 AND 365),
  active               boolean NOT NULL DEFAULT true,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK ((basis = 'meter') = (meter_kind IS NOT NULL))
);

-- Rates, effective from a date. The most specific applies: building + layout, then
-- building, then layout, then estate-wide; among those the latest effective_from not
-- after the period's first day.
CREATE TABLE fee_rates (
  id              bigserial PRIMARY KEY,
  fee_item_id     bigint NOT NULL REFERENCES fee_items (id),
  building_id     text REFERENCES buildings (id),
  unit_layout     text,
  rate_fen        numeric(14, 4) NOT NULL CHECK (rate_fen >= 0),
  effective_from  date NOT NULL,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX fee_rates_key_idx ON fee_rates (fee_item_id, coalesce(building_id, ''), coalesce(unit_layout, ''), effective_from);

-- What a unit is charged beyond its area: parking spaces (fixed items, quantity per
-- period from from_period to to_period) and one-off charges (oneoff items, one period,
-- amount given).
CREATE TABLE unit_charges (
  id           bigserial PRIMARY KEY,
  unit_id      bigint NOT NULL REFERENCES units (id),
  fee_item_id  bigint NOT NULL REFERENCES fee_items (id),
  quantity     numeric(10, 2) NOT NULL DEFAULT 1 CHECK (quantity > 0),
  amount_fen   bigint CHECK (amount_fen > 0),
  description  text,
  from_period  text NOT NULL CHECK (from_period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  to_period    text CHECK (to_period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  ended_by     text,
  CHECK (to_period IS NULL OR to_period >= from_period)
);
CREATE INDEX unit_charges_unit_idx ON unit_charges (unit_id);

-- ------------------------------------------------------------------ meters
-- A metering device (its cumulative metric) measuring one unit, or a building's shared
-- area (unit_id null). A replaced meter is closed (removed_at) and the new one opened.
CREATE TABLE meters (
  id            bigserial PRIMARY KEY,
  device_id     bigint NOT NULL REFERENCES devices (id),
  metric        text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('water', 'electricity')),
  building_id   text NOT NULL REFERENCES buildings (id),
  unit_id       bigint REFERENCES units (id),
  -- The register wraps to zero after this value (99999.999 for a 5-digit register).
  rollover_at   numeric(14, 3),
  multiplier    numeric(10, 4) NOT NULL DEFAULT 1 CHECK (multiplier > 0),
  installed_at  timestamptz NOT NULL DEFAULT now(),
  -- Register reading when installed (a new meter starts at its own value).
  initial_value numeric(14, 3) NOT NULL DEFAULT 0,
  removed_at    timestamptz,
  final_value   numeric(14, 3),
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX meters_device_open_idx ON meters (device_id, metric) WHERE removed_at IS NULL;
CREATE INDEX meters_unit_idx ON meters (unit_id);
CREATE INDEX meters_building_idx ON meters (building_id);

-- One row per meter and period: the register at both ends (from telemetry, or estimated),
-- the consumption, and what the checks found. A flagged reading is not billed until a
-- clerk confirms or corrects it.
CREATE TABLE meter_readings (
  id            bigserial PRIMARY KEY,
  meter_id      bigint NOT NULL REFERENCES meters (id),
  period        text NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  start_value   numeric(14, 3),
  start_at      timestamptz,
  end_value     numeric(14, 3),
  end_at        timestamptz,
  consumption   numeric(14, 3),
  source        text NOT NULL CHECK (source IN ('telemetry', 'estimated', 'manual')),
  -- rollover, replaced, missing, estimated, negative, implausible
  flags         text[] NOT NULL DEFAULT '{}',
  -- The unit's usual consumption (mean of up to 6 earlier periods), for the check.
  usual         numeric(14, 3),
  status        text NOT NULL CHECK (status IN ('ok', 'flagged', 'confirmed', 'corrected')),
  checked_at    timestamptz NOT NULL DEFAULT now(),
  resolved_by   text,
  resolved_at   timestamptz,
  UNIQUE (meter_id, period)
);
CREATE INDEX meter_readings_period_idx ON meter_readings (period, status);

-- A clerk's confirmation or correction of a reading: what it was, what it became, why.
CREATE TABLE meter_reading_corrections (
  id           bigserial PRIMARY KEY,
  reading_id   bigint NOT NULL REFERENCES meter_readings (id),
  action       text NOT NULL CHECK (action IN ('confirm', 'correct')),
  before       jsonb NOT NULL,
  after        jsonb NOT NULL,
  reason       text NOT NULL,
  user_id      bigint REFERENCES users (id),
  actor        text NOT NULL,
  at           timestamptz NOT NULL DEFAULT now()
);

-- ------------------------------------------------------------------ bills
CREATE TABLE bill_runs (
  id              bigserial PRIMARY KEY,
  period          text NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  building_id     text REFERENCES buildings (id),
  status          text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  hub_id          text,
  started_by      text NOT NULL,
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  bills_created   integer NOT NULL DEFAULT 0,
  bills_existing  integer NOT NULL DEFAULT 0,
  units_skipped   integer NOT NULL DEFAULT 0,
  total_fen       bigint NOT NULL DEFAULT 0,
  error           text
);
CREATE INDEX bill_runs_period_idx ON bill_runs (period, started_at);

-- One bill per unit and period, whoever runs it and however often: the unique key is
-- the guarantee, the run's advisory lock only saves wasted work.
CREATE TABLE bills (
  id            bigserial PRIMARY KEY,
  number        text NOT NULL UNIQUE,
  unit_id       bigint NOT NULL REFERENCES units (id),
  owner_id      bigint REFERENCES owners (id),
  building_id   text NOT NULL REFERENCES buildings (id),
  period        text NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  bill_run_id   bigint REFERENCES bill_runs (id),
  issued_on     date NOT NULL,
  due_on        date NOT NULL,
  total_fen     bigint NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- Voiding is a fact about the bill (its charges are reversed in the ledger).
  voided_at     timestamptz,
  voided_by     text,
  void_reason   text,
  UNIQUE (unit_id, period)
);
CREATE INDEX bills_owner_idx ON bills (owner_id, period);
CREATE INDEX bills_building_period_idx ON bills (building_id, period);
CREATE INDEX bills_period_idx ON bills (period);

CREATE TABLE bill_lines (
  id                bigserial PRIMARY KEY,
  bill_id           bigint NOT NULL REFERENCES bills (id),
  line_no           smallint NOT NULL,
  fee_item_id       bigint NOT NULL REFERENCES fee_items (id),
  description       text NOT NULL,
  quantity          numeric(14, 3) NOT NULL,
  unit_price_fen    numeric(14, 4) NOT NULL,
  amount_fen        bigint NOT NULL,
  meter_reading_id  bigint REFERENCES meter_readings (id),
  UNIQUE (bill_id, line_no)
);
CREATE INDEX bill_lines_fee_item_idx ON bill_lines (fee_item_id);

-- ------------------------------------------------------------------ payments
CREATE TABLE payments (
  id               bigserial PRIMARY KEY,
  unit_id          bigint NOT NULL REFERENCES units (id),
  owner_id         bigint REFERENCES owners (id),
  kind             text NOT NULL CHECK (kind IN ('payment', 'refund')),
  amount_fen       bigint NOT NULL CHECK (amount_fen > 0),
  method           text NOT NULL CHECK (method IN ('cash', 'bank_transfer', 'wechat', 'alipay', 'card', 'other')),
  reference        text,
  paid_at          timestamptz NOT NULL,
  -- A resubmitted form (same key) finds the first payment instead of making a second.
  idempotency_key  text NOT NULL UNIQUE,
  refund_of        bigint REFERENCES payments (id),
  note             text,
  recorded_by      text NOT NULL,
  user_id          bigint REFERENCES users (id),
  recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_unit_idx ON payments (unit_id, paid_at);
CREATE INDEX payments_owner_idx ON payments (owner_id, paid_at);

-- ------------------------------------------------------------------ ledger
-- Every change of what a unit owes. amount_fen > 0 increases what is owed (charge,
-- late fee, refund paid out), < 0 decreases it (payment, discount). bill_id says which
-- bill an entry concerns; an entry with no bill is credit (or debt) on the account.
-- Applying credit to a bill is a pair: +x without bill, -x on the bill (sum zero).
-- A unit's balance is the sum of its entries; a bill's outstanding amount the sum of
-- the entries with its id. Corrections reverse (reverses_id) and re-enter.
CREATE TABLE ledger_entries (
  id           bigserial PRIMARY KEY,
  unit_id      bigint NOT NULL REFERENCES units (id),
  owner_id     bigint REFERENCES owners (id),
  bill_id      bigint REFERENCES bills (id),
  bill_line_id bigint REFERENCES bill_lines (id),
  payment_id   bigint REFERENCES payments (id),
  kind         text NOT NULL CHECK (kind IN ('charge', 'late_fee', 'payment', 'credit', 'credit_applied', 'refund', 'adjustment', 'reversal')),
  amount_fen   bigint NOT NULL CHECK (amount_fen <> 0),
  at           timestamptz NOT NULL DEFAULT now(),
  entered_by   text NOT NULL,
  memo         text,
  reverses_id  bigint REFERENCES ledger_entries (id),
  -- Late fees are posted once per bill and day (the sweep may run on several hubs).
  late_fee_on  date,
  UNIQUE (bill_id, kind, late_fee_on)
);
CREATE INDEX ledger_unit_idx ON ledger_entries (unit_id, at);
CREATE INDEX ledger_bill_idx ON ledger_entries (bill_id);
CREATE INDEX ledger_payment_idx ON ledger_entries (payment_id);

CREATE VIEW bill_balances AS
  SELECT b.id AS bill_id,
         b.total_fen,
         coalesce(sum(l.amount_fen), 0)::bigint AS outstanding_fen,
         coalesce(sum(l.amount_fen) FILTER (WHERE l.kind = 'late_fee'), 0)::bigint AS late_fees_fen,
         -coalesce(sum(l.amount_fen) FILTER (WHERE l.kind IN ('payment', 'credit_applied')), 0)::bigint AS paid_fen
    FROM bills b LEFT JOIN ledger_entries l ON l.bill_id = b.id
   GROUP BY b.id;

-- ------------------------------------------------------------------ receipts
-- Gap-free numbers: the next number of a series is taken under the series row's lock in
-- the payment's own transaction, so a rolled-back payment gives its number back.
CREATE TABLE receipt_series (
  series  text PRIMARY KEY,
  next_no bigint NOT NULL DEFAULT 1
);

CREATE TABLE receipts (
  id           bigserial PRIMARY KEY,
  series       text NOT NULL REFERENCES receipt_series (series),
  seq          bigint NOT NULL,
  number       text NOT NULL UNIQUE,
  payment_id   bigint NOT NULL UNIQUE REFERENCES payments (id),
  issued_at    timestamptz NOT NULL DEFAULT now(),
  voided_at    timestamptz,
  voided_by    text,
  void_reason  text,
  UNIQUE (series, seq)
);

-- ------------------------------------------------------------------ notices and arrears
-- Every message sent (or tried) about money: bill notices, reminders, warnings; and the
-- phone calls and visits staff log. Recipients are stored masked.
CREATE TABLE billing_notices (
  id           bigserial PRIMARY KEY,
  purpose      text NOT NULL CHECK (purpose IN ('bill', 'reminder', 'escalation', 'warning')),
  channel      text NOT NULL CHECK (channel IN ('email', 'sms', 'phone', 'visit', 'letter')),
  unit_id      bigint REFERENCES units (id),
  owner_id     bigint REFERENCES owners (id),
  bill_id      bigint REFERENCES bills (id),
  language     text NOT NULL DEFAULT 'zh-CN',
  recipient    text,
  subject      text,
  status       text NOT NULL CHECK (status IN ('sent', 'failed', 'logged')),
  error        text,
  provider_id  text,
  note         text,
  actor        text NOT NULL,
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX billing_notices_unit_idx ON billing_notices (unit_id, at);
-- A bill's notice goes out once per channel, however many runs or hubs send notices.
CREATE UNIQUE INDEX billing_notices_bill_once_idx ON billing_notices (bill_id, channel) WHERE purpose = 'bill' AND status = 'sent';

-- The escalation ladder and the warning thresholds, per site (one row per site).
CREATE TABLE arrears_policies (
  site_id             text PRIMARY KEY REFERENCES sites (id),
  -- [{"afterDays": 15, "action": "reminder"}, {"afterDays": 45, "action": "call"}, ...]
  -- actions: reminder, call, visit, lawyer_letter
  ladder              jsonb NOT NULL,
  warn_amount_fen     bigint NOT NULL CHECK (warn_amount_fen > 0),
  warn_age_days       integer NOT NULL CHECK (warn_age_days > 0),
  updated_by          text NOT NULL,
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Each rung of the ladder taken for a unit's arrears (once per unit, step and the
-- oldest unpaid bill it concerns), by whom, with the outcome.
CREATE TABLE arrears_actions (
  id           bigserial PRIMARY KEY,
  unit_id      bigint NOT NULL REFERENCES units (id),
  bill_id      bigint NOT NULL REFERENCES bills (id),
  step         smallint NOT NULL,
  action       text NOT NULL CHECK (action IN ('reminder', 'call', 'visit', 'lawyer_letter')),
  status       text NOT NULL CHECK (status IN ('due', 'done')),
  amount_fen   bigint NOT NULL,
  age_days     integer NOT NULL,
  due_at       timestamptz NOT NULL DEFAULT now(),
  done_at      timestamptz,
  done_by      text,
  outcome      text,
  UNIQUE (unit_id, bill_id, step)
);
CREATE INDEX arrears_actions_status_idx ON arrears_actions (status, due_at);

-- A unit whose arrears passed the amount or age threshold: managers are alerted once
-- while it stays open; cleared when the arrears are paid.
CREATE TABLE arrears_warnings (
  id               bigserial PRIMARY KEY,
  unit_id          bigint NOT NULL REFERENCES units (id),
  building_id      text NOT NULL REFERENCES buildings (id),
  reason           text NOT NULL CHECK (reason IN ('amount', 'age', 'amount_and_age')),
  amount_fen       bigint NOT NULL,
  age_days         integer NOT NULL,
  raised_at        timestamptz NOT NULL DEFAULT now(),
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  cleared_at       timestamptz
);
CREATE UNIQUE INDEX arrears_warnings_open_idx ON arrears_warnings (unit_id) WHERE cleared_at IS NULL;
