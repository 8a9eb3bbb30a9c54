-- Front ends read the sessions revoked since they last looked (their access tokens stop working at once).
CREATE INDEX IF NOT EXISTS sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
