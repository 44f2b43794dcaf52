-- Second factor (docs/api.md "Second factor"; auth/second-factor/).

-- A user's TOTP authenticator. The secret is sealed (AES-256-GCM under SECRET_KEY, bound to the user id:
-- auth/second-factor/secret-box.ts), never stored in clear, so a dump of this table opens nothing.
-- confirmed_at NULL: enrolment started, not yet proven with a code (does not count as a second factor).
-- last_step: the last RFC 6238 time step accepted for this user; a code is accepted only by
-- `UPDATE … SET last_step = $step WHERE last_step < $step`, so a code (or an older one) is used once,
-- also when two servers check it at the same instant (one UPDATE wins, the other matches no row).
CREATE TABLE totp_factors (
  user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret       bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  confirmed_at timestamptz,
  last_step    bigint NOT NULL DEFAULT -1
);

-- Recovery codes: SHA-256 of each (80 random bits each, so a plain hash is safe: nothing to guess
-- from a dictionary). A code is used by `DELETE … RETURNING`: of two racing uses exactly one wins.
CREATE TABLE recovery_codes (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash  bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, code_hash)
);

-- A sign-in waiting for its second step: only SHA-256 of the pending cookie's 256-bit token is stored.
-- Bound to the sign-in that made it: the user, the remember flag, and the password_changed_at of the
-- password that was checked (a password change or reset meanwhile voids it). Used once (DELETE … RETURNING).
CREATE TABLE pending_sign_ins (
  token_hash          bytea PRIMARY KEY,
  user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  remember            boolean NOT NULL,
  password_changed_at timestamptz NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  expires_at          timestamptz NOT NULL
);
CREATE INDEX pending_sign_ins_user ON pending_sign_ins (user_id);
CREATE INDEX pending_sign_ins_expires ON pending_sign_ins (expires_at);
