using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace OrleansSocial.Api.Accounts;

/// <summary>
/// Failed sign-ins per account and source (<c>login_failures</c>). A source is an IPv4 address or an IPv6 /64 (what one
/// party can easily hold many of). After <see cref="AuthOptions.LockoutThreshold"/> failures in a row from one source,
/// that source waits before its next try — 1 s, then twice as long after each further failure, at most
/// <see cref="AuthOptions.LockoutDuration"/> — while the owner signing in from anywhere else is not held back. Failures
/// older than <see cref="AuthOptions.LockoutDuration"/> are forgotten.
/// </summary>
public sealed class LoginThrottle(NpgsqlDataSource db, AuthOptions options, TimeProvider time)
{
    /// <summary>The source of a request: its IPv4 address, its IPv6 /64, or "unknown".</summary>
    public static string SourceOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>Whether <paramref name="source"/> must wait before trying to sign in to the account again.</summary>
    public async Task<bool> IsHeldAsync(long accountId, string source, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT locked_until > $3 FROM login_failures WHERE account_id = $1 AND source = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        command.Parameters.Add(new NpgsqlParameter { Value = source });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    /// <summary>Counts a failure; true when it is the one that starts holding the source back (the owner is told then).</summary>
    public async Task<bool> RecordFailureAsync(long accountId, string source, CancellationToken ct)
    {
        // The count after this failure, from the row as it was (a run older than the lockout duration starts again).
        const string Count = "(CASE WHEN f.last_failed_at < $3 - $5 THEN 1 ELSE f.failures + 1 END)";
        await using var command = db.CreateCommand($"""
            INSERT INTO login_failures AS f (account_id, source, failures, last_failed_at, locked_until)
            VALUES ($1, $2, 1, $3, CASE WHEN $4 <= 1 THEN $3 + interval '1 second' END)
            ON CONFLICT (account_id, source) DO UPDATE
            SET failures = {Count}, last_failed_at = $3,
                locked_until = CASE WHEN {Count} >= $4 THEN $3 + least(power(2, least({Count} - $4, 30)) * interval '1 second', $5) END
            RETURNING failures
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        command.Parameters.Add(new NpgsqlParameter { Value = source });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = options.LockoutThreshold });
        command.Parameters.Add(new NpgsqlParameter { Value = options.LockoutDuration });
        var failures = (int)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        return failures == options.LockoutThreshold;
    }

    /// <summary>A successful sign-in from <paramref name="source"/> (or, with null, the owner's sign-in link) clears the count.</summary>
    public async Task ClearAsync(long accountId, string? source, CancellationToken ct)
    {
        await using var command = db.CreateCommand("DELETE FROM login_failures WHERE account_id = $1 AND ($2::text IS NULL OR source = $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)source ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
