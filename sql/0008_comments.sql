-- Comments on posts, nested by parent_comment_id (a reply to a comment of the same post). Deleting is soft; deleted
-- comments leave every list and count. replies_count and likes_count are kept with the rows they count.
CREATE TABLE IF NOT EXISTS comments (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id           uuid        NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id         bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    parent_comment_id bigint      REFERENCES comments (id),
    text              text        NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    edited_at         timestamptz,
    deleted_at        timestamptz,
    replies_count     bigint      NOT NULL DEFAULT 0,
    likes_count       bigint      NOT NULL DEFAULT 0
);

CREATE INDEX IF NOT EXISTS comments_top_level ON comments (post_id, id) WHERE parent_comment_id IS NULL AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS comments_replies ON comments (parent_comment_id, id) WHERE deleted_at IS NULL;

CREATE TABLE IF NOT EXISTS comment_likes (
    id         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    comment_id bigint      NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (comment_id, account_id)
);
