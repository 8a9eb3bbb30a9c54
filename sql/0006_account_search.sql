-- Account search: prefix and fuzzy (trigram) matches on username and display name.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS accounts_username_trgm ON accounts USING gin (lower(username) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS accounts_display_name_trgm ON accounts USING gin (lower(display_name) gin_trgm_ops);
