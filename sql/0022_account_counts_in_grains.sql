-- An account's counters (followers, following, posts) are kept by its user grain, in Orleans grain storage, written
-- when the grain deactivates; the columns on accounts are a copy written behind for SQL that reads them. A change to
-- the rows they count (a follow, a post) no longer updates accounts: it sets counts_open (a write only when it was
-- clear), which the grain clears after storing figures counted from the rows; an activation that finds it set counts
-- the rows. Every account starts open: its grain has stored nothing yet.
--
-- Changes touching an account are ordered by versions from account_versions, taken while holding the account's
-- advisory lock (key pair 1, hashint8(id)); counts_version, bumped on the row by every change, is gone.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS counts_open boolean NOT NULL DEFAULT true;
CREATE SEQUENCE IF NOT EXISTS account_versions;
SELECT setval('account_versions', GREATEST(1, (SELECT COALESCE(max(counts_version), 0) FROM accounts)));
ALTER TABLE accounts DROP COLUMN IF EXISTS counts_version;
