-- Story captions carry hashtags and mentions (as posts do: mentioned accounts by id, their usernames read at load).
-- A message that quotes a story says how: a reply, a reaction, or the author's mention of the recipient in it
-- (story_kind replaces 0029's story_reaction flag, which could say only the first two).
ALTER TABLE stories ADD COLUMN IF NOT EXISTS tags text[] NOT NULL DEFAULT '{}';
ALTER TABLE stories ADD COLUMN IF NOT EXISTS mention_ids bigint[] NOT NULL DEFAULT '{}';

ALTER TABLE messages ADD COLUMN IF NOT EXISTS story_kind text CHECK (story_kind IN ('reply', 'reaction', 'mention'));
UPDATE messages SET story_kind = CASE WHEN story_reaction THEN 'reaction' ELSE 'reply' END WHERE story_id IS NOT NULL AND story_kind IS NULL;
ALTER TABLE messages DROP COLUMN IF EXISTS story_reaction;

-- A story's view count is kept by its grain in Orleans grain storage (write-behind, like posts' and accounts' counters);
-- recording a view marks the stored figure open, and the grain clears the mark once it has written the figure, so an
-- activation that finds it set (its predecessor died with the figure unwritten) counts the rows instead.
ALTER TABLE stories ADD COLUMN IF NOT EXISTS views_open boolean NOT NULL DEFAULT false;
