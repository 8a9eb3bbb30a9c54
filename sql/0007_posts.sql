-- Posts and what people do with them. The rows are the truth; the *_count columns on posts are written behind by the
-- PostGrain (seconds) for queries that do not go through grains, and are rebuilt from the rows when a grain activates.
CREATE TABLE IF NOT EXISTS posts (
    id              uuid        PRIMARY KEY,
    author_id       bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    text            text        NOT NULL,
    visibility      text        NOT NULL CHECK (visibility IN ('public', 'followers', 'private')),
    quote_of        uuid        REFERENCES posts (id),
    idempotency_key text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    edited_at       timestamptz,
    deleted_at      timestamptz,
    likes_count     bigint      NOT NULL DEFAULT 0,
    reposts_count   bigint      NOT NULL DEFAULT 0,
    bookmarks_count bigint      NOT NULL DEFAULT 0,
    comments_count  bigint      NOT NULL DEFAULT 0,
    UNIQUE (author_id, idempotency_key)
);

CREATE INDEX IF NOT EXISTS posts_author ON posts (author_id, id DESC) WHERE deleted_at IS NULL;

-- Earlier texts of edited posts, oldest first.
CREATE TABLE IF NOT EXISTS post_edits (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id   uuid        NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    text      text        NOT NULL,
    edited_at timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS post_edits_post ON post_edits (post_id, id);

CREATE TABLE IF NOT EXISTS post_tags (
    post_id uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag     text NOT NULL,
    PRIMARY KEY (post_id, tag)
);

CREATE INDEX IF NOT EXISTS post_tags_tag ON post_tags (tag);

CREATE TABLE IF NOT EXISTS post_mentions (
    post_id    uuid   NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, account_id)
);

CREATE TABLE IF NOT EXISTS likes (
    id         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    post_id    uuid        NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, account_id)
);

CREATE TABLE IF NOT EXISTS reposts (
    id         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    post_id    uuid        NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, account_id)
);

CREATE TABLE IF NOT EXISTS bookmarks (
    id         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    post_id    uuid        NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, post_id)
);

CREATE INDEX IF NOT EXISTS bookmarks_account ON bookmarks (account_id, id);
