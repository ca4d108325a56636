-- Property records: units with their location and status history, owners with their
-- personal data encrypted at rest, owner ↔ unit associations over time, staff e-mail
-- uniqueness (the key CSV imports detect duplicate staff by).

-- ------------------------------------------------------------------ units
ALTER TABLE units ADD COLUMN location text;              -- "East wing, by lift 2": where to find it
ALTER TABLE units ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE units ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX units_status_idx ON units (status);
CREATE INDEX units_floor_idx ON units (floor_id);

-- Every status a unit has had, by whom and why; the first row is its creation (from_status null).
CREATE TABLE unit_status_history (
  id           bigserial PRIMARY KEY,
  unit_id      bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  from_status  text CHECK (from_status IN ('occupied', 'vacant', 'rented', 'under_repair', 'renovation')),
  to_status    text NOT NULL CHECK (to_status IN ('occupied', 'vacant', 'rented', 'under_repair', 'renovation')),
  at           timestamptz NOT NULL DEFAULT now(),
  user_id      bigint REFERENCES users (id),
  actor        text NOT NULL,
  reason       text
);
CREATE INDEX unit_status_history_unit_idx ON unit_status_history (unit_id, at);

-- Units that existed before history was kept start theirs with the status they have.
INSERT INTO unit_status_history (unit_id, from_status, to_status, at, actor, reason)
  SELECT id, NULL, status, created_at, 'system', 'status when history started' FROM units;

-- ------------------------------------------------------------------ owners
-- Personal data is never stored in clear: each *_enc column is
--   [key version: 1 byte][IV: 12 bytes][GCM tag: 16 bytes][AES-256-GCM ciphertext]
-- and national_id_index is HMAC-SHA256 of the normalised ID number under a key derived
-- from the same master key: exact-match lookup and uniqueness without the clear value.
-- The key is not in the database (RECORDS_ENCRYPTION_KEY; see hub/src/records/records-key.ts).
CREATE TABLE owners (
  id                 bigserial PRIMARY KEY,
  name               text NOT NULL,
  id_type            text NOT NULL DEFAULT 'resident_id' CHECK (id_type IN ('resident_id', 'passport', 'other')),
  national_id_enc    bytea NOT NULL,
  national_id_index  bytea NOT NULL UNIQUE,
  phone_enc          bytea,
  email_enc          bytea,
  -- The owner-portal login of this person (role owner): they see their own units only.
  user_id            bigint UNIQUE REFERENCES users (id),
  notes              text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX owners_name_idx ON owners (lower(name));

-- Who holds, rents or lives in a unit, and when. Dates are calendar days, both ends
-- included; an open association has no to_date.
CREATE TABLE unit_owners (
  id          bigserial PRIMARY KEY,
  unit_id     bigint NOT NULL REFERENCES units (id),
  owner_id    bigint NOT NULL REFERENCES owners (id),
  role        text NOT NULL CHECK (role IN ('owner', 'tenant', 'resident')),
  from_date   date NOT NULL,
  to_date     date,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  ended_by    text,
  end_reason  text,
  CHECK (to_date IS NULL OR to_date >= from_date)
);
CREATE INDEX unit_owners_unit_idx ON unit_owners (unit_id, from_date);
CREATE INDEX unit_owners_owner_idx ON unit_owners (owner_id);
-- The same person holds a unit in a given role through one open association at a time.
CREATE UNIQUE INDEX unit_owners_open_idx ON unit_owners (unit_id, owner_id, role) WHERE to_date IS NULL;

-- The associations in force today, "today" being the date where the unit is (its
-- site's time zone), not where the database server happens to run.
CREATE VIEW current_unit_owners AS
  SELECT uo.*
    FROM unit_owners uo
    JOIN units u ON u.id = uo.unit_id
    JOIN buildings b ON b.id = u.building_id
    JOIN sites s ON s.id = b.site_id
   WHERE uo.from_date <= (now() AT TIME ZONE s.timezone)::date
     AND (uo.to_date IS NULL OR uo.to_date >= (now() AT TIME ZONE s.timezone)::date);

-- ------------------------------------------------------------------ staff
ALTER TABLE staff ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX staff_email_idx ON staff (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX staff_name_idx ON staff (lower(name));
