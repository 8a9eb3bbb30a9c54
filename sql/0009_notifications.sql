-- Notifications, one row per event for its recipient. Muted and blocked actors' notifications are never created and
-- are left out of lists while the mute or block lasts. Preferences: a row per type switched off (absent = on).
CREATE TABLE IF NOT EXISTS notifications (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type         text        NOT NULL CHECK (type IN ('follow', 'follow_request', 'follow_approved', 'like', 'comment', 'reply', 'mention', 'repost', 'quote')),
    actor_id     bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    post_id      uuid        REFERENCES posts (id) ON DELETE CASCADE,
    comment_id   bigint      REFERENCES comments (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz
);

CREATE INDEX IF NOT EXISTS notifications_recipient ON notifications (recipient_id, id DESC);
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (recipient_id) WHERE read_at IS NULL;

CREATE TABLE IF NOT EXISTS notification_preferences (
    account_id bigint  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type       text    NOT NULL,
    enabled    boolean NOT NULL,
    PRIMARY KEY (account_id, type)
);
