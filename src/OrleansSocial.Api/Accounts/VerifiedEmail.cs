using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Accounts;

/// <summary>Settings of accounts (section <c>Accounts</c>).</summary>
public sealed class AccountOptions
{
    /// <summary>
    /// Accounts whose email is not confirmed may sign in and read, but not post, repost, comment, message or follow.
    /// Default on (off only for a local run without mail).
    /// </summary>
    public bool RequireVerifiedEmail { get; set; } = true;
}

/// <summary>
/// Holds the actions that reach other people (posting, reposting, commenting, messaging, following) until the caller
/// has confirmed their email address, when <see cref="AccountOptions.RequireVerifiedEmail"/> is on. A token issued
/// after the confirmation says so (<c>email_verified</c>) and costs nothing to check; an older one asks the account's
/// grain, so the confirmation counts at once.
/// </summary>
public static class VerifiedEmail
{
    public const string Claim = "email_verified";

    public static TBuilder RequireVerifiedEmail<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory((context, next) =>
        {
            if (context.ApplicationServices.GetService<AccountOptions>() is not { RequireVerifiedEmail: true })
            {
                return next;
            }

            var grains = context.ApplicationServices.GetRequiredService<IGrainFactory>();
            return async invocation =>
            {
                var user = invocation.HttpContext.User;
                if (user.FindFirst(Claim)?.Value == "true"
                    || await grains.Reference<IUserGrain>(user.AccountId()).GetProfileAsync().ConfigureAwait(false) is { EmailVerified: true })
                {
                    return await next(invocation).ConfigureAwait(false);
                }

                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Confirm your email address first.",
                    detail: "Follow the link we emailed you; POST /api/v1/accounts/me/verify_email sends a new one.",
                    extensions: new Dictionary<string, object?> { ["reason"] = "email_unverified" });
            };
        });
}
