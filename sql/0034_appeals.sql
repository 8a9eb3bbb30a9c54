-- Appeals (issue 23): the account a moderation action was taken against may appeal it once; an admin grants (the action
-- is reversed: removed posts and comments come back) or denies it, with a reason; the account is told either way.
CREATE TABLE IF NOT EXISTS appeals (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action_id  bigint      NOT NULL UNIQUE REFERENCES moderation_actions (id) ON DELETE CASCADE,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    text       text        NOT NULL,
    status     text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'granted', 'denied')),
    decided_by bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    decision   text,
    created_at timestamptz NOT NULL DEFAULT now(),
    decided_at timestamptz
);

CREATE INDEX IF NOT EXISTS appeals_open ON appeals (id) WHERE status = 'open';

ALTER TABLE moderation_actions ADD COLUMN IF NOT EXISTS reversed_at timestamptz;

ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_type_check
    CHECK (type IN ('follow', 'follow_request', 'follow_approved', 'like', 'comment', 'reply', 'mention', 'repost', 'quote', 'report_resolved', 'moderation',
                    'appeal_decided'));
