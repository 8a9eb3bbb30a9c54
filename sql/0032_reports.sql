-- Reports and the moderation queue (issue 23). A report names an account and, optionally, content of it the reporter
-- could see (posts, comments, a story, messages of a conversation they are in); one open report per reporter and target
-- (a second one merges into it). Moderators assign, annotate and resolve or reject; the reporter is told.
CREATE TABLE IF NOT EXISTS reports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id   bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    category    text        NOT NULL CHECK (category IN ('spam', 'harassment', 'hate', 'violence', 'sexual_minors', 'self_harm', 'impersonation', 'other')),
    comment     text        NOT NULL DEFAULT '',
    status      text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'rejected')),
    assignee_id bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    closed_by   bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    resolution  text
);

CREATE UNIQUE INDEX IF NOT EXISTS reports_one_open ON reports (reporter_id, target_id) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS reports_open_queue ON reports (category, id) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS reports_target ON reports (target_id, id);
CREATE INDEX IF NOT EXISTS reports_reporter_recent ON reports (reporter_id, created_at);

-- What a report points at: kind and the thing's key (a message: its conversation and number).
CREATE TABLE IF NOT EXISTS report_items (
    report_id       bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    kind            text   NOT NULL CHECK (kind IN ('post', 'comment', 'story', 'message')),
    post_id         uuid,
    comment_id      bigint,
    story_id        uuid,
    conversation_id uuid,
    message_seq     bigint
);

CREATE UNIQUE INDEX IF NOT EXISTS report_items_unique ON report_items (report_id, kind, coalesce(post_id::text, comment_id::text, story_id::text, conversation_id::text || ':' || message_seq));

CREATE TABLE IF NOT EXISTS report_notes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id  bigint      NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    author_id  bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    text       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS report_notes_report ON report_notes (report_id, id);

-- The audit log: every moderator and admin action, appended, never changed. The actor is kept by id and name as they
-- were (no foreign key: deleting an account must not rewrite the log), and a trigger refuses updates, deletes and
-- truncation to everyone but a superuser who disables it.
CREATE TABLE IF NOT EXISTS audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id    bigint      NOT NULL,
    actor_name  text        NOT NULL,
    action      text        NOT NULL,
    target_type text        NOT NULL,
    target_id   text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log (target_type, target_id, id);

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$;

DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Notifications from the instance itself (a report resolved) have no actor, and may name a report.
ALTER TABLE notifications ALTER COLUMN actor_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS report_id bigint REFERENCES reports (id) ON DELETE CASCADE;
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_type_check
    CHECK (type IN ('follow', 'follow_request', 'follow_approved', 'like', 'comment', 'reply', 'mention', 'repost', 'quote', 'report_resolved'));
