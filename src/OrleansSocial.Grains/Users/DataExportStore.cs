using Npgsql;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>The <c>data_exports</c> rows of <see cref="DataExportGrain"/>.</summary>
public sealed class DataExportStore(NpgsqlDataSource db, TimeProvider time)
{
    private const string Columns = "id, status, requested_at, finished_at, expires_at, size, blob_key";

    /// <summary>
    /// A new pending export, unless one is pending or building (returned as <see cref="ExportRequestResult.Building"/>) or
    /// the last was asked for within <paramref name="cooldown"/> (<see cref="ExportRequestResult.NextAllowedAt"/>).
    /// The account's lock (a transaction-scoped advisory lock) makes two requests at once take turns.
    /// </summary>
    public async Task<ExportRequestResult> RequestAsync(long account, TimeSpan cooldown)
    {
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await AccountLocks.LockAsync(tx, shared: false, account).ConfigureAwait(false);
        var latest = (await ListAsync(connection, tx, account, 1).ConfigureAwait(false)).FirstOrDefault();
        if (latest is { Status: ExportStatuses.Pending or ExportStatuses.Building })
        {
            return new ExportRequestResult(null, latest, null);
        }

        if (latest is not null && latest.RequestedAt + cooldown > now)
        {
            return new ExportRequestResult(null, null, latest.RequestedAt + cooldown);
        }

        var export = new DataExport(Guid.CreateVersion7(), ExportStatuses.Pending, now, null, null, null, null);
        await using (var insert = new NpgsqlCommand("INSERT INTO data_exports (id, account_id, status, requested_at) VALUES ($1, $2, 'pending', $3)", connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = export.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = account });
            insert.Parameters.Add(new NpgsqlParameter { Value = now });
            await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await tx.CommitAsync().ConfigureAwait(false);
        return new ExportRequestResult(export, null, null);
    }

    public async Task<IReadOnlyList<DataExport>> ListAsync(long account, int limit = 20)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        return await ListAsync(connection, null, account, limit).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<DataExport>> ListAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, long account, int limit)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM data_exports WHERE account_id = $1 ORDER BY requested_at DESC LIMIT $2", connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var list = new List<DataExport>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            list.Add(new DataExport(r.GetGuid(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.IsDBNull(3) ? null : r.GetFieldValue<DateTimeOffset>(3),
                r.IsDBNull(4) ? null : r.GetFieldValue<DateTimeOffset>(4), r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetString(6)));
        }

        return list;
    }

    /// <summary>
    /// Claims the account's owed build (pending, or building when a crash interrupted it), counting an attempt; marks it
    /// failed instead once it used its attempts. Null when no build is owed.
    /// </summary>
    public async Task<(Guid Id, bool Failed)?> ClaimAsync(long account, int maxAttempts)
    {
        await using var command = db.CreateCommand("""
            UPDATE data_exports SET attempts = attempts + 1, started_at = $2,
                status = CASE WHEN attempts + 1 > $3 THEN 'failed' ELSE 'building' END,
                error = CASE WHEN attempts + 1 > $3 THEN coalesce(error, 'interrupted') ELSE error END,
                finished_at = CASE WHEN attempts + 1 > $3 THEN $2 ELSE NULL END
            WHERE account_id = $1 AND status IN ('pending', 'building')
            RETURNING id, status = 'failed'
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = maxAttempts });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        return await r.ReadAsync().ConfigureAwait(false) ? (r.GetGuid(0), r.GetBoolean(1)) : null;
    }

    public async Task ReadyAsync(Guid id, string blobKey, long size, DateTimeOffset expiresAt)
    {
        await using var command = db.CreateCommand("""
            UPDATE data_exports SET status = 'ready', blob_key = $2, size = $3, finished_at = $4, expires_at = $5, error = NULL WHERE id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = blobKey });
        command.Parameters.Add(new NpgsqlParameter { Value = size });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = expiresAt });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Records why a build failed; the export stays owed (building) until its attempts run out.</summary>
    public async Task FailedAttemptAsync(Guid id, string error)
    {
        await using var command = db.CreateCommand("UPDATE data_exports SET error = $2 WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = error.Length <= 500 ? error : error[..500] });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Ready exports past their lifetime: their blob keys, to delete, then <see cref="ExpiredAsync"/>.</summary>
    public async Task<IReadOnlyList<(Guid Id, string BlobKey)>> DueToExpireAsync(long account)
    {
        await using var command = db.CreateCommand("SELECT id, blob_key FROM data_exports WHERE account_id = $1 AND status = 'ready' AND expires_at <= $2");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var list = new List<(Guid, string)>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            list.Add((r.GetGuid(0), r.GetString(1)));
        }

        return list;
    }

    public async Task DeleteAllAsync(long account)
    {
        await using var command = db.CreateCommand("DELETE FROM data_exports WHERE account_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public async Task ExpiredAsync(Guid id)
    {
        await using var command = db.CreateCommand("UPDATE data_exports SET status = 'expired', blob_key = NULL WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>When the account's next ready export expires; null when none is ready.</summary>
    public async Task<DateTimeOffset?> NextExpiryAsync(long account)
    {
        await using var command = db.CreateCommand("SELECT min(expires_at) FROM data_exports WHERE account_id = $1 AND status = 'ready'");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        return await command.ExecuteScalarAsync().ConfigureAwait(false) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero)
            : null;
    }
}
