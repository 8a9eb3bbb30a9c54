-- Fan-out survives a silo dying mid-way: a post or repost is marked fanned out when its fan-out finished; a sweeper
-- picks up those still unmarked (claiming them so two silos do not both run one) and runs them again (rows are
-- written idempotently). Rows made before this migration count as done.
ALTER TABLE posts ADD COLUMN IF NOT EXISTS fanned_out boolean NOT NULL DEFAULT true;
ALTER TABLE posts ALTER COLUMN fanned_out SET DEFAULT false;
ALTER TABLE posts ADD COLUMN IF NOT EXISTS fanout_claimed_at timestamptz;
CREATE INDEX IF NOT EXISTS posts_fanout_pending ON posts (created_at) WHERE NOT fanned_out;

ALTER TABLE reposts ADD COLUMN IF NOT EXISTS fanned_out boolean NOT NULL DEFAULT true;
ALTER TABLE reposts ALTER COLUMN fanned_out SET DEFAULT false;
ALTER TABLE reposts ADD COLUMN IF NOT EXISTS fanout_claimed_at timestamptz;
CREATE INDEX IF NOT EXISTS reposts_fanout_pending ON reposts (created_at) WHERE NOT fanned_out;

CREATE INDEX IF NOT EXISTS posts_deleted_recent ON posts (deleted_at) WHERE deleted_at IS NOT NULL;
