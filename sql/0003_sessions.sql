-- Sign-in sessions and their refresh tokens. A session is one sign-in on one device; each refresh rotates its
-- refresh token. Presenting a token that was already rotated means it was stolen or replayed: the whole session is
-- revoked. Tokens are stored as SHA-256 hashes only.
CREATE TABLE IF NOT EXISTS sessions (
    id           uuid        PRIMARY KEY,
    account_id   bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    device       text        NOT NULL DEFAULT '',
    ip           text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

CREATE INDEX IF NOT EXISTS sessions_account ON sessions (account_id) WHERE revoked_at IS NULL;

CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash bytea       PRIMARY KEY,
    session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
