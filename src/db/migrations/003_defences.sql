-- Accounts and defences: the install's pseudonym key, sign-in throttling state, the audit trail.

-- Secrets this installation made for itself at migration time (one row per name). `pseudonym_key` keys
-- the HMAC that turns usernames, client addresses and a deleted user's id into pseudonyms (rate-limit
-- keys, audit rows). A plain SHA-256 would not do: usernames (and passwords typed into the username
-- field by mistake) fall to a dictionary. gen_random_uuid() draws from the strong random source;
-- two of them give 244 random bits. Readable only by the schema owner (not stockade_app).
CREATE TABLE install_secrets (
  name  text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO install_secrets (name, value)
VALUES ('pseudonym_key', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

-- Sign-in throttling (auth/postgres-rate-limit-store.ts). One row per throttled key: an account
-- ("login:account:<pseudonym>", whether or not the account exists) or a client address group. A row
-- past expires_at is as good as absent and is reused or purged; keys are pseudonyms, so the table holds
-- no username or address in clear.
CREATE TABLE rate_limits (
  key          text PRIMARY KEY,
  -- Failures since the last lockout (or since the record started).
  failures     integer NOT NULL,
  -- Lockouts so far: each one doubles the next, up to LOGIN_LOCKOUT_MAX.
  lockouts     integer NOT NULL,
  locked_until timestamptz,
  -- When the whole record (failures and lockout history) is forgotten.
  expires_at   timestamptz NOT NULL
);
CREATE INDEX rate_limits_expires_at ON rate_limits (expires_at);

-- The audit trail (auth/audit.ts): append-only. Addresses are stored truncated (IPv4 /24, IPv6 /48),
-- user agents as a device summary, details never hold a secret, a username or a full address.
-- When a user deletes their account its rows stay, stripped of personal data: user_id and actor_id go
-- NULL (the foreign keys), ip and user_agent are cleared, and `subject` keeps a pseudonym (HMAC of the
-- old id) so an investigator can still tell that several rows concerned one (unnamed) account.
CREATE TABLE audit_events (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  type       text NOT NULL,
  -- Whose account the event concerns (the signed-in user, the sign-in target, an admin's target).
  user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
  -- Who did it, when that is someone else (an admin).
  actor_id   uuid REFERENCES users (id) ON DELETE SET NULL,
  subject    text,
  ip         text,
  user_agent text,
  request_id text,
  details    jsonb NOT NULL DEFAULT '{}'
);
-- "My activity" (newest first) and the admin view filtered by user.
CREATE INDEX audit_events_user_id ON audit_events (user_id, id DESC);
-- The retention purge walks the oldest rows.
CREATE INDEX audit_events_at ON audit_events (at);

-- Append-only, enforced by the database, not just by the absence of an UPDATE in the code: an update may
-- only remove personal data (the foreign keys' SET NULL, clearing ip/user_agent, setting the pseudonym
-- once). Deleting rows stays possible for the retention purge.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id <> OLD.id OR NEW.at <> OLD.at OR NEW.type <> OLD.type OR NEW.details <> OLD.details
     OR NEW.request_id IS DISTINCT FROM OLD.request_id
     OR (NEW.user_id IS NOT NULL AND NEW.user_id IS DISTINCT FROM OLD.user_id)
     OR (NEW.actor_id IS NOT NULL AND NEW.actor_id IS DISTINCT FROM OLD.actor_id)
     OR (NEW.ip IS NOT NULL AND NEW.ip IS DISTINCT FROM OLD.ip)
     OR (NEW.user_agent IS NOT NULL AND NEW.user_agent IS DISTINCT FROM OLD.user_agent)
     OR (OLD.subject IS NOT NULL AND NEW.subject IS DISTINCT FROM OLD.subject) THEN
    RAISE EXCEPTION 'audit_events is append-only: an update may only remove personal data';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- The admin user list pages by username_key in bytewise order (the same on PGlite and on servers with
-- other default collations); this index serves that order.
CREATE INDEX users_username_key_c ON users (username_key COLLATE "C");
