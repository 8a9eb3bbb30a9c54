-- Instance statistics for admins (issue 23): which accounts were active on which day (a row per account and day,
-- written with last_active_at, at most once an hour per account), and block-range indexes over the creation times the
-- per-day counts read (tiny, and cheap to keep: rows arrive in time order).
CREATE TABLE IF NOT EXISTS account_activity_days (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day        date   NOT NULL,
    PRIMARY KEY (day, account_id)
);

INSERT INTO account_activity_days (account_id, day)
SELECT id, (last_active_at AT TIME ZONE 'UTC')::date FROM accounts ON CONFLICT DO NOTHING;

CREATE INDEX IF NOT EXISTS accounts_created_brin ON accounts USING brin (created_at);
CREATE INDEX IF NOT EXISTS posts_created_brin ON posts USING brin (created_at);
CREATE INDEX IF NOT EXISTS messages_created_brin ON messages USING brin (created_at);
CREATE INDEX IF NOT EXISTS reports_created_brin ON reports USING brin (created_at);
CREATE INDEX IF NOT EXISTS reports_closed_brin ON reports USING brin (closed_at);
