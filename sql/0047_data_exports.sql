-- Data exports (issue 24): an account's archive, built in the background by its DataExportGrain (a reminder restarts
-- a build a crash interrupted), kept in the media store for 7 days and downloaded by its owner only. One export at a
-- time per account (the partial unique index), and one asked for per 24 hours (checked when asking).
CREATE TABLE IF NOT EXISTS data_exports (
    id           uuid        PRIMARY KEY,
    account_id   bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status       text        NOT NULL CHECK (status IN ('pending', 'building', 'ready', 'failed', 'expired')),
    requested_at timestamptz NOT NULL,
    started_at   timestamptz,
    finished_at  timestamptz,
    expires_at   timestamptz,
    blob_key     text,
    size         bigint,
    attempts     int         NOT NULL DEFAULT 0,
    error        text
);
CREATE INDEX IF NOT EXISTS data_exports_account ON data_exports (account_id, requested_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS data_exports_one_active ON data_exports (account_id) WHERE status IN ('pending', 'building');
