using Npgsql;
using OrleansSocial.Users;

using OrleansSocial.Text;

namespace OrleansSocial.Api.Accounts;

/// <summary>An account row.</summary>
public sealed record Account(
    long Id, string Username, string Email, string PasswordHash, string DisplayName, string Bio, string Website,
    bool IsPrivate, string Role, DateTimeOffset CreatedAt, bool EmailVerified, bool Suspended = false)
{
    /// <summary>An admin forced a password reset: the password no longer signs in until a new one is set.</summary>
    public bool PasswordResetRequired { get; init; }

    /// <summary>Deleted by its owner and waiting out the grace period (signing in restores it), or erased.</summary>
    public bool Deactivated { get; init; }

    public UserProfile ToProfile() => new(Id, Username, Email, EmailVerified, DisplayName, Bio, Website, IsPrivate, Role, CreatedAt);
}

/// <summary>Why an account could not be created.</summary>
public enum CreateAccountConflict
{
    None,
    Username,
    Email,
}

/// <summary>The <c>accounts</c> table.</summary>
public sealed class AccountStore(NpgsqlDataSource db)
{
    private const string Columns =
        "id, username, email, password_hash, display_name, bio, website, is_private, role, created_at, email_verified_at IS NOT NULL, suspended_at IS NOT NULL, password_reset_required, deactivated_at IS NOT NULL";

    /// <summary>
    /// Inserts an account; a taken username or email (case-insensitively, in normalisation form C, as every lookup
    /// compares them) is reported, never thrown.
    /// </summary>
    public async Task<(Account? Account, CreateAccountConflict Conflict)> CreateAsync(string username, string email, string passwordHash, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"""
            INSERT INTO accounts (username, email, password_hash, display_name) VALUES ($1, $2, $3, $1)
            RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = ClientText.Nfc(username) });
        command.Parameters.Add(new NpgsqlParameter { Value = ClientText.Nfc(email) });
        command.Parameters.Add(new NpgsqlParameter { Value = passwordHash });
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            return (Read(reader), CreateAccountConflict.None);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return (null, e.ConstraintName == "accounts_email_key" ? CreateAccountConflict.Email : CreateAccountConflict.Username);
        }
    }

    /// <summary>The account whose username or email is <paramref name="login"/> (case-insensitively).</summary>
    public Task<Account?> FindByLoginAsync(string login, CancellationToken ct) =>
        QuerySingleAsync($"SELECT {Columns} FROM accounts WHERE lower(username) = lower($1) OR lower(email) = lower($1) LIMIT 1", ClientText.Nfc(login), ct);

    public Task<Account?> FindByEmailAsync(string email, CancellationToken ct) =>
        QuerySingleAsync($"SELECT {Columns} FROM accounts WHERE lower(email) = lower($1)", ClientText.Nfc(email), ct);

    /// <summary>Marks the address confirmed if it is still the account's address; false otherwise.</summary>
    public async Task<bool> MarkEmailVerifiedAsync(long id, string email, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            "UPDATE accounts SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1 AND lower(email) = lower($2)");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = ClientText.Nfc(email) });
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public Task<Account?> GetAsync(long id, CancellationToken ct) =>
        QuerySingleAsync($"SELECT {Columns} FROM accounts WHERE id = $1", id, ct);

    public async Task SetPasswordHashAsync(long id, string passwordHash, CancellationToken ct)
    {
        await using var command = db.CreateCommand("UPDATE accounts SET password_hash = $2, password_reset_required = false WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = passwordHash });
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Whether the sign-up blocklist refuses the address: the address itself, or its domain or a parent of it.</summary>
    public async Task<bool> SignupBlockedAsync(string email, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(email);
        var address = email.Trim().ToLowerInvariant();
        var domain = address[(address.LastIndexOf('@') + 1)..];
        await using var command = db.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM signup_blocks WHERE (kind = 'email' AND value = $1) OR (kind = 'domain' AND ($2 = value OR $2 LIKE '%.' || value)))
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = address });
        command.Parameters.Add(new NpgsqlParameter { Value = domain });
        return (bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public async Task SetRoleAsync(long id, string role, CancellationToken ct)
    {
        await using var command = db.CreateCommand("UPDATE accounts SET role = $2 WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }


    private async Task<Account?> QuerySingleAsync<T>(string sql, T parameter, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? Read(reader) : null;
    }

    private static Account Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
        r.GetBoolean(7), r.GetString(8), r.GetFieldValue<DateTimeOffset>(9), r.GetBoolean(10), r.GetBoolean(11)) { PasswordResetRequired = r.GetBoolean(12), Deactivated = r.GetBoolean(13) };
}
