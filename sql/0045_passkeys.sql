-- Passkeys (issue 24): WebAuthn credentials an account registered. credential_id is the authenticator's id for it,
-- public_key its COSE key; user_handle is the opaque WebAuthn user id of the account (random, the same for all of an
-- account's passkeys; it names the account in a usernameless sign-in). sign_count is the authenticator's counter,
-- which must grow (a cloned authenticator shows as a counter going back).
-- A ceremony (registration, usernameless sign-in, or sign-in's second step) keeps the options it sent, the challenge
-- among them, for a few minutes; finishing it spends it.
CREATE TABLE IF NOT EXISTS passkeys (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    credential_id bytea       NOT NULL UNIQUE,
    public_key    bytea       NOT NULL,
    user_handle   bytea       NOT NULL,
    sign_count    bigint      NOT NULL DEFAULT 0,
    name          text        NOT NULL,
    aaguid        uuid        NOT NULL,
    transports    text[]      NOT NULL DEFAULT '{}',
    backed_up     boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz
);
CREATE INDEX IF NOT EXISTS passkeys_account ON passkeys (account_id);
CREATE INDEX IF NOT EXISTS passkeys_user_handle ON passkeys (user_handle);

CREATE TABLE IF NOT EXISTS webauthn_ceremonies (
    id_hash    bytea       PRIMARY KEY,
    purpose    text        NOT NULL,
    account_id bigint      REFERENCES accounts (id) ON DELETE CASCADE,
    options    text        NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS webauthn_ceremonies_expiry ON webauthn_ceremonies (expires_at);
