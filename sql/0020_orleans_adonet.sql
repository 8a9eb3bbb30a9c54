-- Orleans' ADO.NET providers on PostgreSQL: grain storage (AddAdoNetGrainStorage, Invariant "Npgsql") and reminders
-- (UseAdoNetReminderService). The providers ship no SQL: at silo start they read the text of every operation from
-- orleansquery by key, then bind named parameters (@ServiceId, @GrainIdHash, ...) and read result columns by name.
-- This is our implementation of that contract as Orleans 10.4.2 uses it: grain state is written only as
-- @PayloadBinary; reminders are keyed by service, grain and name and carry start time and period. A test runs the
-- 10.4.2 providers against it (OrleansSocial.Orleans.Tests). An Orleans upgrade that changes the contract gets a
-- migration of its own.
CREATE TABLE IF NOT EXISTS orleansquery (
    querykey  varchar(64)   PRIMARY KEY,
    querytext varchar(8000) NOT NULL
);

-- Grain state: one row per (service, grain type, grain id); version is the ETag, bumped by every write and clear.
CREATE TABLE IF NOT EXISTS orleans_storage (
    service_id     varchar(150) NOT NULL,
    grain_type     varchar(512) NOT NULL,
    grain_id_n0    bigint       NOT NULL,
    grain_id_n1    bigint       NOT NULL,
    grain_id_ext   varchar(512) NOT NULL DEFAULT '',
    grain_id_hash  integer      NOT NULL,
    grain_type_hash integer     NOT NULL,
    payload_binary bytea,
    modified_on    timestamptz  NOT NULL DEFAULT now(),
    version        integer      NOT NULL,
    PRIMARY KEY (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext)
);

-- Reminders: one row per (service, grain, name); version is the ETag.
CREATE TABLE IF NOT EXISTS orleans_reminders (
    service_id      varchar(150) NOT NULL,
    grain_id        varchar(150) NOT NULL,
    reminder_name   varchar(150) NOT NULL,
    start_time      timestamptz  NOT NULL,
    period          bigint       NOT NULL,
    grain_hash      integer      NOT NULL,
    version         integer      NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);
CREATE INDEX IF NOT EXISTS orleans_reminders_hash ON orleans_reminders (service_id, grain_hash);

INSERT INTO orleansquery (querykey, querytext) VALUES
('ReadFromStorageKey', '
    SELECT payload_binary AS PayloadBinary, version AS Version
    FROM orleans_storage
    WHERE service_id = @ServiceId AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_id_ext = coalesce(@GrainIdExtensionString, '''')'),
('WriteToStorageKey', '
    WITH updated AS (
        UPDATE orleans_storage SET payload_binary = @PayloadBinary, version = version + 1, modified_on = now()
        WHERE service_id = @ServiceId AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
          AND grain_id_ext = coalesce(@GrainIdExtensionString, '''') AND version = @GrainStateVersion
        RETURNING version),
    inserted AS (
        INSERT INTO orleans_storage (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext, grain_id_hash, grain_type_hash, payload_binary, version)
        SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, coalesce(@GrainIdExtensionString, ''''), @GrainIdHash, @GrainTypeHash, @PayloadBinary, 1
        WHERE @GrainStateVersion IS NULL
        ON CONFLICT DO NOTHING
        RETURNING version)
    SELECT version AS NewGrainStateVersion FROM updated
    UNION ALL SELECT version FROM inserted
    UNION ALL SELECT @GrainStateVersion WHERE @GrainStateVersion IS NOT NULL AND NOT EXISTS (SELECT 1 FROM updated)'),
('ClearStorageKey', '
    WITH cleared AS (
        UPDATE orleans_storage SET payload_binary = NULL, version = version + 1, modified_on = now()
        WHERE service_id = @ServiceId AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
          AND grain_id_ext = coalesce(@GrainIdExtensionString, '''') AND version = @GrainStateVersion
        RETURNING version)
    SELECT version AS NewGrainStateVersion FROM cleared
    UNION ALL SELECT @GrainStateVersion WHERE @GrainStateVersion IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cleared)')
ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

INSERT INTO orleansquery (querykey, querytext) VALUES
('UpsertReminderRowKey', '
    INSERT INTO orleans_reminders AS r (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
    VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period::bigint, @GrainHash, 0)
    ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
    SET start_time = excluded.start_time, period = excluded.period, grain_hash = excluded.grain_hash, version = r.version + 1
    RETURNING version AS Version'),
('ReadReminderRowsKey', '
    SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period AS Period, version AS Version
    FROM orleans_reminders WHERE service_id = @ServiceId AND grain_id = @GrainId'),
('ReadReminderRowKey', '
    SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period AS Period, version AS Version
    FROM orleans_reminders WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName'),
('ReadRangeRows1Key', '
    SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period AS Period, version AS Version
    FROM orleans_reminders WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash'),
('ReadRangeRows2Key', '
    SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period AS Period, version AS Version
    FROM orleans_reminders WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)'),
('DeleteReminderRowKey', '
    WITH deleted AS (
        DELETE FROM orleans_reminders
        WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName AND version = @Version
        RETURNING 1)
    SELECT count(*)::integer FROM deleted'),
('DeleteReminderRowsKey', '
    DELETE FROM orleans_reminders WHERE service_id = @ServiceId')
ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
