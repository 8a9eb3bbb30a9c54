-- How many attachments a post has (kept by the transaction that attaches them), so a profile's media tab reads the
-- author's posts with media from one index instead of joining the media table.
ALTER TABLE posts ADD COLUMN IF NOT EXISTS media_count smallint NOT NULL DEFAULT 0;

UPDATE posts p SET media_count = m.n
FROM (SELECT post_id, count(*)::smallint AS n FROM media WHERE post_id IS NOT NULL AND deleted_at IS NULL GROUP BY post_id) m
WHERE p.id = m.post_id AND p.media_count <> m.n;

CREATE INDEX IF NOT EXISTS posts_author_media ON posts (author_id, seq) WHERE media_count > 0 AND deleted_at IS NULL;
