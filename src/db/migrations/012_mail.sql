-- E-mail and account recovery (docs/api.md "E-mail and account recovery").

-- The user's verified address. Only a verified address is stored on the user: an address still being
-- verified lives in email_verifications until its link is used, so the unique index below is the
-- "one account per verified address" rule, held by the database (two accounts verifying one address at
-- once: the second UPDATE fails with a unique violation, whatever the application checked before).
-- email_key is the comparison form (trimmed, lower-cased, NFKC): the address as typed is kept in email.
ALTER TABLE users ADD COLUMN email text;
ALTER TABLE users ADD COLUMN email_key text;
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
CREATE UNIQUE INDEX users_email_key ON users (email_key) WHERE email_key IS NOT NULL;

-- Pending address changes: one per user at most (a newer request replaces the older, whose link dies).
-- Only SHA-256 of the 256-bit token is stored.
CREATE TABLE email_verifications (
  token_hash  bytea PRIMARY KEY,
  user_id     uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  email       text NOT NULL,
  email_key   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX email_verifications_expires ON email_verifications (expires_at);

-- Second-factor failures on a reset link: 5 of them kill the link (docs/security.md S-83).
ALTER TABLE password_resets ADD COLUMN factor_failures integer NOT NULL DEFAULT 0;

-- The outbound mail queue (src/mail/queue.ts). A request inserts a row in its own transaction and
-- returns; a worker on any server claims due rows with FOR UPDATE SKIP LOCKED and a lease, sends, and
-- deletes the row. A row whose lease ran out (its server died mid-send) is claimed again.
-- The bodies may hold a one-time link: they are deleted with the row once sent, and blanked when a
-- message is given up on, so the queue keeps no token once a message has left (S-86).
-- user_id: whose mail it is, so erasure deletes what is still waiting for them.
CREATE TABLE mail_queue (
  id               bigserial PRIMARY KEY,
  user_id          uuid REFERENCES users (id) ON DELETE CASCADE,
  kind             text NOT NULL,
  recipient        text NOT NULL,
  subject          text NOT NULL,
  text_body        text NOT NULL,
  html_body        text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  leased_until     timestamptz,
  leased_by        text,
  failed_at        timestamptz,
  last_error       text
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at) WHERE failed_at IS NULL;

-- Devices that have signed in to an account (src/auth/known-devices.ts): a sign-in from a device not
-- in here is mailed to the owner. A device is the SHA-256 of its summary ("Firefox on Linux") and its
-- network (the address truncated to /24 or /48): nothing more of the client is kept (S-67).
CREATE TABLE known_devices (
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device      bytea NOT NULL,
  first_seen  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, device)
);
