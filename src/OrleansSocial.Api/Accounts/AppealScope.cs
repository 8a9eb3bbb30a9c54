using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace OrleansSocial.Api.Accounts;

/// <summary>
/// A suspended account that signs in with its password gets no session to use the service, only an appeal token: an
/// access token carrying <see cref="Claim"/> that lets it read the actions taken against it, appeal them, and sign out.
/// Every other request with such a token is refused (403) before it reaches an endpoint or a hub.
/// </summary>
public static class AppealScope
{
    public const string Claim = "scope";
    public const string Value = "appeal";

    public static bool IsAppealOnly(this ClaimsPrincipal user) => user?.FindFirst(Claim)?.Value == Value;

    private static bool Allowed(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) && request.Path.Equals("/api/v1/accounts/me/moderation_actions", StringComparison.Ordinal))
        || (HttpMethods.IsPost(request.Method) && request.Path.StartsWithSegments("/api/v1/accounts/me/moderation_actions", StringComparison.Ordinal)
            && request.Path.Value!.EndsWith("/appeal", StringComparison.Ordinal))
        || (HttpMethods.IsDelete(request.Method) && request.Path.Equals("/api/v1/sessions/current", StringComparison.Ordinal));

    /// <summary>Refuses whatever an appeal token may not do (after authentication).</summary>
    public static IApplicationBuilder UseAppealScope(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.User.IsAppealOnly() && !Allowed(context.Request))
        {
            await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "This account is suspended.",
                detail: "This token only reads the actions taken against the account and appeals them.",
                extensions: new Dictionary<string, object?> { ["reason"] = "suspended" }).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    });
}
