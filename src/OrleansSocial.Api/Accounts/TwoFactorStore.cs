using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;
using OtpNet;

namespace OrleansSocial.Api.Accounts;

/// <summary>What an account has turned on for its second factor.</summary>
public sealed record TwoFactorStatus(bool Totp, bool TotpPending, int BackupCodesLeft);

/// <summary>A sign-in waiting for its second factor.</summary>
public sealed record MfaChallenge(long AccountId, string Device, string Ip);

/// <summary>
/// TOTP secrets (encrypted with Data Protection, whose keys every front end shares through PostgreSQL), backup codes
/// (SHA-256 hashes, each usable once) and the challenges of sign-ins that still owe a second factor.
/// </summary>
public sealed class TwoFactorStore(NpgsqlDataSource db, IDataProtectionProvider protection, TimeProvider time)
{
    /// <summary>How long a sign-in may take to give its second factor.</summary>
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Wrong codes a challenge takes before it is void (the sign-in starts over, under the login throttle).</summary>
    public const int ChallengeAttempts = 5;

    public const int BackupCodeCount = 10;

    private readonly IDataProtector _secrets = protection.CreateProtector("OrleansSocial.Totp.v1");

    public async Task<TwoFactorStatus> StatusAsync(long account, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT (SELECT confirmed_at IS NOT NULL FROM totp_secrets WHERE account_id = $1),
                   (SELECT count(*) FROM backup_codes WHERE account_id = $1 AND used_at IS NULL)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new TwoFactorStatus(!r.IsDBNull(0) && r.GetBoolean(0), !r.IsDBNull(0) && !r.GetBoolean(0), (int)r.GetInt64(1));
    }

    /// <summary>A new secret (Base32) awaiting confirmation; refused (null) while TOTP is on.</summary>
    public async Task<string?> EnrolAsync(long account, CancellationToken ct)
    {
        var secret = KeyGeneration.GenerateRandomKey(20);
        await using var command = db.CreateCommand("""
            INSERT INTO totp_secrets (account_id, secret, created_at) VALUES ($1, $2, $3)
            ON CONFLICT (account_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, last_step = 0
            WHERE totp_secrets.confirmed_at IS NULL
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = _secrets.Protect(Base32Encoding.ToString(secret)) });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1 ? Base32Encoding.ToString(secret) : null;
    }

    /// <summary>
    /// Checks a TOTP code (this step, the one before or the one after) and spends its step: true once, for a step newer than
    /// any accepted before. <paramref name="confirming"/>: the code of a pending secret, which turns TOTP on.
    /// </summary>
    public async Task<bool> VerifyTotpAsync(long account, string code, bool confirming, CancellationToken ct)
    {
        if (code.Length != 6 || !code.All(char.IsAsciiDigit))
        {
            return false;
        }

        await using var read = db.CreateCommand("SELECT secret FROM totp_secrets WHERE account_id = $1 AND (confirmed_at IS NULL) = $2");
        read.Parameters.Add(new NpgsqlParameter { Value = account });
        read.Parameters.Add(new NpgsqlParameter { Value = confirming });
        if (await read.ExecuteScalarAsync(ct).ConfigureAwait(false) is not string stored)
        {
            return false;
        }

        var totp = new Totp(Base32Encoding.ToBytes(_secrets.Unprotect(stored)));
        if (!totp.VerifyTotp(time.GetUtcNow().UtcDateTime, code, out var step, new VerificationWindow(previous: 1, future: 1)))
        {
            return false;
        }

        // The step is spent in the same statement that checks it is new: a replayed code loses the race.
        await using var spend = db.CreateCommand("""
            UPDATE totp_secrets SET last_step = $2, confirmed_at = coalesce(confirmed_at, $3) WHERE account_id = $1 AND last_step < $2
            """);
        spend.Parameters.Add(new NpgsqlParameter { Value = account });
        spend.Parameters.Add(new NpgsqlParameter { Value = step });
        spend.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await spend.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Ten new backup codes (the old ones die), shown once.</summary>
    public async Task<string[]> NewBackupCodesAsync(long account, CancellationToken ct)
    {
        var codes = Enumerable.Range(0, BackupCodeCount).Select(_ => NewBackupCode()).ToArray();
        await using var batch = db.CreateBatch(); // one batch: one implicit transaction
        var clear = new NpgsqlBatchCommand("DELETE FROM backup_codes WHERE account_id = $1");
        clear.Parameters.Add(new NpgsqlParameter { Value = account });
        var add = new NpgsqlBatchCommand("INSERT INTO backup_codes (account_id, code_hash, created_at) SELECT $1, unnest($2::bytea[]), $3");
        add.Parameters.Add(new NpgsqlParameter { Value = account });
        add.Parameters.Add(new NpgsqlParameter { Value = codes.Select(CodeHash).ToArray() });
        add.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        batch.BatchCommands.Add(clear);
        batch.BatchCommands.Add(add);
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return codes;
    }

    /// <summary>Spends a backup code: true once.</summary>
    public async Task<bool> UseBackupCodeAsync(long account, string code, CancellationToken ct)
    {
        await using var command = db.CreateCommand("UPDATE backup_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = CodeHash(code) });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Turns TOTP off: the secret and the backup codes go.</summary>
    public async Task DisableAsync(long account, CancellationToken ct)
    {
        await using var batch = db.CreateBatch();
        foreach (var sql in new[] { "DELETE FROM totp_secrets WHERE account_id = $1", "DELETE FROM backup_codes WHERE account_id = $1" })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = account });
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>A challenge for a sign-in that passed its password; the token is returned once.</summary>
    public async Task<string> ChallengeAsync(long account, string device, string ip, CancellationToken ct)
    {
        var token = SecretTokens.New();
        await using var command = db.CreateCommand("INSERT INTO mfa_challenges (token_hash, account_id, device, ip, expires_at) VALUES ($1, $2, $3, $4, $5)");
        command.Parameters.Add(new NpgsqlParameter { Value = SecretTokens.Hash(token) });
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = device });
        command.Parameters.Add(new NpgsqlParameter { Value = ip });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() + ChallengeLifetime });
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return token;
    }

    /// <summary>The live challenge of the token, counting one attempt; null when it is unknown, spent, expired or out of attempts.</summary>
    public async Task<MfaChallenge?> AttemptAsync(string token, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            UPDATE mfa_challenges SET attempts = attempts + 1
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3
            RETURNING account_id, device, ip
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = SecretTokens.Hash(token) });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = ChallengeAttempts });
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? new MfaChallenge(r.GetInt64(0), r.GetString(1), r.GetString(2)) : null;
    }

    /// <summary>Spends the challenge (its sign-in completed).</summary>
    public async Task CompleteAsync(string token, CancellationToken ct)
    {
        await using var command = db.CreateCommand("UPDATE mfa_challenges SET used_at = $2 WHERE token_hash = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = SecretTokens.Hash(token) });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    // Ten characters of Crockford-like Base32 in two groups: about 50 bits, easy to type.
    private static string NewBackupCode()
    {
        const string alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
        var chars = Enumerable.Range(0, 10).Select(_ => alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)]).ToArray();
        return new string(chars, 0, 5) + "-" + new string(chars, 5, 5);
    }

    // Backup codes are typed by people: compared without case or surrounding space.
    private static byte[] CodeHash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value.Trim().ToLowerInvariant()));
}
