-- Accounts and their sign-in sessions. Usernames and emails are unique case-insensitively (unique indexes on lower()).
CREATE TABLE IF NOT EXISTS accounts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username         text        NOT NULL,
    email            text        NOT NULL,
    password_hash    text        NOT NULL,
    display_name     text        NOT NULL DEFAULT '',
    bio              text        NOT NULL DEFAULT '',
    website          text        NOT NULL DEFAULT '',
    is_private       boolean     NOT NULL DEFAULT false,
    role             text        NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    email_verified_at timestamptz,
    failed_logins    integer     NOT NULL DEFAULT 0,
    locked_until     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS accounts_username_key ON accounts (lower(username));
CREATE UNIQUE INDEX IF NOT EXISTS accounts_email_key ON accounts (lower(email));
