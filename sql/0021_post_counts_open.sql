-- A post grain keeps its counters in Orleans grain state and writes them when it deactivates. Until then a like,
-- repost or bookmark row changes in a transaction that also sets counts_open: the stored figures may be behind the
-- rows. The grain clears it after writing its figures at deactivation; an activation that finds it set (its
-- predecessor died) counts the rows afresh instead of trusting the stored figures.
ALTER TABLE posts ADD COLUMN IF NOT EXISTS counts_open boolean NOT NULL DEFAULT false;
