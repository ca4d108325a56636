-- Equipment ledger (each piece of plant, optionally the monitored device it is) and
-- spare parts: stock per store, and the movements ledger every stock change is made by.

-- ------------------------------------------------------------------ equipment
CREATE TABLE equipment (
  id              bigserial PRIMARY KEY,
  code            text NOT NULL UNIQUE,
  name            text NOT NULL,
  type            text NOT NULL,
  model           text,
  manufacturer    text,
  serial          text,
  building_id     text REFERENCES buildings (id),
  floor           text,
  location        text,
  install_date    date,
  warranty_until  date,
  parameters      jsonb NOT NULL DEFAULT '{}',
  -- The monitored device this equipment is: its telemetry and work orders are the equipment's.
  device_id       bigint UNIQUE REFERENCES devices (id),
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX equipment_building_idx ON equipment (building_id, type);
CREATE INDEX equipment_warranty_idx ON equipment (warranty_until) WHERE warranty_until IS NOT NULL;

-- Work orders on equipment that has no device (or linked explicitly).
ALTER TABLE work_orders ADD COLUMN equipment_id bigint REFERENCES equipment (id);
CREATE INDEX work_orders_equipment_idx ON work_orders (equipment_id, created_at) WHERE equipment_id IS NOT NULL;

-- ------------------------------------------------------------------ spare parts
CREATE TABLE parts (
  id             bigserial PRIMARY KEY,
  code           text NOT NULL UNIQUE,
  name           text NOT NULL,
  unit           text NOT NULL DEFAULT 'pcs',
  reorder_level  integer NOT NULL DEFAULT 0 CHECK (reorder_level >= 0),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Stock on hand per store, changed only together with a part_movements row.
CREATE TABLE part_stock (
  part_id     bigint NOT NULL REFERENCES parts (id),
  store       text NOT NULL,
  qty         integer NOT NULL DEFAULT 0 CHECK (qty >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (part_id, store)
);

-- Append-only: qty is signed (receipt, return > 0; issue < 0; adjustment either way).
CREATE TABLE part_movements (
  id             bigserial PRIMARY KEY,
  part_id        bigint NOT NULL REFERENCES parts (id),
  store          text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('receipt', 'issue', 'return', 'adjustment')),
  qty            integer NOT NULL CHECK (qty <> 0),
  balance        integer NOT NULL CHECK (balance >= 0),
  work_order_id  bigint REFERENCES work_orders (id),
  user_id        bigint REFERENCES users (id),
  actor          text NOT NULL,
  at             timestamptz NOT NULL DEFAULT now(),
  note           text,
  CHECK ((kind = 'issue') = (qty < 0) OR kind = 'adjustment'),
  CHECK (kind <> 'issue' OR work_order_id IS NOT NULL)
);
CREATE INDEX part_movements_part_idx ON part_movements (part_id, store, at);
CREATE INDEX part_movements_wo_idx ON part_movements (work_order_id) WHERE work_order_id IS NOT NULL;
