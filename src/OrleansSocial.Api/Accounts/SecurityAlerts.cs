using Npgsql;
using Orleans;
using OrleansSocial.Api.Email;
using OrleansSocial.Notifications;

namespace OrleansSocial.Api.Accounts;

/// <summary>
/// Tells an account of what touches its security — a sign-in from a device it never signed in from, a password change,
/// a two-factor change, a passkey added or removed — in the app (a <c>security</c> notification from the instance) and by email.
/// </summary>
public sealed class SecurityAlerts(NpgsqlDataSource db, IGrainFactory grains, AccountMail mail, EmailQueue outgoing)
{
    public const string NewSignIn = "new_sign_in";
    public const string PasswordChanged = "password_changed";
    public const string TwoFactorEnabled = "two_factor_enabled";
    public const string TwoFactorDisabled = "two_factor_disabled";
    public const string BackupCodesRenewed = "backup_codes_renewed";
    public const string PasskeyAdded = "passkey_added";
    public const string PasskeyRemoved = "passkey_removed";
    public const string DeletionCancelled = "deletion_cancelled";

    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        [NewSignIn] = "A sign-in from a new device",
        [PasswordChanged] = "Your password was changed",
        [TwoFactorEnabled] = "Two-factor sign-in was turned on",
        [TwoFactorDisabled] = "Two-factor sign-in was turned off",
        [BackupCodesRenewed] = "New backup codes were made",
        [PasskeyAdded] = "A passkey was added",
        [PasskeyRemoved] = "A passkey was removed",
        [DeletionCancelled] = "Signing in cancelled the deletion of your account",
    };

    /// <summary>
    /// A session just started on <paramref name="device"/>: alerts when the account has signed in before but never from
    /// this device (its user agent) — not at the first sign-in after signing up.
    /// </summary>
    public async Task SignedInAsync(Account account, Guid session, string device, string ip, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(account);
        await using var command = db.CreateCommand("""
            SELECT count(*) FILTER (WHERE id <> $2), count(*) FILTER (WHERE id <> $2 AND device = $3) FROM sessions WHERE account_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = session });
        command.Parameters.Add(new NpgsqlParameter { Value = device });
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        if (r.GetInt64(0) > 0 && r.GetInt64(1) == 0)
        {
            await AlertAsync(account, NewSignIn, device, ip).ConfigureAwait(false);
        }
    }

    /// <summary>Tells the account of <paramref name="what"/> (one of the constants), from <paramref name="device"/> at <paramref name="ip"/>.</summary>
    public async Task AlertAsync(Account account, string what, string device, string ip)
    {
        ArgumentNullException.ThrowIfNull(account);
        await grains.GetGrain<INotificationInboxGrain>(account.Id)
            .NotifyAsync(new NotificationRequest(NotificationTypes.Security, 0) { Detail = what })
            .ConfigureAwait(false);
        outgoing.Enqueue(mail.SecurityAlert(account.Email, account.Username, Descriptions[what], Shorten(device), ip));
    }

    private static string Shorten(string device) => device.Length <= 200 ? device : device[..200];
}
