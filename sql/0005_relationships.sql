-- Who follows whom, pending follow requests (to private accounts), blocks and mutes. Each row has an identity id used
-- as the cursor of the lists it appears in. Counters live on the accounts row and change in the same transaction as
-- the rows they count; counts_version grows with every change so grains holding them hot keep only the newest.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS followers_count bigint NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS following_count bigint NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS posts_count bigint NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS counts_version bigint NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS follows (
    id          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    follower_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    followee_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
);

CREATE INDEX IF NOT EXISTS follows_followee ON follows (followee_id, id);
CREATE INDEX IF NOT EXISTS follows_follower ON follows (follower_id, id);

CREATE TABLE IF NOT EXISTS follow_requests (
    id           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    requester_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id    bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (requester_id, target_id),
    CHECK (requester_id <> target_id)
);

CREATE INDEX IF NOT EXISTS follow_requests_target ON follow_requests (target_id, id);

CREATE TABLE IF NOT EXISTS blocks (
    id         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    blocker_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    blocked_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);

CREATE INDEX IF NOT EXISTS blocks_blocked ON blocks (blocked_id);

CREATE TABLE IF NOT EXISTS mutes (
    id         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    muter_id   bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    muted_id   bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    PRIMARY KEY (muter_id, muted_id),
    CHECK (muter_id <> muted_id)
);
