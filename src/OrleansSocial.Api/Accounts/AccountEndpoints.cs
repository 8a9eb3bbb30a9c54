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

/// <summary>An account as its owner sees it.</summary>
public sealed record AccountResponse(string Id, string Username, string Email, string DisplayName, string Bio, string Website,
    bool IsPrivate, string Role, DateTimeOffset CreatedAt)
{
    public static AccountResponse From(Account a) => new(a.Id.ToString(CultureInfo.InvariantCulture), a.Username, a.Email,
        a.DisplayName, a.Bio, a.Website, a.IsPrivate, a.Role, a.CreatedAt);
}

/// <summary>A signed-in session's tokens.</summary>
public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn);

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
        api.MapPost("/sessions", LoginAsync).RequireRateLimiting(RateLimiting.AuthPolicy).AllowAnonymous()
            .WithTags("Sessions").WithName("Login").WithSummary("Signs in with a username or email and a password.");
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
        LoginRequest body, AccountStore store, IPasswordHasher<Account> hasher, TokenService tokens, AuthOptions options,
        TimeProvider time, CancellationToken ct)
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

        return TypedResults.Ok(new TokenResponse(tokens.IssueAccessToken(account), "Bearer", (int)tokens.AccessTokenLifetime.TotalSeconds));
    }

    private static async Task<Results<Ok<AccountResponse>, NotFound>> MeAsync(ClaimsPrincipal user, AccountStore store, CancellationToken ct)
    {
        var id = long.Parse(user.FindFirstValue("sub")!, CultureInfo.InvariantCulture);
        var account = await store.GetAsync(id, ct).ConfigureAwait(false);
        return account is null ? TypedResults.NotFound() : TypedResults.Ok(AccountResponse.From(account));
    }
}
