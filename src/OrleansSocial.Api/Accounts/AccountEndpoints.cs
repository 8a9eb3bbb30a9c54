using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using OrleansSocial.Api.Infrastructure;

namespace OrleansSocial.Api.Accounts;

/// <summary>Body of <c>POST /api/v1/accounts</c>.</summary>
public sealed record RegisterRequest(string? Username, string? Email, string? Password);

/// <summary>Body of <c>POST /api/v1/sessions</c>: a username or an email, and the password.</summary>
public sealed record LoginRequest(string? Login, string? Password);

/// <summary>Body of <c>POST /api/v1/accounts/me/password</c>.</summary>
public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary>An account as its owner sees it.</summary>
public sealed record AccountResponse(string Id, string Username, string Email, string DisplayName, string Bio, string Website,
    bool IsPrivate, string Role, DateTimeOffset CreatedAt)
{
    public static AccountResponse From(Account a) => new(a.Id.ToString(CultureInfo.InvariantCulture), a.Username, a.Email,
        a.DisplayName, a.Bio, a.Website, a.IsPrivate, a.Role, a.CreatedAt);
}

/// <summary>A signed-in session's tokens.</summary>
public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn, string RefreshToken, int RefreshExpiresIn);

/// <summary>Body of <c>POST /api/v1/sessions/refresh</c>.</summary>
public sealed record RefreshRequest(string? RefreshToken);

/// <summary>How many sessions were signed out.</summary>
public sealed record RevokedResponse(int Revoked);

/// <summary>A session as listed to its owner.</summary>
public sealed record SessionResponse(string Id, string Device, string Ip, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, bool Current);

/// <summary>Registration, login and the signed-in account.</summary>
public static class AccountEndpoints
{
    public static RouteGroupBuilder MapAccountEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var accounts = api.MapGroup("/accounts").WithTags("Accounts");
        accounts.MapPost("/", RegisterAsync).RequireRateLimiting(RateLimiting.AuthPolicy).AllowAnonymous()
            .WithName("Register").WithSummary("Creates an account.");
        accounts.MapGet("/me", MeAsync).RequireAuthorization().WithName("Me").WithSummary("The signed-in account.");
        accounts.MapPost("/me/password", ChangePasswordAsync).RequireAuthorization().RequireRateLimiting(RateLimiting.AuthPolicy)
            .WithName("ChangePassword").WithSummary("Changes the password (the current one is required) and signs out every other session.");
        var sessions = api.MapGroup("/sessions").WithTags("Sessions");
        sessions.MapPost("/", LoginAsync).RequireRateLimiting(RateLimiting.AuthPolicy).AllowAnonymous()
            .WithName("Login").WithSummary("Signs in with a username or email and a password.");
        sessions.MapPost("/refresh", RefreshAsync).RequireRateLimiting(RateLimiting.AuthPolicy).AllowAnonymous()
            .WithName("Refresh").WithSummary("Exchanges a refresh token for new tokens; a reused refresh token revokes its session.");
        sessions.MapGet("/", ListSessionsAsync).RequireAuthorization().WithName("Sessions").WithSummary("My signed-in sessions.");
        sessions.MapDelete("/current", LogoutAsync).RequireAuthorization().WithName("Logout").WithSummary("Signs this session out.");
        sessions.MapDelete("/{id}", RevokeSessionAsync).RequireAuthorization().WithName("RevokeSession").WithSummary("Signs one of my sessions out.");
        sessions.MapPost("/revoke_others", RevokeOthersAsync).RequireAuthorization().WithName("RevokeOtherSessions")
            .WithSummary("Signs out every session but this one.");
        return api;
    }

    private static async Task<Results<Created<AccountResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterRequest body, AccountStore store, IPasswordHasher<Account> hasher, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!AccountRules.IsValidUsername(body.Username))
        {
            errors["username"] = ["The username must be 3 to 30 letters, digits or underscores."];
        }

        if (!AccountRules.IsValidEmail(body.Email))
        {
            errors["email"] = ["The email address is not valid."];
        }

        if (AccountRules.PasswordProblem(body.Password, body.Username) is { } passwordProblem)
        {
            errors["password"] = [passwordProblem];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The account cannot be created.");
        }

        var hash = hasher.HashPassword(null!, body.Password!);
        var (account, conflict) = await store.CreateAsync(body.Username!, body.Email!.Trim(), hash, ct).ConfigureAwait(false);
        if (account is null)
        {
            var field = conflict == CreateAccountConflict.Email ? "email" : "username";
            return TypedResults.Problem(title: $"That {field} is taken.", statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["field"] = field });
        }

        return TypedResults.Created($"/api/v1/accounts/{account.Id}", AccountResponse.From(account));
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest body, AccountStore store, SessionStore sessions, IPasswordHasher<Account> hasher, TokenService tokens,
        AuthOptions options, TimeProvider time, HttpContext http, CancellationToken ct)
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

        var now = time.GetUtcNow();
        if (account.LockedUntil is { } until && until > now)
        {
            return refused;
        }

        if (hasher.VerifyHashedPassword(account, account.PasswordHash, body.Password) == PasswordVerificationResult.Failed)
        {
            await store.RecordFailedLoginAsync(account.Id, options.LockoutThreshold, now + options.LockoutDuration, ct).ConfigureAwait(false);
            return refused;
        }

        if (account.FailedLogins > 0 || account.LockedUntil is not null)
        {
            await store.ResetFailedLoginsAsync(account.Id, ct).ConfigureAwait(false);
        }

        var (session, refreshToken) = await sessions.StartAsync(account.Id, http.Request.Headers.UserAgent.ToString(),
            http.Connection.RemoteIpAddress?.ToString() ?? "", ct).ConfigureAwait(false);
        return TypedResults.Ok(Tokens(tokens, account, session.Id, refreshToken));
    }

    private static TokenResponse Tokens(TokenService tokens, Account account, Guid sessionId, string refreshToken) =>
        new(tokens.IssueAccessToken(account, sessionId), "Bearer", (int)tokens.AccessTokenLifetime.TotalSeconds, refreshToken,
            (int)SessionStore.RefreshTokenLifetime.TotalSeconds);

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> RefreshAsync(
        RefreshRequest body, AccountStore store, SessionStore sessions, TokenService tokens, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.RefreshToken) || body.RefreshToken.Length > 200)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["refresh_token"] = ["Give the refresh token."] });
        }

        var (outcome, session, newToken) = await sessions.RotateAsync(body.RefreshToken, ct).ConfigureAwait(false);
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
        var current = CurrentSession(user);
        var list = await sessions.ListActiveAsync(AccountId(user), ct).ConfigureAwait(false);
        return TypedResults.Ok(list.Select(s => new SessionResponse(s.Id.ToString("N"), s.Device, s.Ip, s.CreatedAt, s.LastUsedAt, s.Id == current)).ToArray());
    }

    private static async Task<NoContent> LogoutAsync(ClaimsPrincipal user, SessionStore sessions, CancellationToken ct)
    {
        await sessions.RevokeAsync(AccountId(user), CurrentSession(user), ct).ConfigureAwait(false);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeSessionAsync(string id, ClaimsPrincipal user, SessionStore sessions, CancellationToken ct)
    {
        // Another account's session is indistinguishable from a missing one.
        if (!Guid.TryParseExact(id, "N", out var sessionId) || !await sessions.RevokeAsync(AccountId(user), sessionId, ct).ConfigureAwait(false))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such session.");
        }

        return TypedResults.NoContent();
    }

    private static async Task<Ok<RevokedResponse>> RevokeOthersAsync(ClaimsPrincipal user, SessionStore sessions, CancellationToken ct) =>
        TypedResults.Ok(new RevokedResponse(await sessions.RevokeOthersAsync(AccountId(user), CurrentSession(user), ct).ConfigureAwait(false)));

    private static async Task<Results<NoContent, ValidationProblem, NotFound>> ChangePasswordAsync(ChangePasswordRequest body, ClaimsPrincipal user,
        AccountStore store, SessionStore sessions, IPasswordHasher<Account> hasher, CancellationToken ct)
    {
        var account = await store.GetAsync(AccountId(user), ct).ConfigureAwait(false);
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
        await sessions.RevokeOthersAsync(account.Id, CurrentSession(user), ct).ConfigureAwait(false);
        return TypedResults.NoContent();
    }

    private static long AccountId(ClaimsPrincipal user) => long.Parse(user.FindFirstValue("sub")!, CultureInfo.InvariantCulture);

    private static Guid CurrentSession(ClaimsPrincipal user) => Guid.TryParseExact(user.FindFirstValue("sid"), "N", out var id) ? id : Guid.Empty;

    private static async Task<Results<Ok<AccountResponse>, NotFound>> MeAsync(ClaimsPrincipal user, AccountStore store, CancellationToken ct)
    {
        var account = await store.GetAsync(AccountId(user), ct).ConfigureAwait(false);
        return account is null ? TypedResults.NotFound() : TypedResults.Ok(AccountResponse.From(account));
    }
}
