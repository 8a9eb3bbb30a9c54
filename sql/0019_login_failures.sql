-- Failed sign-ins are counted per account and per source (an IPv4 address, or an IPv6 /64): a stranger's guesses
-- delay only the stranger, never the account's owner signing in from elsewhere. From the fifth failure in a row a
-- source waits before its next try, twice as long each time (1 s, 2 s, 4 s ... at most the lockout duration); the
-- owner is emailed a sign-in link that clears every delay on the account.
CREATE TABLE IF NOT EXISTS login_failures (
    account_id     bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    source         text        NOT NULL,
    failures       int         NOT NULL,
    last_failed_at timestamptz NOT NULL,
    locked_until   timestamptz,
    PRIMARY KEY (account_id, source)
);

-- The account-wide lock (anyone could trigger it for anyone) is gone.
ALTER TABLE accounts DROP COLUMN IF EXISTS failed_logins;
ALTER TABLE accounts DROP COLUMN IF EXISTS locked_until;

ALTER TABLE email_tokens DROP CONSTRAINT IF EXISTS email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check CHECK (purpose IN ('verify_email', 'reset_password', 'sign_in'));
