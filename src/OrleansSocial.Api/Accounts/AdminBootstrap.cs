using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansSocial.Api.Accounts;

/// <summary>The first administrator, from configuration only (section <c>Auth:Admin</c>): no API can create one.</summary>
public sealed class AdminOptions
{
    public string Username { get; set; } = "";

    public string Email { get; set; } = "";

    /// <summary>Used only when the account does not exist yet.</summary>
    public string Password { get; set; } = "";
}

/// <summary>
/// At start-up, makes the configured account an admin, creating it when it does not exist. Invalid settings stop the
/// start with a message saying which.
/// </summary>
internal sealed partial class AdminBootstrap(AdminOptions options, AccountStore store, IPasswordHasher<Account> hasher, ILogger<AdminBootstrap> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.Username))
        {
            return;
        }

        var existing = await store.FindByLoginAsync(options.Username, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            if (!AccountRules.IsValidUsername(options.Username) || !AccountRules.IsValidEmail(options.Email)
                || AccountRules.PasswordProblem(options.Password, options.Username) is not null)
            {
                throw new InvalidOperationException(
                    "Auth:Admin needs a valid Username, Email and Password (at least 10 characters, not common) to create the first admin.");
            }

            var (created, _) = await store.CreateAsync(options.Username, options.Email, hasher.HashPassword(null!, options.Password), cancellationToken)
                .ConfigureAwait(false);
            existing = created ?? await store.FindByLoginAsync(options.Username, cancellationToken).ConfigureAwait(false);
        }

        if (existing is not null && existing.Role != "admin")
        {
            await store.SetRoleAsync(existing.Id, "admin", cancellationToken).ConfigureAwait(false);
            LogPromoted(logger, existing.Username);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(80, LogLevel.Warning, "Account {Username} is an administrator (from Auth:Admin)")]
    private static partial void LogPromoted(ILogger logger, string username);
}
