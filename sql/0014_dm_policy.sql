-- Who may message an account: everyone, only its followers, or nobody (checked when a direct conversation or a group
-- is started and on every direct message).
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS dm_policy text NOT NULL DEFAULT 'everyone' CHECK (dm_policy IN ('everyone', 'followers', 'nobody'));
