-- Who viewed a story, once each (the author's own views are not recorded). Only the story's author reads the list.
CREATE TABLE IF NOT EXISTS story_views (
    id         bigserial   PRIMARY KEY,
    story_id   uuid        NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    viewer_id  bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    viewed_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (story_id, viewer_id)
);

CREATE INDEX IF NOT EXISTS story_views_story ON story_views (story_id, id);
CREATE INDEX IF NOT EXISTS story_views_viewer ON story_views (viewer_id, story_id);
