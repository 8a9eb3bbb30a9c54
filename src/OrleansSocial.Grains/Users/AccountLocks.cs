using Npgsql;

namespace OrleansSocial.Grains.Users;

/// <summary>
/// Per-account ordering of changes to the rows an account's counters and relationship summary are made from, without
/// writing to the account's row. A change takes the account's transaction-scoped advisory lock (key pair 1,
/// <c>hashint8(id)</c>) and, while holding it, a version from the <c>account_versions</c> sequence; whoever reads those
/// rows for the grain takes the lock too and reads <see cref="CurrentVersion"/> after it: every change touching the
/// account with a version up to that number has committed and is in what it reads, every later change has a greater
/// one. Relationship changes and readers lock exclusively; posts (many at once by one author) lock shared.
/// </summary>
internal static class AccountLocks
{
    /// <summary>The version of the newest change any account has had (the sequence's last value).</summary>
    public const string CurrentVersion = "(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM account_versions)";

    /// <summary>A new version, for a change holding the locks of the accounts it touches.</summary>
    public const string NextVersion = "nextval('account_versions')";

    /// <summary>
    /// A batch command that takes the locks of <paramref name="accounts"/> in key order (so two changes locking the same
    /// pair cannot deadlock), held until the transaction ends. Run it as its own statement: a statement's snapshot is
    /// taken before it waits for the locks, so what must be read under them is read by the statements after it.
    /// </summary>
    public static NpgsqlBatchCommand Lock(bool shared, params long[] accounts)
    {
        var command = new NpgsqlBatchCommand($"""
            SELECT {(shared ? "pg_advisory_xact_lock_shared" : "pg_advisory_xact_lock")}(1, k)
            FROM (SELECT DISTINCT hashint8(id) AS k FROM unnest($1::bigint[]) AS t(id) ORDER BY k) AS keys
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = accounts });
        return command;
    }

    /// <summary>
    /// Takes <paramref name="account"/>'s lock (exclusive) in <paramref name="tx"/>, then runs <paramref name="read"/> in the
    /// same round trip (its own statement, so it reads what committed before the lock was granted) and hands its result to
    /// <paramref name="consume"/>.
    /// </summary>
    public static async Task<T> ReadLockedAsync<T>(NpgsqlTransaction tx, long account, NpgsqlBatchCommand read,
        Func<NpgsqlDataReader, CancellationToken, Task<T>> consume, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(consume);
        await using var batch = new NpgsqlBatch(tx.Connection, tx) { BatchCommands = { Lock(shared: false, account), read } };
        await using var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.NextResultAsync(ct).ConfigureAwait(false); // past the lock
        return await consume(reader, ct).ConfigureAwait(false);
    }

    /// <summary>Takes the locks on its own (see <see cref="Lock"/>).</summary>
    public static async Task LockAsync(NpgsqlTransaction tx, bool shared, params long[] accounts)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var batch = new NpgsqlBatch(tx.Connection, tx) { BatchCommands = { Lock(shared, accounts) } };
        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Sets <c>counts_open</c> on the accounts whose counters the change moves (a write only where it was clear): their
    /// grains' stored figures are behind the rows until a grain counts them again.
    /// </summary>
    public const string OpenCounts = "UPDATE accounts SET counts_open = true WHERE id = ANY($1) AND NOT counts_open";
}
