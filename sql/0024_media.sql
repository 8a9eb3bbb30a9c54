-- Uploaded pictures and videos. A row names its blobs by a random token (every rendition's key starts with it); the blobs
-- are written before the row that names them commits, and deleted before the row is (the media sweep). Attachments
-- belong to a post once attached (in order, by position); avatars and headers to their account.
CREATE TABLE IF NOT EXISTS media (
    id            uuid        PRIMARY KEY,
    account_id    bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose       text        NOT NULL DEFAULT 'attachment' CHECK (purpose IN ('attachment', 'avatar', 'header')),
    type          text        NOT NULL CHECK (type IN ('image', 'gifv', 'video')),
    status        text        NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    token         text        NOT NULL UNIQUE,
    original_key  text,
    preview_key   text,
    width         integer,
    height        integer,
    small_width   integer,
    small_height  integer,
    duration      double precision,
    fps           double precision,
    blurhash      text,
    description   text        NOT NULL DEFAULT '',
    focus_x       real        NOT NULL DEFAULT 0,
    focus_y       real        NOT NULL DEFAULT 0,
    error         text,
    post_id       uuid        REFERENCES posts (id) ON DELETE CASCADE,
    position      smallint,
    created_at    timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz,
    deleted_at    timestamptz
);

CREATE INDEX IF NOT EXISTS media_post ON media (post_id, position) WHERE post_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS media_unattached ON media (created_at) WHERE post_id IS NULL AND purpose = 'attachment' AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS media_deleted ON media (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS media_processing ON media (created_at) WHERE status = 'processing';

-- The account's current avatar and header (null: the default picture).
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS avatar_media uuid REFERENCES media (id) ON DELETE SET NULL;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS header_media uuid REFERENCES media (id) ON DELETE SET NULL;

-- An edited post's earlier versions keep the attachments they had (ids and alt texts then).
ALTER TABLE post_edits ADD COLUMN IF NOT EXISTS media_ids uuid[];
ALTER TABLE post_edits ADD COLUMN IF NOT EXISTS media_descriptions text[];
