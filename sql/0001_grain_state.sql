-- Grain state: one row per (service, grain, state name). The payload is the state as JSON; version is the ETag.
-- Writes are compare-and-swap on version. Clearing sets payload to NULL and still bumps version, so versions never
-- repeat for a key and an activation holding an old ETag can never overwrite a newer record.
CREATE TABLE IF NOT EXISTS grain_state (
    service_id  text        NOT NULL,
    grain_type  text        NOT NULL,
    grain_key   text        NOT NULL,
    state_name  text        NOT NULL,
    payload     jsonb,
    version     bigint      NOT NULL,
    modified_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, grain_type, grain_key, state_name)
);
