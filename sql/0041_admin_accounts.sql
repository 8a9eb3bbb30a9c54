-- The admin console's account tools (issue 23): a forced password reset (the password stops working, every session
-- ends, a reset link goes to the account's address; setting a new password clears it), and indexes for searching
-- accounts by email and by the address a session signed in from.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS password_reset_required boolean NOT NULL DEFAULT false;

CREATE INDEX IF NOT EXISTS accounts_email_trgm ON accounts USING gin (lower(email) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS sessions_ip ON sessions (ip text_pattern_ops);
