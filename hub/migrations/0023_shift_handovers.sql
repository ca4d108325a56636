-- Structured shift handovers. The outgoing guard starts one for a building (or the
-- whole estate); the hub freezes what the control room stands on at that moment (the
-- snapshot), the guard adds notes, and the incoming guard accepts it. A handover is a
-- record of responsibility changing hands, so it is never edited or deleted: only the
-- acceptance (once) and the "overdue" flag (once) may be filled in, and a trigger
-- refuses anything else, whatever the code path or hub.
CREATE TABLE shift_handovers (
  id              bigserial PRIMARY KEY,
  -- The building handed over; null for the whole estate (estate-wide users only).
  building_id     text REFERENCES buildings (id),
  started_at      timestamptz NOT NULL DEFAULT now(),
  outgoing_id     bigint REFERENCES users (id),
  -- Names as people read them at the time, kept even if the account goes.
  outgoing_name   text NOT NULL,
  notes           text NOT NULL CHECK (length(notes) <= 4000),
  -- The shift the snapshot's counts cover: from the previous handover of the same scope.
  period_start    timestamptz NOT NULL,
  snapshot        jsonb NOT NULL,
  accepted_at     timestamptz,
  incoming_id     bigint REFERENCES users (id),
  incoming_name   text,
  accept_remark   text CHECK (length(accept_remark) <= 2000),
  -- When managers were told it had waited too long for acceptance.
  overdue_at      timestamptz,
  CHECK ((accepted_at IS NULL) = (incoming_name IS NULL))
);
CREATE INDEX shift_handovers_started_idx ON shift_handovers (started_at DESC, id DESC);
CREATE INDEX shift_handovers_building_idx ON shift_handovers (building_id, started_at DESC);
-- One handover waiting per scope: a second start while one is pending is a conflict,
-- decided by the database so two consoles (or hubs) cannot both open one.
CREATE UNIQUE INDEX shift_handovers_one_pending_idx ON shift_handovers ((coalesce(building_id, ''))) WHERE accepted_at IS NULL;

CREATE FUNCTION shift_handovers_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'shift handover % cannot be deleted', OLD.id;
  END IF;
  IF OLD.accepted_at IS NOT NULL AND (NEW.accepted_at IS DISTINCT FROM OLD.accepted_at
      OR NEW.incoming_id IS DISTINCT FROM OLD.incoming_id OR NEW.incoming_name IS DISTINCT FROM OLD.incoming_name
      OR NEW.accept_remark IS DISTINCT FROM OLD.accept_remark) THEN
    RAISE EXCEPTION 'shift handover % was accepted and cannot be changed', OLD.id;
  END IF;
  IF OLD.overdue_at IS NOT NULL AND NEW.overdue_at IS DISTINCT FROM OLD.overdue_at THEN
    RAISE EXCEPTION 'shift handover % was already flagged overdue', OLD.id;
  END IF;
  IF NEW.id <> OLD.id OR NEW.building_id IS DISTINCT FROM OLD.building_id OR NEW.started_at <> OLD.started_at
      OR NEW.outgoing_id IS DISTINCT FROM OLD.outgoing_id OR NEW.outgoing_name <> OLD.outgoing_name
      OR NEW.notes <> OLD.notes OR NEW.period_start <> OLD.period_start OR NEW.snapshot <> OLD.snapshot THEN
    RAISE EXCEPTION 'shift handover % is a record: what was handed over cannot be changed', OLD.id;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER shift_handovers_immutable BEFORE UPDATE OR DELETE ON shift_handovers
  FOR EACH ROW EXECUTE FUNCTION shift_handovers_immutable();
