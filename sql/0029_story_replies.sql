-- Replies and reactions to stories arrive as direct messages to the author quoting the story: the message names the
-- story (the quote outlives the story: its media goes at expiry, the text stays). A reaction (one emoji) is also kept
-- on the reacting viewer's view row, so the author's viewer list shows it. A story deleted by its author is marked so
-- (it may not be highlighted; an expired one may).
ALTER TABLE messages ADD COLUMN IF NOT EXISTS story_id uuid REFERENCES stories (id) ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN IF NOT EXISTS story_reaction boolean NOT NULL DEFAULT false;
ALTER TABLE story_views ADD COLUMN IF NOT EXISTS reaction text;
ALTER TABLE stories ADD COLUMN IF NOT EXISTS deleted boolean NOT NULL DEFAULT false;
