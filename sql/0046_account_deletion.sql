-- Account deletion (issue 24). An owner's deletion deactivates the account at once (deactivated_at: hidden like a
-- suspended one, its sessions revoked) and schedules its erasure after a grace period; signing in during it cancels.
-- Erasure runs in idempotent steps driven by a reminder (account_erasures keeps where it is, so a silo's crash resumes
-- it elsewhere); pending_recount names accounts whose counters a committed step changed but whose grains were not yet
-- told. The accounts row is left as a placeholder without personal data (erased_at): messages the account sent in
-- others' conversations keep it as their sender, shown as a deleted account. account_erasures has no foreign key: it
-- outlives what it erases, as the audit log does.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS deactivated_at timestamptz;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS erased_at timestamptz;

CREATE TABLE IF NOT EXISTS account_erasures (
    account_id      bigint      PRIMARY KEY,
    requested_at    timestamptz NOT NULL,
    erase_after     timestamptz NOT NULL,
    cancelled_at    timestamptz,
    started_at      timestamptz,
    step            text        NOT NULL DEFAULT 'engagement',
    pending_recount bigint[]    NOT NULL DEFAULT '{}',
    finished_at     timestamptz
);
