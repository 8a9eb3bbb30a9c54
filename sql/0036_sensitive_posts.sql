-- A moderator may mark a post's media sensitive (issue 23): clients show them behind a warning. A granted appeal
-- clears it.
ALTER TABLE posts ADD COLUMN IF NOT EXISTS sensitive boolean NOT NULL DEFAULT false;

ALTER TABLE moderation_actions DROP CONSTRAINT IF EXISTS moderation_actions_kind_check;
ALTER TABLE moderation_actions ADD CONSTRAINT moderation_actions_kind_check
    CHECK (kind IN ('warn', 'remove_post', 'remove_comment', 'remove_story', 'suspend', 'unsuspend', 'mark_sensitive'));
