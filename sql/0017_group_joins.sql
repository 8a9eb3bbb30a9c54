-- A member added to a group sees its messages from the moment they joined: joined_seq is the conversation's last
-- message number when they joined (0 for the members it started with), and history, previews and unread counts show a
-- member only messages after it.
ALTER TABLE conversation_members ADD COLUMN IF NOT EXISTS joined_seq bigint NOT NULL DEFAULT 0;
