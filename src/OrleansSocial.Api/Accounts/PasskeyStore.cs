using System.Security.Cryptography;
using Fido2NetLib.Objects;
using Npgsql;

namespace OrleansSocial.Api.Accounts;

/// <summary>Where the relying party is: its id (the registrable domain the browser sees) and the origins pages call it from.</summary>
public sealed class PasskeyOptions
{
    /// <summary>The WebAuthn relying-party id: the site's domain. Default <c>localhost</c>.</summary>
    public string RelyingPartyId { get; set; } = "localhost";

    /// <summary>The name authenticators show for the site.</summary>
    public string RelyingPartyName { get; set; } = "OrleansSocial";

    /// <summary>Origins (scheme, host, port) of the pages allowed to run the ceremonies. Default the development host.</summary>
    public string[] Origins { get; set; } = ["http://localhost:5080"];

    /// <summary>How long a ceremony (its challenge) may take. Default 5 minutes.</summary>
    public TimeSpan CeremonyLifetime { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>A registered passkey as its owner sees it.</summary>
public sealed record Passkey(long Id, string Name, Guid Aaguid, bool BackedUp, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>What an assertion is checked against: the stored key and counter, and the account owning it.</summary>
public sealed record StoredPasskey(long Id, long AccountId, byte[] PublicKey, uint SignCount, byte[] UserHandle);

/// <summary>What the ceremonies are for.</summary>
public static class CeremonyPurpose
{
    public const string Register = "register";
    public const string SignIn = "sign_in";
    public const string SecondFactor = "second_factor";
}

/// <summary>A ceremony's options, for the account it was started for (none for a usernameless sign-in).</summary>
public sealed record Ceremony(long? AccountId, string Options);

/// <summary>Passkeys (WebAuthn credentials) of accounts, and the ceremonies in flight between their two requests.</summary>
public sealed class PasskeyStore(NpgsqlDataSource db, PasskeyOptions options, TimeProvider time)
{
    /// <summary>Passkeys an account may hold.</summary>
    public const int MaxPerAccount = 20;

    public async Task<IReadOnlyList<Passkey>> ListAsync(long account, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT id, name, aaguid, backed_up, created_at, last_used_at FROM passkeys WHERE account_id = $1 ORDER BY id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<Passkey>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new Passkey(r.GetInt64(0), r.GetString(1), r.GetGuid(2), r.GetBoolean(3), r.GetFieldValue<DateTimeOffset>(4),
                r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5)));
        }

        return list;
    }

    /// <summary>The credential ids of an account's passkeys (to exclude at registration, or allow as a second factor).</summary>
    public async Task<IReadOnlyList<PublicKeyCredentialDescriptor>> DescriptorsAsync(long account, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT credential_id, transports FROM passkeys WHERE account_id = $1 ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<PublicKeyCredentialDescriptor>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var transports = r.GetFieldValue<string[]>(1).Select(t => Enum.TryParse<AuthenticatorTransport>(t, true, out var v) ? v : (AuthenticatorTransport?)null)
                .OfType<AuthenticatorTransport>().ToArray();
            list.Add(new PublicKeyCredentialDescriptor(PublicKeyCredentialType.PublicKey, r.GetFieldValue<byte[]>(0), transports.Length == 0 ? null : transports));
        }

        return list;
    }

    /// <summary>The account's WebAuthn user id: the one its passkeys carry, or a new random one for its first.</summary>
    public async Task<byte[]> UserHandleAsync(long account, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT user_handle FROM passkeys WHERE account_id = $1 LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) as byte[] ?? RandomNumberGenerator.GetBytes(32);
    }

    /// <summary>Whether any account already has this credential.</summary>
    public async Task<bool> IsCredentialKnownAsync(byte[] credentialId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT EXISTS (SELECT 1 FROM passkeys WHERE credential_id = $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = credentialId });
        return (bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Stores a verified new credential; null when the account holds <see cref="MaxPerAccount"/> already or the credential is registered.</summary>
    public async Task<Passkey?> AddAsync(long account, string name, RegisteredPublicKeyCredential credential, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(credential);
        await using var command = db.CreateCommand("""
            INSERT INTO passkeys (account_id, credential_id, public_key, user_handle, sign_count, name, aaguid, transports, backed_up, created_at)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
            WHERE (SELECT count(*) FROM passkeys WHERE account_id = $1) < $11
            ON CONFLICT (credential_id) DO NOTHING
            RETURNING id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = credential.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = credential.PublicKey });
        command.Parameters.Add(new NpgsqlParameter { Value = credential.User.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)credential.SignCount });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = credential.AaGuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (credential.Transports ?? []).Select(t => t.ToString().ToLowerInvariant()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = credential.IsBackedUp });
        var now = time.GetUtcNow();
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = MaxPerAccount });
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is long id ? new Passkey(id, name, credential.AaGuid, credential.IsBackedUp, now, null) : null;
    }

    /// <summary>The stored passkey with this credential id, whoever owns it.</summary>
    public async Task<StoredPasskey?> FindAsync(byte[] credentialId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT id, account_id, public_key, sign_count, user_handle FROM passkeys WHERE credential_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = credentialId });
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false)
            ? new StoredPasskey(r.GetInt64(0), r.GetInt64(1), r.GetFieldValue<byte[]>(2), (uint)r.GetInt64(3), r.GetFieldValue<byte[]>(4))
            : null;
    }

    /// <summary>
    /// Records a verified use: the new counter (only forward, so two racing uses of one assertion cannot both count) and
    /// the time. False when another use got there first.
    /// </summary>
    public async Task<bool> UsedAsync(long id, uint previousCount, uint signCount, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            UPDATE passkeys SET sign_count = $3, last_used_at = $4 WHERE id = $1 AND sign_count = $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)previousCount });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)signCount });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Removes one of the account's passkeys: false when it has none by that id.</summary>
    public async Task<bool> RemoveAsync(long account, long id, CancellationToken ct)
    {
        await using var command = db.CreateCommand("DELETE FROM passkeys WHERE account_id = $1 AND id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Keeps a ceremony's options until it finishes; returns its id (given once). Expired ceremonies are cleared on the way.</summary>
    public async Task<string> BeginAsync(string purpose, long? account, string optionsJson, CancellationToken ct)
    {
        var id = SecretTokens.New();
        await using var batch = db.CreateBatch();
        var clear = new NpgsqlBatchCommand("DELETE FROM webauthn_ceremonies WHERE expires_at < $1");
        clear.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        var insert = new NpgsqlBatchCommand("INSERT INTO webauthn_ceremonies (id_hash, purpose, account_id, options, expires_at) VALUES ($1, $2, $3, $4, $5)");
        insert.Parameters.Add(new NpgsqlParameter { Value = SecretTokens.Hash(id) });
        insert.Parameters.Add(new NpgsqlParameter { Value = purpose });
        insert.Parameters.Add(new NpgsqlParameter { Value = account.HasValue ? account.Value : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        insert.Parameters.Add(new NpgsqlParameter { Value = optionsJson });
        insert.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() + options.CeremonyLifetime });
        batch.BatchCommands.Add(clear);
        batch.BatchCommands.Add(insert);
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return id;
    }

    /// <summary>Spends a live ceremony of this purpose: its options, once; null when unknown, spent, expired or of another purpose.</summary>
    public async Task<Ceremony?> FinishAsync(string id, string purpose, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            DELETE FROM webauthn_ceremonies WHERE id_hash = $1 AND purpose = $2 AND expires_at > $3 RETURNING account_id, options
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = SecretTokens.Hash(id) });
        command.Parameters.Add(new NpgsqlParameter { Value = purpose });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? new Ceremony(r.IsDBNull(0) ? null : r.GetInt64(0), r.GetString(1)) : null;
    }

}
