using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace OrleansSocial.Api.Accounts;

/// <summary>
/// Browser sessions keep their refresh token where scripts cannot read it: a request that sends
/// <c>X-Refresh-Cookie: 1</c> gets its refresh token as an httpOnly, Secure, SameSite=Strict cookie scoped to
/// <c>/api/v1/sessions</c> instead of in the body (<c>refresh_token</c> is empty), and refreshes with that header and
/// no token in the body. The header is the CSRF guard: a page of another site cannot send it (a custom header needs a
/// CORS preflight that only <c>Api:CorsOrigins</c> pass), and the cookie is never sent cross-site anyway. App clients
/// that send no header keep the tokens in the body, unchanged.
/// </summary>
public static class RefreshCookie
{
    public const string Name = "os_refresh";
    public const string Header = "X-Refresh-Cookie";
    private const string CookiePath = "/api/v1/sessions";

    /// <summary>Whether the request asks for (or refreshes with) the cookie.</summary>
    public static bool Wanted(HttpRequest request) => request is not null && string.Equals(request.Headers[Header].ToString(), "1", StringComparison.Ordinal);

    /// <summary>The refresh token a cookie-mode refresh carries; null when the request is not one.</summary>
    public static string? From(HttpRequest request) => Wanted(request) && request.Cookies.TryGetValue(Name, out var token) ? token : null;

    /// <summary>Moves the refresh token of a tokens answer into the cookie when the request asked for it.</summary>
    public static TBuilder WithRefreshCookie<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context).ConfigureAwait(false);
            var inner = result is INestedHttpResult nested ? nested.Result : result;
            if (inner is Ok<TokenResponse> { Value: { RefreshToken.Length: > 0 } tokens } && Wanted(context.HttpContext.Request))
            {
                context.HttpContext.Response.Cookies.Append(Name, tokens.RefreshToken, Options(TimeSpan.FromSeconds(tokens.RefreshExpiresIn)));
                return TypedResults.Ok(tokens with { RefreshToken = "" });
            }

            return result;
        });

    /// <summary>Removes the cookie (signing out).</summary>
    public static void Clear(HttpResponse response) => response?.Cookies.Delete(Name, Options(TimeSpan.Zero));

    private static CookieOptions Options(TimeSpan lifetime) => new()
    {
        HttpOnly = true,
        Secure = true,
        SameSite = SameSiteMode.Strict,
        Path = CookiePath,
        MaxAge = lifetime,
        IsEssential = true,
    };
}
