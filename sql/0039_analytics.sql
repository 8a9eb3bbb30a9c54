-- Analytics (issue 23). Views are counted in grains — a viewer's timeline grain knows what it showed them today — and
-- written behind in hourly buckets by each silo's AnalyticsBuffer: never a row per view. Every figure is unique per
-- viewer per day: a post's impressions, a profile's visits, a post's link clicks.
CREATE TABLE IF NOT EXISTS post_stats_hourly (
    post_id        uuid        NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    hour           timestamptz NOT NULL,
    impressions    bigint      NOT NULL DEFAULT 0,
    profile_visits bigint      NOT NULL DEFAULT 0,
    link_clicks    bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, hour)
);

CREATE TABLE IF NOT EXISTS account_stats_hourly (
    account_id       bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hour             timestamptz NOT NULL,
    impressions      bigint      NOT NULL DEFAULT 0,
    profile_visits   bigint      NOT NULL DEFAULT 0,
    followers_gained bigint      NOT NULL DEFAULT 0,
    followers_lost   bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, hour)
);

-- Reach (distinct viewers) as HyperLogLog registers (1,024 one-byte registers): a post's over its life, an account's
-- posts' per day (a date range's reach merges the days' registers).
CREATE TABLE IF NOT EXISTS post_reach (
    post_id   uuid  NOT NULL PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    registers bytea NOT NULL
);

CREATE TABLE IF NOT EXISTS account_reach_daily (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day        date   NOT NULL,
    registers  bytea  NOT NULL,
    PRIMARY KEY (account_id, day)
);

-- Register-wise maximum of two sketches of one size (the union of the viewers they counted).
CREATE OR REPLACE FUNCTION hll_union(a bytea, b bytea) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(set_byte('\x00'::bytea, 0, greatest(get_byte(a, i), get_byte(b, i))), ''::bytea ORDER BY i)
    FROM generate_series(0, length(a) - 1) AS i
$$;

-- What a viewer's timeline grain was shown today (posts, profiles, links), kept across its deactivations.
CREATE TABLE IF NOT EXISTS view_ledgers (
    account_id bigint NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    day        date   NOT NULL,
    posts      uuid[] NOT NULL,
    other      text[] NOT NULL
);

CREATE INDEX IF NOT EXISTS comments_post_created ON comments (post_id, created_at) WHERE deleted_at IS NULL;
