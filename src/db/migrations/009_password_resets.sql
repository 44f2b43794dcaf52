-- One-time password-reset links (v2 "E-mail and account recovery"; issued today by an administrator or
-- `stockade reset-link`, later also by mail). Only SHA-256 of the 256-bit token is stored, so a leaked
-- row cannot be used. A link is consumed by a conditional UPDATE … WHERE used_at IS NULL, so two racing
-- uses cannot both win; issuing a new one deletes the user's older unused ones.
CREATE TABLE password_resets (
  token_hash  bytea PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  -- who asked for it, for the audit trail: 'admin' or 'cli' (later 'mail')
  issued_by   text NOT NULL CHECK (issued_by IN ('admin', 'cli', 'mail'))
);
CREATE INDEX password_resets_user ON password_resets (user_id);
CREATE INDEX password_resets_expires ON password_resets (expires_at);
