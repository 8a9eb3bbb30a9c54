using Npgsql;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>An account's profile as its grain loads it at activation, with its counters and the version they are current to.</summary>
public sealed record LoadedAccount(UserProfile Profile, long ProfileVersion, AccountCounts Counts, bool Counted, long CountsVersion);

/// <summary>
/// The profile columns of the <c>accounts</c> table, read and written by <see cref="UserGrain"/>, and the account's
/// counters: kept by the grain (its Orleans state), with a copy in the row's <c>*_count</c> columns for SQL that reads
/// them, written with a recount. Rows they count change without writing the account's row beyond setting <c>counts_open</c> (see
/// <see cref="AccountLocks"/>); the grain clears it after storing figures counted under the account's lock.
/// </summary>
public sealed class UserProfileStore(NpgsqlDataSource db)
{
    private const string ProfileColumns = """
        id, username, email, email_verified_at IS NOT NULL, display_name, bio, website, is_private, role, created_at, profile_version, dm_policy,
        (SELECT original_key FROM media WHERE id = a.avatar_media), (SELECT original_key FROM media WHERE id = a.header_media), a.suspended_at IS NOT NULL, a.limited_at IS NOT NULL,
        a.deactivated_at IS NOT NULL
        """;

    // The rows an account's counters count.
    private const string CountFollowers = "(SELECT count(*) FROM follows WHERE followee_id = a.id)";
    private const string CountFollowing = "(SELECT count(*) FROM follows WHERE follower_id = a.id)";
    private const string CountPosts = "(SELECT count(*) FROM posts WHERE author_id = a.id AND deleted_at IS NULL)";

    /// <summary>The profile and its version, or null when there is no such account.</summary>
    public async Task<(UserProfile Profile, long Version)?> GetAsync(long id, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"SELECT {ProfileColumns} FROM accounts a WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? (ReadProfile(reader), reader.GetInt64(10)) : null;
    }

    /// <summary>
    /// The profile and the counters, under the account's lock, with the version they are current to. The counters are
    /// counted from the rows when <paramref name="count"/> is set (the grain has no stored figures) or the row says the
    /// stored figures are behind (<c>counts_open</c>); otherwise the row's copy is returned, which equals the figures the
    /// grain stored when it cleared the mark. Null when there is no such account.
    /// </summary>
    public async Task<LoadedAccount?> LoadAsync(long id, bool count, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        var read = new NpgsqlBatchCommand($"""
            SELECT {ProfileColumns}, counts_open OR $2,
                   CASE WHEN counts_open OR $2 THEN {CountFollowers} ELSE followers_count END,
                   CASE WHEN counts_open OR $2 THEN {CountFollowing} ELSE following_count END,
                   CASE WHEN counts_open OR $2 THEN {CountPosts} ELSE posts_count END,
                   {AccountLocks.CurrentVersion}
            FROM accounts a WHERE id = $1
            """);
        read.Parameters.Add(new NpgsqlParameter { Value = id });
        read.Parameters.Add(new NpgsqlParameter { Value = count });
        var loaded = await AccountLocks.ReadLockedAsync(tx, id, read, async (reader, token) => await reader.ReadAsync(token).ConfigureAwait(false)
            ? new LoadedAccount(ReadProfile(reader), reader.GetInt64(10),
                new AccountCounts(reader.GetInt64(18), reader.GetInt64(19), reader.GetInt64(20)), reader.GetBoolean(17), reader.GetInt64(21))
            : null, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return loaded;
    }

    /// <summary>
    /// Counts the account's rows under its lock, which the returned closing holds until disposed: the grain stores the
    /// figures in its state, then <see cref="CountsClosing.CompleteAsync"/> copies them to the row and clears
    /// <c>counts_open</c> — in that order, so a failure in between leaves the mark set and the next activation counts
    /// again. No change to the counted rows commits meanwhile (they wait for the lock). Null when the account is gone.
    /// </summary>
    public async Task<CountsClosing?> BeginCloseCountsAsync(long id)
    {
        var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        try
        {
            var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
            if (await CountLockedAsync(tx, id).ConfigureAwait(false) is { } counted)
            {
                return new CountsClosing(connection, tx, id, counted.Counts);
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Figures counted under the account's lock, held until this is completed or disposed (which rolls back).</summary>
    public sealed class CountsClosing(NpgsqlConnection connection, NpgsqlTransaction tx, long id, AccountCounts counted) : IAsyncDisposable
    {
        public AccountCounts Counted { get; } = counted;

        /// <summary>The grain stored <paramref name="stored"/>: the row gets them and its mark is cleared.</summary>
        public async Task CompleteAsync(AccountCounts stored)
        {
            await WriteCountsAsync(connection, tx, id, stored, close: true).ConfigureAwait(false);
            await tx.CommitAsync().ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            await tx.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Counts the account's rows under its lock, with the version the figures are current to, and copies them to the row's
    /// columns (for SQL that reads them; the mark stays as it is). Null when the account is gone.
    /// </summary>
    public async Task<(AccountCounts Counts, long Version)?> RecountAsync(long id)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        if (await CountLockedAsync(tx, id).ConfigureAwait(false) is not { } counted)
        {
            return null;
        }

        await WriteCountsAsync(connection, tx, id, counted.Counts, close: false).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return counted;
    }

    // The account's rows counted under its lock, with the version the count is current to; null for no account.
    private static Task<(AccountCounts Counts, long Version)?> CountLockedAsync(NpgsqlTransaction tx, long id)
    {
        var read = new NpgsqlBatchCommand($"SELECT {CountFollowers}, {CountFollowing}, {CountPosts}, {AccountLocks.CurrentVersion} FROM accounts a WHERE id = $1");
        read.Parameters.Add(new NpgsqlParameter { Value = id });
        return AccountLocks.ReadLockedAsync<(AccountCounts, long)?>(tx, id, read, async (reader, ct) => await reader.ReadAsync(ct).ConfigureAwait(false)
            ? (new AccountCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)), reader.GetInt64(3))
            : null);
    }

    private static async Task WriteCountsAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, long id, AccountCounts counts, bool close)
    {
        ArgumentNullException.ThrowIfNull(counts);
        await using var command = new NpgsqlCommand("""
            UPDATE accounts SET followers_count = $2, following_count = $3, posts_count = $4, counts_open = counts_open AND NOT $5
            WHERE id = $1 AND ((followers_count, following_count, posts_count) IS DISTINCT FROM ($2, $3, $4) OR ($5 AND counts_open))
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = counts.Followers });
        command.Parameters.Add(new NpgsqlParameter { Value = counts.Following });
        command.Parameters.Add(new NpgsqlParameter { Value = counts.Posts });
        command.Parameters.Add(new NpgsqlParameter { Value = close });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static UserProfile ReadProfile(NpgsqlDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), r.GetString(4),
        r.GetString(5), r.GetString(6), r.GetBoolean(7), r.GetString(8), r.GetFieldValue<DateTimeOffset>(9), r.GetString(11),
        r.IsDBNull(12) ? null : r.GetString(12), r.IsDBNull(13) ? null : r.GetString(13), r.GetBoolean(14)) { Limited = r.GetBoolean(15), Deactivated = r.GetBoolean(16) };

    /// <summary>
    /// Makes <paramref name="mediaId"/> (a processed upload of the account for that purpose; null: none) the account's
    /// avatar or header if the row is still at <paramref name="expectedVersion"/>; the one it replaces is marked deleted.
    /// Returns the new version and the replaced upload's blob token; null when someone else wrote in between.
    /// <see cref="ArgumentException"/> when the upload is not one the account may use.
    /// </summary>
    public async Task<(long Version, string? ReleasedToken)?> SetImageAsync(long id, string purpose, Guid? mediaId, long expectedVersion, CancellationToken ct)
    {
        var column = purpose switch
        {
            "avatar" => "avatar_media",
            "header" => "header_media",
            _ => throw new ArgumentException("An account image is an avatar or a header.", nameof(purpose)),
        };
        await using var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (mediaId is { } media)
        {
            await using var check = new NpgsqlCommand(
                "SELECT 1 FROM media WHERE id = $1 AND account_id = $2 AND purpose = $3 AND status = 'ready' AND deleted_at IS NULL", connection, tx);
            check.Parameters.Add(new NpgsqlParameter { Value = media });
            check.Parameters.Add(new NpgsqlParameter { Value = id });
            check.Parameters.Add(new NpgsqlParameter { Value = purpose });
            if (await check.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
            {
                throw new ArgumentException($"That upload cannot be your {purpose}.", purpose);
            }
        }

        await using var set = new NpgsqlCommand($"""
            WITH old AS (SELECT {column} AS previous FROM accounts WHERE id = $1 AND profile_version = $3 FOR UPDATE),
                 changed AS (UPDATE accounts SET {column} = $2, profile_version = profile_version + 1
                             WHERE id = $1 AND profile_version = $3 RETURNING profile_version),
                 released AS (UPDATE media SET deleted_at = now()
                              WHERE id = (SELECT previous FROM old) AND id IS DISTINCT FROM $2 RETURNING token)
            SELECT (SELECT profile_version FROM changed), (SELECT token FROM released)
            """, connection, tx);
        set.Parameters.Add(new NpgsqlParameter { Value = id });
        set.Parameters.Add(new NpgsqlParameter { Value = (object?)mediaId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        set.Parameters.Add(new NpgsqlParameter { Value = expectedVersion });
        await using (var r = await set.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await r.ReadAsync(ct).ConfigureAwait(false);
            if (r.IsDBNull(0))
            {
                return null;
            }

            var result = (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1));
            await r.DisposeAsync().ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }
    }

    /// <summary>
    /// Writes the editable columns if the row is still at <paramref name="expectedVersion"/>; returns the new version, or
    /// null when someone else wrote in between.
    /// </summary>
    public async Task<long?> UpdateAsync(UserProfile profile, long expectedVersion, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(profile);
        await using var command = db.CreateCommand("""
            UPDATE accounts SET display_name = $3, bio = $4, website = $5, is_private = $6, dm_policy = $7, profile_version = profile_version + 1
            WHERE id = $1 AND profile_version = $2
            RETURNING profile_version
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = profile.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = expectedVersion });
        command.Parameters.Add(new NpgsqlParameter { Value = profile.DisplayName });
        command.Parameters.Add(new NpgsqlParameter { Value = profile.Bio });
        command.Parameters.Add(new NpgsqlParameter { Value = profile.Website });
        command.Parameters.Add(new NpgsqlParameter { Value = profile.IsPrivate });
        command.Parameters.Add(new NpgsqlParameter { Value = profile.DmPolicy });
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is long version ? version : null;
    }

    /// <summary>
    /// When the account was last seen online as recorded before presence moved to the user grain's state (null: never,
    /// or not since presence was recorded); read once for accounts whose grain has no presence state yet.
    /// </summary>
    public async Task<DateTimeOffset?> LastSeenAsync(long id)
    {
        await using var command = db.CreateCommand("SELECT last_seen_at FROM accounts WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync().ConfigureAwait(false) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }
}
