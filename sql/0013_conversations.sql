-- Direct messages. A conversation is direct (exactly one per pair: pair_key "low:high") or a group. Messages are
-- numbered per conversation (seq); a client id per sender makes a retried send return the first message. `activity`
-- orders a member's conversation list by last activity (a value from one sequence, so it pages by keyset).
CREATE SEQUENCE IF NOT EXISTS conversation_activity_seq;

CREATE TABLE IF NOT EXISTS conversations (
    id         uuid        PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('direct', 'group')),
    pair_key   text        UNIQUE,
    title      text,
    creator_id bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seq   bigint      NOT NULL DEFAULT 0,
    activity   bigint      NOT NULL DEFAULT nextval('conversation_activity_seq')
);

CREATE TABLE IF NOT EXISTS conversation_members (
    conversation_id uuid        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    account_id      bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role            text        NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
    joined_at       timestamptz NOT NULL DEFAULT now(),
    read_seq        bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, account_id)
);
CREATE INDEX IF NOT EXISTS conversation_members_account ON conversation_members (account_id);

CREATE TABLE IF NOT EXISTS messages (
    conversation_id uuid        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             bigint      NOT NULL,
    sender_id       bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id       text        NOT NULL,
    text            text,
    reply_to        bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    edited_at       timestamptz,
    deleted_at      timestamptz,
    PRIMARY KEY (conversation_id, seq),
    UNIQUE (conversation_id, sender_id, client_id)
);
