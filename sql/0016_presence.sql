-- Presence: when an account's last live connection closed (or its front end stopped renewing it). Online or not is
-- held by the account's grain only.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS last_seen_at timestamptz;
