using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Orleans;
using OrleansSocial.Api.Email;
using OrleansSocial.Api.Infrastructure;

namespace OrleansSocial.Api.Accounts;

/// <summary>Body of <c>POST /api/v1/sessions</c>: a username or an email, and the password.</summary>
public sealed record LoginRequest(string? Login, string? Password);

/// <summary>A signed-in session's tokens.</summary>
public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn, string RefreshToken, int RefreshExpiresIn);

/// <summary>Body of <c>POST /api/v1/sessions/refresh</c>.</summary>
public sealed record RefreshRequest(string? RefreshToken);

/// <summary>How many sessions were signed out.</summary>
public sealed record RevokedResponse(int Revoked);

/// <summary>A session as listed to its owner.</summary>
public sealed record SessionResponse(string Id, string Device, string Ip, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, bool Current);

/// <summary>Signing in and out, refresh-token rotation, and the list of one's sessions.</summary>
public static class SessionEndpoints
{
    public static RouteGroupBuilder MapSessionEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var sessions = api.MapGroup("/sessions").WithTags("Sessions");
        sessions.MapPost("/", LoginAsync).RequireRateLimiting(RateLimiting.AuthPolicy).AllowAnonymous().WithRefreshCookie()
            .WithName("Login").WithSummary("Signs in with a username or email and a password.");
        sessions.MapPost("/link", SignInWithLinkAsync).RequireRateLimiting(RateLimiting.AuthPolicy).AllowAnonymous().WithRefreshCookie()
            .WithName("SignInWithLink").WithSummary("Signs in with the one-time link emailed after repeated failed sign-ins; lifts every delay on the account.");
        sessions.MapPost("/refresh", RefreshAsync).RequireRateLimiting(RateLimiting.AuthPolicy).AllowAnonymous().WithRefreshCookie()
            .WithName("Refresh").WithSummary("Exchanges a refresh token for new tokens; a reused refresh token revokes its session.");
        sessions.MapGet("/", ListSessionsAsync).RequireAuthorization().WithName("Sessions").WithSummary("My signed-in sessions.");
        sessions.MapDelete("/current", LogoutAsync).RequireAuthorization().WithName("Logout").WithSummary("Signs this session out.");
        sessions.MapDelete("/{id}", RevokeSessionAsync).RequireAuthorization().WithName("RevokeSession").WithSummary("Signs one of my sessions out.");
        sessions.MapPost("/revoke_others", RevokeOthersAsync).RequireAuthorization().WithName("RevokeOtherSessions")
            .WithSummary("Signs out every session but this one.");
        return api;
    }

    private static async Task<Results<Ok<TokenResponse>, Ok<MfaRequiredResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest body, AccountStore store, SessionStore sessions, IPasswordHasher<Account> hasher, TokenService tokens,
        LoginThrottle throttle, EmailTokenStore emailTokens, AccountMail mail, EmailQueue outgoing, AuthOptions options, TimeProvider time,
        TwoFactorStore twoFactor, PasskeyStore passkeys, SecurityAlerts alerts, IGrainFactory grains, HttpContext http, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Login) || string.IsNullOrEmpty(body.Password))
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            if (string.IsNullOrWhiteSpace(body.Login))
            {
                errors["login"] = ["Give a username or an email."];
            }

            if (string.IsNullOrEmpty(body.Password))
            {
                errors["password"] = ["Give the password."];
            }

            return TypedResults.ValidationProblem(errors);
        }

        // One answer for a wrong password, an unknown account and a locked account: the response reveals nothing.
        var refused = TypedResults.Problem(title: "The login or password is wrong, or the account is locked for a while.",
            statusCode: StatusCodes.Status401Unauthorized);
        var account = await store.FindByLoginAsync(body.Login.Trim(), ct).ConfigureAwait(false);
        if (account is null)
        {
            hasher.HashPassword(null!, body.Password); // spend the same time as a real check
            return refused;
        }

        // Repeated failures hold back the source they came from (growing delays), never the account's owner elsewhere.
        var source = LoginThrottle.SourceOf(http.Connection.RemoteIpAddress);
        if (await throttle.IsHeldAsync(account.Id, source, ct).ConfigureAwait(false))
        {
            hasher.HashPassword(null!, body.Password);
            return refused;
        }

        if (hasher.VerifyHashedPassword(account, account.PasswordHash, body.Password) == PasswordVerificationResult.Failed)
        {
            // The owner hears of it once the delays start, with a link that lifts them (at most one mail per lockout duration).
            if (await throttle.RecordFailureAsync(account.Id, source, ct).ConfigureAwait(false)
                && !await emailTokens.IssuedSinceAsync(account.Id, EmailTokenPurpose.SignIn, time.GetUtcNow() - options.LockoutDuration, ct).ConfigureAwait(false))
            {
                var link = await emailTokens.IssueAsync(account.Id, account.Email, EmailTokenPurpose.SignIn, ct).ConfigureAwait(false);
                outgoing.Enqueue(mail.SignInLink(account.Email, account.Username, link));
            }

            return refused;
        }

        await throttle.ClearAsync(account.Id, source, ct).ConfigureAwait(false);
        if (account.Suspended)
        {
            // Told only to whoever knows the password: the owner, who gets an appeal token (a session that can only read and
            // appeal the actions against the account, and sign out).
            var (appealSession, _) = await sessions.StartAsync(account.Id, http.Request.Headers.UserAgent.ToString(),
                http.Connection.RemoteIpAddress?.ToString() ?? "", ct).ConfigureAwait(false);
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "This account is suspended.",
                detail: "appeal_token reads the actions taken against the account (GET /api/v1/accounts/me/moderation_actions) and appeals them.",
                extensions: new Dictionary<string, object?>
                {
                    ["reason"] = "suspended",
                    ["appeal_token"] = tokens.IssueAccessToken(account, appealSession.Id, AppealScope.Value),
                    ["expires_in"] = (int)tokens.AccessTokenLifetime.TotalSeconds,
                });
        }

        if (account.PasswordResetRequired)
        {
            // The password may be known to someone else: only a new one, set from the emailed link, signs in again.
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "This password must be reset: follow the link sent to your email address.");
        }

        if (await MfaChallengeAsync(twoFactor, passkeys, account, http, ct).ConfigureAwait(false) is { } challenge)
        {
            return TypedResults.Ok(challenge);
        }

        return await StartAsync(sessions, tokens, alerts, grains, account, http.Request.Headers.UserAgent.ToString(),
            http.Connection.RemoteIpAddress?.ToString() ?? "", ct).ConfigureAwait(false) is { } started ? TypedResults.Ok(started) : Erasing();
    }

    private static async Task<Results<Ok<TokenResponse>, Ok<MfaRequiredResponse>, ValidationProblem, ProblemHttpResult>> SignInWithLinkAsync(
        TokenRequest body, AccountStore store, SessionStore sessions, TokenService tokens, LoginThrottle throttle, EmailTokenStore emailTokens,
        TwoFactorStore twoFactor, PasskeyStore passkeys, SecurityAlerts alerts, IGrainFactory grains, HttpContext http, CancellationToken ct)
    {
        var redeemed = AccountRules.IsPlausibleToken(body.Token)
            ? await emailTokens.RedeemAsync(body.Token!, EmailTokenPurpose.SignIn, ct).ConfigureAwait(false)
            : null;
        var account = redeemed is { } r ? await store.GetAsync(r.AccountId, ct).ConfigureAwait(false) : null;
        if (account is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["token"] = ["The link is not valid, was already used, or expired."] });
        }

        if (account.Suspended)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["token"] = ["This account is suspended."] });
        }

        await throttle.ClearAsync(account.Id, null, ct).ConfigureAwait(false);
        if (await MfaChallengeAsync(twoFactor, passkeys, account, http, ct).ConfigureAwait(false) is { } challenge)
        {
            return TypedResults.Ok(challenge); // the link stands in for the password, not for the second factor
        }

        return await StartAsync(sessions, tokens, alerts, grains, account, http.Request.Headers.UserAgent.ToString(),
            http.Connection.RemoteIpAddress?.ToString() ?? "", ct).ConfigureAwait(false) is { } started ? TypedResults.Ok(started) : Erasing();
    }

    // With TOTP on, a sign-in that passed its first step gets a challenge to complete with a code, not tokens.
    private static async Task<MfaRequiredResponse?> MfaChallengeAsync(TwoFactorStore twoFactor, PasskeyStore passkeys, Account account, HttpContext http,
        CancellationToken ct)
    {
        if (!(await twoFactor.StatusAsync(account.Id, ct).ConfigureAwait(false)).Totp)
        {
            return null;
        }

        var token = await twoFactor.ChallengeAsync(account.Id, http.Request.Headers.UserAgent.ToString(), http.Connection.RemoteIpAddress?.ToString() ?? "", ct)
            .ConfigureAwait(false);
        string[] methods = (await passkeys.DescriptorsAsync(account.Id, ct).ConfigureAwait(false)).Count > 0
            ? ["totp", "backup_code", "passkey"]
            : ["totp", "backup_code"];
        return new MfaRequiredResponse(true, token, methods, (int)TwoFactorStore.ChallengeLifetime.TotalSeconds);
    }

    // A new session and its tokens; the account hears of it when the device is new to it. Signing in to an account deleted
    // less than the grace period ago restores it (null: its erasure has begun, nothing signs in any more).
    internal static async Task<TokenResponse?> StartAsync(SessionStore sessions, TokenService tokens, SecurityAlerts alerts, IGrainFactory grains,
        Account account, string device, string ip, CancellationToken ct)
    {
        if (account.Deactivated)
        {
            if (!await grains.GetGrain<OrleansSocial.Users.IAccountErasureGrain>(account.Id).CancelAsync().ConfigureAwait(false))
            {
                return null;
            }

            await alerts.AlertAsync(account, SecurityAlerts.DeletionCancelled, device, ip).ConfigureAwait(false);
        }

        var (session, refreshToken) = await sessions.StartAsync(account.Id, device, ip, ct).ConfigureAwait(false);
        await alerts.SignedInAsync(account, session.Id, device, ip, ct).ConfigureAwait(false);
        return Tokens(tokens, account, session.Id, refreshToken);
    }

    /// <summary>The answer to a sign-in of an account whose erasure has begun.</summary>
    internal static ProblemHttpResult Erasing() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "This account was deleted and is being erased.");

    internal static TokenResponse Tokens(TokenService tokens, Account account, Guid sessionId, string refreshToken) =>
        new(tokens.IssueAccessToken(account, sessionId), "Bearer", (int)tokens.AccessTokenLifetime.TotalSeconds, refreshToken,
            (int)SessionStore.RefreshTokenLifetime.TotalSeconds);

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> RefreshAsync(
        RefreshRequest body, AccountStore store, SessionStore sessions, TokenService tokens, HttpContext http, CancellationToken ct)
    {
        // A browser refreshes with its cookie (and the header that proves the request came from its own page).
        var refreshToken = string.IsNullOrEmpty(body.RefreshToken) ? RefreshCookie.From(http.Request) : body.RefreshToken;
        if (string.IsNullOrWhiteSpace(refreshToken) || refreshToken.Length > 200)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["refresh_token"] = ["Give the refresh token."] });
        }

        var (outcome, session, newToken) = await sessions.RotateAsync(refreshToken, ct).ConfigureAwait(false);
        var account = outcome == RefreshOutcome.Rotated ? await store.GetAsync(session!.AccountId, ct).ConfigureAwait(false) : null;
        if (account is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: outcome switch
            {
                RefreshOutcome.Reused => "This refresh token was already used; the session is signed out for safety.",
                RefreshOutcome.Revoked => "The session is signed out.",
                RefreshOutcome.Expired => "The refresh token expired; sign in again.",
                _ => "The refresh token is not valid.",
            });
        }

        return TypedResults.Ok(Tokens(tokens, account, session!.Id, newToken!));
    }

    private static async Task<Ok<SessionResponse[]>> ListSessionsAsync(ClaimsPrincipal user, SessionStore sessions, CancellationToken ct)
    {
        var current = user.SessionId();
        var list = await sessions.ListActiveAsync(user.AccountId(), ct).ConfigureAwait(false);
        return TypedResults.Ok(list.Select(s => new SessionResponse(s.Id.ToString("N"), s.Device, s.Ip, s.CreatedAt, s.LastUsedAt, s.Id == current)).ToArray());
    }

    private static async Task<NoContent> LogoutAsync(ClaimsPrincipal user, SessionStore sessions, HttpContext http, CancellationToken ct)
    {
        await sessions.RevokeAsync(user.AccountId(), user.SessionId(), ct).ConfigureAwait(false);
        RefreshCookie.Clear(http.Response);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeSessionAsync(string id, ClaimsPrincipal user, SessionStore sessions, CancellationToken ct)
    {
        // Another account's session is indistinguishable from a missing one.
        if (!Guid.TryParseExact(id, "N", out var sessionId) || !await sessions.RevokeAsync(user.AccountId(), sessionId, ct).ConfigureAwait(false))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such session.");
        }

        return TypedResults.NoContent();
    }

    private static async Task<Ok<RevokedResponse>> RevokeOthersAsync(ClaimsPrincipal user, SessionStore sessions, CancellationToken ct) =>
        TypedResults.Ok(new RevokedResponse(await sessions.RevokeOthersAsync(user.AccountId(), user.SessionId(), ct).ConfigureAwait(false)));
}
