-- Each account's private close-friends list (stories shared with close friends only go to them). Nobody but the
-- owner reads it; a block either way takes the other account off it.
CREATE TABLE IF NOT EXISTS close_friends (
    id         bigserial   PRIMARY KEY,
    owner_id   bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    friend_id  bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner_id, friend_id),
    CHECK (owner_id <> friend_id)
);

CREATE INDEX IF NOT EXISTS close_friends_friend ON close_friends (friend_id);
