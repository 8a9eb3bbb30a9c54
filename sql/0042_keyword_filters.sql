-- Keyword filters (issue 23): admins list words and phrases; a new post whose text contains one (as a whole word,
-- ignoring case) is held for review — stored as private (only its author sees it, marked held) with the visibility it
-- asked for kept in held_visibility — until a moderator approves it (it gets that visibility and is fanned out) or
-- removes it (a remove_post action the author may appeal).
CREATE TABLE IF NOT EXISTS keyword_filters (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    keyword    text        NOT NULL,
    reason     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS keyword_filters_keyword ON keyword_filters (lower(keyword));

ALTER TABLE posts ADD COLUMN IF NOT EXISTS held_visibility text CHECK (held_visibility IN ('public', 'followers', 'private'));
ALTER TABLE posts ADD COLUMN IF NOT EXISTS held_keyword text;

CREATE INDEX IF NOT EXISTS posts_held ON posts (created_at, id) WHERE held_visibility IS NOT NULL AND deleted_at IS NULL;
