-- Limiting (silencing) an account (issue 23): its posts and stories reach only its followers — not trends, search,
-- hashtags or anyone else — and the account leaves account search for everyone but its followers. Reversible.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS limited_at timestamptz;

ALTER TABLE moderation_actions DROP CONSTRAINT IF EXISTS moderation_actions_kind_check;
ALTER TABLE moderation_actions ADD CONSTRAINT moderation_actions_kind_check
    CHECK (kind IN ('warn', 'remove_post', 'remove_comment', 'remove_story', 'suspend', 'unsuspend', 'mark_sensitive', 'limit', 'unlimit'));
