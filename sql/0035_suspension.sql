-- Suspension (issue 23): a suspended account cannot sign in (its sessions are revoked when it is suspended), is hidden
-- with everything it made — its grain answers no account, so its posts, stories and profile show to no one — and its
-- follows are frozen (no relationship of it changes). Nothing is deleted: unsuspending brings it all back.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS suspended_at timestamptz;

ALTER TABLE moderation_actions DROP CONSTRAINT IF EXISTS moderation_actions_kind_check;
ALTER TABLE moderation_actions ADD CONSTRAINT moderation_actions_kind_check
    CHECK (kind IN ('warn', 'remove_post', 'remove_comment', 'remove_story', 'suspend', 'unsuspend'));
