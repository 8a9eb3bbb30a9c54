-- Moderation actions (issue 23), each recorded: who did what to which account (and which of its content), why, from
-- which report. Removed content is kept (the rows stay, marked deleted; their media are not released) for appeal and
-- audit. The account hears of it by a 'moderation' notification from the instance naming the action.
CREATE TABLE IF NOT EXISTS moderation_actions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('warn', 'remove_post', 'remove_comment', 'remove_story')),
    moderator_id bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    account_id   bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    post_id      uuid,
    comment_id   bigint,
    story_id     uuid,
    report_id    bigint      REFERENCES reports (id) ON DELETE SET NULL,
    reason       text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS moderation_actions_account ON moderation_actions (account_id, id);

ALTER TABLE notifications ADD COLUMN IF NOT EXISTS action_id bigint REFERENCES moderation_actions (id) ON DELETE CASCADE;
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_type_check
    CHECK (type IN ('follow', 'follow_request', 'follow_approved', 'like', 'comment', 'reply', 'mention', 'repost', 'quote', 'report_resolved', 'moderation'));
