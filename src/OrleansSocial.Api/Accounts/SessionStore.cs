using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace OrleansSocial.Api.Accounts;

/// <summary>A sign-in session as listed to its owner.</summary>
public sealed record Session(Guid Id, long AccountId, string Device, string Ip, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>The outcome of presenting a refresh token.</summary>
public enum RefreshOutcome
{
    Rotated,
    Unknown,
    Expired,
    Revoked,
    Reused,
}

/// <summary>The <c>sessions</c> and <c>refresh_tokens</c> tables.</summary>
public sealed class SessionStore(NpgsqlDataSource db, TimeProvider time, SessionRevocations? revocations = null)
{
    public static TimeSpan RefreshTokenLifetime { get; } = TimeSpan.FromDays(7);

    /// <summary>Starts a session and returns it with its first refresh token.</summary>
    public async Task<(Session Session, string RefreshToken)> StartAsync(long accountId, string device, string ip, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var now = time.GetUtcNow();
        var token = SecretTokens.New();
        await using var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO sessions (id, account_id, device, ip, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $5)", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = accountId });
            insert.Parameters.Add(new NpgsqlParameter { Value = Truncate(device, 200) });
            insert.Parameters.Add(new NpgsqlParameter { Value = Truncate(ip, 64) });
            insert.Parameters.Add(new NpgsqlParameter { Value = now });
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await AddTokenAsync(connection, transaction, id, token, now, ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return (new Session(id, accountId, device, ip, now, now, null), token);
    }

    /// <summary>
    /// Exchanges a refresh token for a new one. A token that was already exchanged revokes its whole session: someone
    /// else has a copy.
    /// </summary>
    public async Task<(RefreshOutcome Outcome, Session? Session, string? NewToken)> RotateAsync(string refreshToken, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        Guid sessionId;
        DateTimeOffset expiresAt;
        DateTimeOffset? usedAt;
        await using (var find = new NpgsqlCommand(
            "SELECT session_id, expires_at, used_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE", connection, transaction))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = SecretTokens.Hash(refreshToken) });
            await using var reader = await find.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                return (RefreshOutcome.Unknown, null, null);
            }

            sessionId = reader.GetGuid(0);
            expiresAt = reader.GetFieldValue<DateTimeOffset>(1);
            usedAt = reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2);
        }

        var session = await GetAsync(connection, transaction, sessionId, ct).ConfigureAwait(false);
        if (session is null || session.RevokedAt is not null)
        {
            return (RefreshOutcome.Revoked, session, null);
        }

        if (usedAt is not null)
        {
            await RevokeAsync(connection, transaction, sessionId, now, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            revocations?.Revoked([sessionId]);
            return (RefreshOutcome.Reused, session, null);
        }

        if (expiresAt <= now)
        {
            return (RefreshOutcome.Expired, session, null);
        }

        await using (var use = new NpgsqlCommand("UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1", connection, transaction))
        {
            use.Parameters.Add(new NpgsqlParameter { Value = SecretTokens.Hash(refreshToken) });
            use.Parameters.Add(new NpgsqlParameter { Value = now });
            await use.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using (var touch = new NpgsqlCommand("UPDATE sessions SET last_used_at = $2 WHERE id = $1", connection, transaction))
        {
            touch.Parameters.Add(new NpgsqlParameter { Value = sessionId });
            touch.Parameters.Add(new NpgsqlParameter { Value = now });
            await touch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        var token = SecretTokens.New();
        await AddTokenAsync(connection, transaction, sessionId, token, now, ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return (RefreshOutcome.Rotated, session with { LastUsedAt = now }, token);
    }

    /// <summary>The account's sessions that are still signed in, newest first.</summary>
    public async Task<IReadOnlyList<Session>> ListActiveAsync(long accountId, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            "SELECT id, account_id, device, ip, created_at, last_used_at, revoked_at FROM sessions WHERE account_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC");
        command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var sessions = new List<Session>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            sessions.Add(Read(reader));
        }

        return sessions;
    }

    /// <summary>Revokes one of the account's sessions; false when it has no such session.</summary>
    public async Task<bool> RevokeAsync(long accountId, Guid sessionId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("UPDATE sessions SET revoked_at = coalesce(revoked_at, $3) WHERE id = $1 AND account_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = sessionId });
        command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        if (await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1)
        {
            return false;
        }

        revocations?.Revoked([sessionId]);
        return true;
    }

    /// <summary>Revokes every session of the account except <paramref name="keep"/>; returns how many.</summary>
    public async Task<int> RevokeOthersAsync(long accountId, Guid keep, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            "WITH revoked AS (UPDATE sessions SET revoked_at = $3 WHERE account_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING id) SELECT ARRAY(SELECT id FROM revoked)");
        command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        command.Parameters.Add(new NpgsqlParameter { Value = keep });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        var revoked = (Guid[])(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        revocations?.Revoked(revoked);
        return revoked.Length;
    }

    private static async Task<Session?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT id, account_id, device, ip, created_at, last_used_at, revoked_at FROM sessions WHERE id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? Read(reader) : null;
    }

    private static async Task RevokeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, DateTimeOffset now, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("UPDATE sessions SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task AddTokenAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, string token,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) VALUES ($1, $2, $3, $4)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = SecretTokens.Hash(token) });
        command.Parameters.Add(new NpgsqlParameter { Value = sessionId });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = now + RefreshTokenLifetime });
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static Session Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetInt64(1), r.GetString(2), r.GetString(3),
        r.GetFieldValue<DateTimeOffset>(4), r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6));



    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
