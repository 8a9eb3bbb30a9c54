using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace OrleansSocial.Api.Accounts;

/// <summary>What an emailed token is for.</summary>
public enum EmailTokenPurpose
{
    VerifyEmail,
    ResetPassword,

    /// <summary>A one-time sign-in link, sent when someone keeps failing to sign in; redeeming it clears every delay.</summary>
    SignIn,
}

/// <summary>
/// Single-use tokens sent by email (<c>email_tokens</c>), stored hashed. Issuing a token retires the account's earlier
/// unused ones of the same purpose, so only the newest link works.
/// </summary>
public sealed class EmailTokenStore(NpgsqlDataSource db, TimeProvider time)
{
    public static TimeSpan VerifyEmailLifetime { get; } = TimeSpan.FromHours(24);

    public static TimeSpan ResetPasswordLifetime { get; } = TimeSpan.FromHours(1);

    public static TimeSpan SignInLifetime { get; } = TimeSpan.FromHours(1);

    public async Task<string> IssueAsync(long accountId, string email, EmailTokenPurpose purpose, CancellationToken ct)
    {
        var token = SecretTokens.New();
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var retire = new NpgsqlCommand(
            "UPDATE email_tokens SET used_at = $3 WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL", connection, transaction))
        {
            retire.Parameters.Add(new NpgsqlParameter { Value = accountId });
            retire.Parameters.Add(new NpgsqlParameter { Value = Name(purpose) });
            retire.Parameters.Add(new NpgsqlParameter { Value = now });
            await retire.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using (var insert = new NpgsqlCommand(
            "INSERT INTO email_tokens (token_hash, account_id, purpose, email, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = SecretTokens.Hash(token) });
            insert.Parameters.Add(new NpgsqlParameter { Value = accountId });
            insert.Parameters.Add(new NpgsqlParameter { Value = Name(purpose) });
            insert.Parameters.Add(new NpgsqlParameter { Value = email });
            insert.Parameters.Add(new NpgsqlParameter { Value = now });
            insert.Parameters.Add(new NpgsqlParameter { Value = now + purpose switch
            {
                EmailTokenPurpose.VerifyEmail => VerifyEmailLifetime,
                EmailTokenPurpose.SignIn => SignInLifetime,
                _ => ResetPasswordLifetime,
            } });
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return token;
    }

    /// <summary>
    /// Marks the token used and returns its account and the address it was sent to; null when the token is unknown,
    /// expired, already used or for another purpose. Two concurrent redemptions: exactly one wins.
    /// </summary>
    public async Task<(long AccountId, string Email)?> RedeemAsync(string token, EmailTokenPurpose purpose, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            UPDATE email_tokens SET used_at = $3
            WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
            RETURNING account_id, email
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = SecretTokens.Hash(token) });
        command.Parameters.Add(new NpgsqlParameter { Value = Name(purpose) });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    private static string Name(EmailTokenPurpose purpose) => purpose switch
    {
        EmailTokenPurpose.VerifyEmail => "verify_email",
        EmailTokenPurpose.SignIn => "sign_in",
        _ => "reset_password",
    };

    /// <summary>Whether a token of <paramref name="purpose"/> was issued to the account since <paramref name="since"/>.</summary>
    public async Task<bool> IssuedSinceAsync(long accountId, EmailTokenPurpose purpose, DateTimeOffset since, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT EXISTS (SELECT 1 FROM email_tokens WHERE account_id = $1 AND purpose = $2 AND created_at > $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        command.Parameters.Add(new NpgsqlParameter { Value = Name(purpose) });
        command.Parameters.Add(new NpgsqlParameter { Value = since });
        return (bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

}
