-- Who an unacknowledged critical alarm escalates to, per building: a named supervisor
-- or the person on call, set by an admin or manager through the API (audited). The
-- escalation is addressed to that person on the live stream and sent to them by e-mail
-- and SMS (their staff record's contacts). A building without one escalates to all of
-- its managers.
CREATE TABLE alarm_escalation_targets (
  building_id text PRIMARY KEY REFERENCES buildings (id),
  user_id     bigint NOT NULL REFERENCES users (id),
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
