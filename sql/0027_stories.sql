-- Stories: a row per story (the truth, held in memory by its grain), ended when it expires (an Orleans reminder of
-- the story's grain) or is deleted. The media row it shows names it in media.story_id, so the media sweep leaves it
-- alone until the story ends and marks it deleted.
CREATE TABLE IF NOT EXISTS stories (
    id          uuid        PRIMARY KEY,
    author_id   bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    media_id    uuid        NOT NULL,
    caption     text        NOT NULL DEFAULT '',
    link_url    text,
    audience    text        NOT NULL CHECK (audience IN ('followers', 'close_friends', 'public')),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz
);

CREATE INDEX IF NOT EXISTS stories_author_live ON stories (author_id, created_at) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS stories_author_created ON stories (author_id, created_at);

ALTER TABLE media ADD COLUMN IF NOT EXISTS story_id uuid;

DROP INDEX IF EXISTS media_unattached;
CREATE INDEX IF NOT EXISTS media_unattached ON media (created_at)
    WHERE post_id IS NULL AND story_id IS NULL AND purpose = 'attachment' AND deleted_at IS NULL;
