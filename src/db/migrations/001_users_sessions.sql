-- Accounts and their server-side sessions.

-- The non-owner role tenant transactions switch to (SET LOCAL ROLE), so row-level security applies
-- to the application even though it connects as the schema owner. Roles are cluster-wide: create once.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stockade_app') THEN
    CREATE ROLE stockade_app NOLOGIN;
  END IF;
EXCEPTION
  -- Two databases of one cluster migrating at once can both see no role; the loser is fine.
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

CREATE TABLE users (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username            text NOT NULL,
  -- NFKC + lower-case form of the username: the uniqueness key, so 'Alice' and 'ａｌｉｃｅ' are one account.
  username_key        text NOT NULL UNIQUE,
  password_hash       text NOT NULL,
  role                text NOT NULL DEFAULT 'merchant' CHECK (role IN ('merchant', 'admin')),
  disabled            boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now(),
  last_login_at       timestamptz,
  password_changed_at timestamptz NOT NULL DEFAULT now()
);

-- One row per live session. The token itself is never stored: id_hash = SHA-256(token).
-- Kept small and flat on purpose (bytes per session are a budget): the CSRF token is derived from the
-- token, the user agent is stored as a short device summary, the address truncated.
CREATE TABLE sessions (
  id_hash             bytea PRIMARY KEY,
  public_id           text NOT NULL,
  user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at          timestamptz NOT NULL,
  last_seen_at        timestamptz NOT NULL,
  authenticated_at    timestamptz NOT NULL,
  idle_expires_at     timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL,
  remember            boolean NOT NULL,
  user_agent          text NOT NULL,
  ip                  text NOT NULL
);
-- Listing and revoking a user's sessions; public ids are only ever looked up within one user.
CREATE INDEX sessions_user_id ON sessions (user_id);
-- The background purge walks expired rows in batches. BRIN, not B-tree: rows are inserted roughly in
-- expiry order, so block ranges summarise well, and the index costs bytes per thousand sessions instead
-- of ~16 bytes per session (bytes per session at rest are a budget). Renewals are HOT updates that stay
-- in their page, which keeps the ranges honest.
CREATE INDEX sessions_idle_expires_at ON sessions USING brin (idle_expires_at);
