-- Sign-up blocklist (issue 23, admin console): email domains (a domain blocks its subdomains too) and single addresses
-- that may not register, kept lower-case. Existing accounts are not affected.
CREATE TABLE IF NOT EXISTS signup_blocks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('domain', 'email')),
    value      text        NOT NULL,
    reason     text        NOT NULL DEFAULT '',
    created_by bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, value)
);
