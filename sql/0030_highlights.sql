-- Highlights: named, ordered collections of an account's past stories on its profile. A highlighted story's media is
-- not deleted when the story expires; once it leaves its last highlight (or the highlight is deleted) after expiry, its
-- media is marked deleted for the media sweep. Changes to highlights and the ending of stories take the author's story
-- lock, so a story cannot lose its media while it is being highlighted.
CREATE TABLE IF NOT EXISTS highlights (
    id          uuid        PRIMARY KEY,
    owner_id    bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS highlights_owner ON highlights (owner_id, created_at);

CREATE TABLE IF NOT EXISTS highlight_stories (
    highlight_id uuid NOT NULL REFERENCES highlights (id) ON DELETE CASCADE,
    story_id     uuid NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    position     int  NOT NULL,
    PRIMARY KEY (highlight_id, story_id)
);

CREATE INDEX IF NOT EXISTS highlight_stories_story ON highlight_stories (story_id);
