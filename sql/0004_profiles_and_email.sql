-- The UserGrain writes an account's profile columns with a version check: profile_version is bumped on every write,
-- so a stale activation (for instance one left on a silo that was wrongly declared dead) cannot overwrite a newer edit.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS profile_version bigint NOT NULL DEFAULT 0;

-- Single-use tokens sent by email: verify an address, reset a password. Stored as SHA-256 hashes only.
CREATE TABLE IF NOT EXISTS email_tokens (
    token_hash bytea       PRIMARY KEY,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    email      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

CREATE INDEX IF NOT EXISTS email_tokens_account ON email_tokens (account_id, purpose) WHERE used_at IS NULL;

-- The development outbox: mail that would have been sent, when no SMTP server is configured.
CREATE TABLE IF NOT EXISTS email_outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_address   text        NOT NULL,
    subject      text        NOT NULL,
    body         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
