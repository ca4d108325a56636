-- User administration: a password an administrator set (a reset or a new account's
-- first one) is known to someone besides its owner, so the owner must replace it at
-- their next login. Cleared when the user sets their own.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
-- When the password was last set, shown to administrators beside the last login.
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
