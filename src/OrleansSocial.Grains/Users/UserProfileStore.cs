using Npgsql;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>The profile columns of the <c>accounts</c> table, read and written by <see cref="UserGrain"/>.</summary>
public sealed class UserProfileStore(NpgsqlDataSource db)
{
    /// <summary>The profile, its version and the account's counters, or null when there is no such account.</summary>
    public async Task<(UserProfile Profile, long Version, AccountCounts Counts)?> GetAsync(long id, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT id, username, email, email_verified_at IS NOT NULL, display_name, bio, website, is_private, role, created_at, profile_version,
                   followers_count, following_count, posts_count, counts_version, dm_policy
            FROM accounts WHERE id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }

        var profile = new UserProfile(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.GetString(4),
            reader.GetString(5), reader.GetString(6), reader.GetBoolean(7), reader.GetString(8), reader.GetFieldValue<DateTimeOffset>(9),
            reader.GetString(15));
        return (profile, reader.GetInt64(10), new AccountCounts(reader.GetInt64(11), reader.GetInt64(12), reader.GetInt64(13), reader.GetInt64(14)));
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
