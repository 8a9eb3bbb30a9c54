-- A post's comments are counted by its grain like its likes: adding or deleting a comment sets counts_open instead of
-- updating comments_count, and the grain counts the live comments (replies included) when the mark is set.
CREATE INDEX IF NOT EXISTS comments_post_live ON comments (post_id) WHERE deleted_at IS NULL;
