-- A post's grain reads who bookmarked it when it activates (and counts them): bookmarks by post, not only by account.
CREATE INDEX IF NOT EXISTS bookmarks_post ON bookmarks (post_id);
