-- Two-factor sign-in (issue 24). Data Protection's key ring lives here so every front end shares it (TOTP secrets are
-- encrypted with it). A TOTP secret takes effect once confirmed with a first code; last_step is the newest time step a
-- code was accepted for, so a code is never accepted twice. Backup codes are stored as SHA-256 hashes, each usable once.
-- A sign-in that passed the password but still owes a second factor holds an mfa challenge (a hashed token, a few
-- minutes, a few attempts).
CREATE TABLE IF NOT EXISTS data_protection_keys (
    name       text        PRIMARY KEY,
    xml        text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS totp_secrets (
    account_id   bigint      PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret       text        NOT NULL,
    confirmed_at timestamptz,
    last_step    bigint      NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS backup_codes (
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash  bytea       NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, code_hash)
);

CREATE TABLE IF NOT EXISTS mfa_challenges (
    token_hash bytea       PRIMARY KEY,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    device     text        NOT NULL DEFAULT '',
    ip         text        NOT NULL DEFAULT '',
    attempts   int         NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
