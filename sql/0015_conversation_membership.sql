-- Read receipts of direct conversations carry a time: when the recipient's read pointer first passed the message.
-- (Groups show who has read a message from the members' pointers.)
ALTER TABLE messages ADD COLUMN IF NOT EXISTS read_at timestamptz;
