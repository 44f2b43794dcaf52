-- Passkeys (docs/api.md "Second factor"; auth/second-factor/passkeys.ts, webauthn-challenges.ts).

-- A user's WebAuthn credentials. credential_id is unique across every user: an authenticator that
-- presents an id already registered (to anyone) is refused, so an assertion names exactly one owner.
-- public_key is the COSE key (public: a dump of it opens nothing). counter is the authenticator's sign
-- counter; it only moves forward (`UPDATE … WHERE counter < $new`), and a regression is refused and
-- audited (passkey.counter_regression): a cloned authenticator shows up as one.
CREATE TABLE passkeys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  credential_id bytea NOT NULL UNIQUE,
  public_key    bytea NOT NULL,
  counter       bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
  transports    text[] NOT NULL DEFAULT '{}',
  name          text NOT NULL,
  backed_up     boolean NOT NULL DEFAULT false,
  device_type   text NOT NULL DEFAULT 'singleDevice',
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- WebAuthn challenges: 32 random bytes each, only SHA-256 of them stored, in PostgreSQL so that a
-- challenge one server issued is usable on another. Bound to the ceremony that asked for it
-- (register / second_step / step_up / passwordless / reset) and to its holder (`binding`: SHA-256 of
-- the session's public id, of the pending sign-in's token, of the reset token; empty for passwordless).
-- Used by `DELETE … WHERE … AND expires_at > now RETURNING`: a replay, or two racing uses, find no row.
CREATE TABLE webauthn_challenges (
  challenge_hash bytea PRIMARY KEY,
  ceremony       text NOT NULL CHECK (ceremony IN ('register', 'second_step', 'step_up', 'passwordless', 'reset')),
  binding        bytea NOT NULL,
  user_id        uuid REFERENCES users (id) ON DELETE CASCADE,
  expires_at     timestamptz NOT NULL
);
CREATE INDEX webauthn_challenges_expires ON webauthn_challenges (expires_at);
