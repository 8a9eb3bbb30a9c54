using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using OrleansSocial.Api.Email;
using OrleansSocial.Api.Infrastructure;
using Orleans;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Accounts;

/// <summary>Body of <c>POST /api/v1/accounts/me/password</c>.</summary>
public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary>Body of <c>POST /api/v1/passwords/forgot</c>.</summary>
public sealed record ForgotPasswordRequest(string? Email);

/// <summary>Body of <c>POST /api/v1/passwords/reset</c>: the emailed token and the new password.</summary>
public sealed record ResetPasswordRequest(string? Token, string? NewPassword);

/// <summary>Changing a password, and resetting a forgotten one by emailed token.</summary>
public static class PasswordEndpoints
{
    public static RouteGroupBuilder MapPasswordEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/accounts/me/password", ChangePasswordAsync).WithTags("Accounts").RequireAuthorization().RequireRateLimiting(RateLimiting.AuthPolicy)
            .WithName("ChangePassword").WithSummary("Changes the password (the current one is required) and signs out every other session.");
        var passwords = api.MapGroup("/passwords").WithTags("Accounts").AllowAnonymous().RequireRateLimiting(RateLimiting.AuthPolicy);
        passwords.MapPost("/forgot", ForgotAsync).WithName("ForgotPassword")
            .WithSummary("Emails a password reset link (single use, 1 h) if an account has this address; the answer is the same either way.");
        passwords.MapPost("/reset", ResetAsync).WithName("ResetPassword")
            .WithSummary("Sets a new password with the emailed token and signs out every session.");
        return api;
    }

    private static async Task<Results<NoContent, ValidationProblem, NotFound>> ChangePasswordAsync(ChangePasswordRequest body, ClaimsPrincipal user,
        AccountStore store, SessionStore sessions, IPasswordHasher<Account> hasher, SecurityAlerts alerts, HttpContext http, CancellationToken ct)
    {
        var account = await store.GetAsync(user.AccountId(), ct).ConfigureAwait(false);
        if (account is null)
        {
            return TypedResults.NotFound();
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(body.CurrentPassword)
            || hasher.VerifyHashedPassword(account, account.PasswordHash, body.CurrentPassword) == PasswordVerificationResult.Failed)
        {
            errors["current_password"] = ["The current password is wrong."];
        }

        if (AccountRules.PasswordProblem(body.NewPassword, account.Username) is { } problem)
        {
            errors["new_password"] = [problem];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The password was not changed.");
        }

        await store.SetPasswordHashAsync(account.Id, hasher.HashPassword(account, body.NewPassword!), ct).ConfigureAwait(false);
        await sessions.RevokeOthersAsync(account.Id, user.SessionId(), ct).ConfigureAwait(false);
        await alerts.AlertAsync(account, SecurityAlerts.PasswordChanged, http.Request.Headers.UserAgent.ToString(), http.Connection.RemoteIpAddress?.ToString() ?? "")
            .ConfigureAwait(false);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Accepted, ValidationProblem>> ForgotAsync(ForgotPasswordRequest body, AccountStore store,
        EmailTokenStore emailTokens, AccountMail mail, EmailQueue outgoing, CancellationToken ct)
    {
        if (!AccountRules.IsValidEmail(body.Email))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["email"] = ["The email address is not valid."] });
        }

        // Mail goes out through the queue, so the response looks and takes the same whether or not the account exists.
        if (await store.FindByEmailAsync(body.Email!.Trim(), ct).ConfigureAwait(false) is { } account)
        {
            var token = await emailTokens.IssueAsync(account.Id, account.Email, EmailTokenPurpose.ResetPassword, ct).ConfigureAwait(false);
            outgoing.Enqueue(mail.PasswordReset(account.Email, account.Username, token));
        }

        return TypedResults.Accepted((string?)null);
    }

    private static async Task<Results<NoContent, ValidationProblem>> ResetAsync(ResetPasswordRequest body, AccountStore store, SessionStore sessions,
        EmailTokenStore emailTokens, IPasswordHasher<Account> hasher, IGrainFactory grains, SecurityAlerts alerts, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!AccountRules.IsPlausibleToken(body.Token))
        {
            errors["token"] = ["Give the token from the email."];
        }

        if (AccountRules.PasswordProblem(body.NewPassword, null) is { } problem)
        {
            errors["new_password"] = [problem];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The password was not reset.");
        }

        // The token is spent only once the new password passes the general rules, so a weak password does not waste the link.
        if (await emailTokens.RedeemAsync(body.Token!, EmailTokenPurpose.ResetPassword, ct).ConfigureAwait(false) is not { } redeemed
            || await store.GetAsync(redeemed.AccountId, ct).ConfigureAwait(false) is not { } account)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["token"] = ["The link is not valid, was already used, or expired."] },
                title: "The password was not reset.");
        }

        if (AccountRules.PasswordProblem(body.NewPassword, account.Username) is { } sameAsUsername)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["new_password"] = [sameAsUsername] }, title: "The password was not reset.");
        }

        await store.SetPasswordHashAsync(account.Id, hasher.HashPassword(account, body.NewPassword!), ct).ConfigureAwait(false);
        await sessions.RevokeOthersAsync(account.Id, Guid.Empty, ct).ConfigureAwait(false);
        await alerts.AlertAsync(account, SecurityAlerts.PasswordChanged, http.Request.Headers.UserAgent.ToString(), http.Connection.RemoteIpAddress?.ToString() ?? "")
            .ConfigureAwait(false);

        // Following the emailed link proves the address is the user's.
        if (await store.MarkEmailVerifiedAsync(account.Id, redeemed.Email, ct).ConfigureAwait(false))
        {
            await grains.Reference<IUserGrain>(account.Id).ReloadAsync().ConfigureAwait(false);
        }

        return TypedResults.NoContent();
    }
}
