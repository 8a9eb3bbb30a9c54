-- Feeds. One sequence orders every timeline entry: a post's seq and a repost's seq come from it, so a home timeline
-- (posts and reposts mixed) pages by one key. Existing rows are numbered in the order they were made.
CREATE SEQUENCE IF NOT EXISTS timeline_seq;

ALTER TABLE posts ADD COLUMN IF NOT EXISTS seq bigint;
ALTER TABLE reposts ADD COLUMN IF NOT EXISTS seq bigint;
WITH ordered AS (
    SELECT 'p' AS kind, id::text AS key, created_at FROM posts WHERE seq IS NULL
    UNION ALL SELECT 'r', id::text, created_at FROM reposts WHERE seq IS NULL
    ORDER BY created_at),
numbered AS (SELECT kind, key, nextval('timeline_seq') AS seq FROM ordered),
p AS (UPDATE posts SET seq = n.seq FROM numbered n WHERE n.kind = 'p' AND posts.id::text = n.key RETURNING 1)
UPDATE reposts SET seq = n.seq FROM numbered n WHERE n.kind = 'r' AND reposts.id::text = n.key;
ALTER TABLE posts ALTER COLUMN seq SET DEFAULT nextval('timeline_seq'), ALTER COLUMN seq SET NOT NULL;
ALTER TABLE reposts ALTER COLUMN seq SET DEFAULT nextval('timeline_seq'), ALTER COLUMN seq SET NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS posts_seq ON posts (seq);
CREATE INDEX IF NOT EXISTS posts_author_seq ON posts (author_id, seq DESC) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS reposts_account_seq ON reposts (account_id, seq DESC);
CREATE INDEX IF NOT EXISTS posts_recent ON posts (created_at) WHERE deleted_at IS NULL AND visibility = 'public';
CREATE INDEX IF NOT EXISTS posts_quote_of ON posts (quote_of, seq) WHERE quote_of IS NOT NULL;

-- Fan-out walks an author's followers in id order.
CREATE INDEX IF NOT EXISTS follows_followee_follower ON follows (followee_id, follower_id);

-- Home timelines filled on write: the newest entries per account (the grain trims to its capacity). An entry is a post
-- (reposted_by NULL, seq = the post's) or a repost (seq = the repost's). Derived data: rebuilt from posts and follows.
CREATE TABLE IF NOT EXISTS timeline_entries (
    owner_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    seq         bigint NOT NULL,
    post_id     uuid   NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id   bigint NOT NULL,
    reposted_by bigint,
    PRIMARY KEY (owner_id, seq)
);
CREATE INDEX IF NOT EXISTS timeline_entries_post ON timeline_entries (post_id);

-- Followers inactive for longer than Timelines:InactiveDays are not fanned out to; their timeline is rebuilt on return.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS last_active_at timestamptz NOT NULL DEFAULT now();

-- Hashtag timelines page by the post's seq.
ALTER TABLE post_tags ADD COLUMN IF NOT EXISTS post_seq bigint;
UPDATE post_tags t SET post_seq = p.seq FROM posts p WHERE p.id = t.post_id AND t.post_seq IS NULL;
CREATE INDEX IF NOT EXISTS post_tags_tag_seq ON post_tags (tag, post_seq DESC);
CREATE INDEX IF NOT EXISTS post_tags_tag_prefix ON post_tags (tag text_pattern_ops);

CREATE TABLE IF NOT EXISTS tag_follows (
    id         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tag        text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, tag)
);
CREATE INDEX IF NOT EXISTS tag_follows_tag ON tag_follows (tag, account_id);

-- Full-text search of posts, English stemming.
ALTER TABLE posts ADD COLUMN IF NOT EXISTS search tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED;
CREATE INDEX IF NOT EXISTS posts_search ON posts USING gin (search);
