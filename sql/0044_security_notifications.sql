-- Security notifications (issue 24): the instance tells an account of a sign-in from a new device, a password change and
-- a change to its two-factor sign-in, in the app (type security, the event in detail) and by email.
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS detail text;

ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_type_check
    CHECK (type IN ('follow', 'follow_request', 'follow_approved', 'like', 'comment', 'reply', 'mention', 'repost', 'quote', 'report_resolved', 'moderation',
                    'appeal_decided', 'security'));
