-- Accounts can be disabled; API tokens expire and can be revoked.
-- A disabled user (disabled_at set) cannot log in, and their sessions and tokens are refused.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- Every token has an expiry. The default 0 (the epoch) means "already expired", so a row
-- written without one is refused rather than valid for ever. Tokens created before this
-- migration had no expiry: they get 90 days from the migration, the default lifetime of a
-- new token, which leaves time to replace them without breaking scripts on upgrade.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT;
UPDATE api_tokens SET expires_at = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT) * 1000 + 7776000000;

-- Ending a user's sessions and listing their tokens look rows up by user.
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
