using System.Globalization;
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

/// <summary>Body of <c>POST /api/v1/accounts</c>.</summary>
public sealed record RegisterRequest(string? Username, string? Email, string? Password);

/// <summary>Body of <c>PATCH /api/v1/accounts/me</c>: fields left out (or null) are unchanged; "" clears a text field.</summary>
public sealed record UpdateProfileRequest(string? DisplayName, [property: LongText] string? Bio, string? Website, bool? IsPrivate, string? DmPolicy);

/// <summary>Body of <c>POST /api/v1/accounts/verify_email</c>: the token from the verification email.</summary>
public sealed record TokenRequest(string? Token);

/// <summary>An account as its owner sees it.</summary>
public sealed record AccountResponse(string Id, string Username, string Email, bool EmailVerified, string DisplayName, string Bio, string Website,
    bool IsPrivate, string Role, DateTimeOffset CreatedAt, string DmPolicy, string Avatar, string AvatarStatic, string Header)
{
    public static AccountResponse From(UserProfile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var avatar = Media.AccountImages.Avatar(p.AvatarKey);
        return new(p.Id.ToString(CultureInfo.InvariantCulture), p.Username, p.Email, p.EmailVerified, p.DisplayName, p.Bio, p.Website, p.IsPrivate, p.Role,
            p.CreatedAt, p.DmPolicy, avatar, avatar, Media.AccountImages.Header(p.HeaderKey));
    }
}

/// <summary>Registration, the signed-in account's profile, and email verification.</summary>
public static class AccountEndpoints
{
    public static RouteGroupBuilder MapAccountEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var accounts = api.MapGroup("/accounts").WithTags("Accounts");
        accounts.MapPost("/", RegisterAsync).RequireRateLimiting(RateLimiting.AuthPolicy).AllowAnonymous()
            .WithName("Register").WithSummary("Creates an account and emails a link to confirm the address.");
        accounts.MapGet("/me", MeAsync).RequireAuthorization().WithName("Me").WithSummary("The signed-in account.")
            .Produces<AccountResponse>().Produces(StatusCodes.Status404NotFound);
        accounts.MapPatch("/me", UpdateMeAsync).RequireAuthorization().WithName("UpdateMe")
            .WithSummary("Edits the display name, bio, website or privacy of the signed-in account.");
        accounts.MapPatch("/me", Media.ProfileImageEndpoints.UpdateMeWithImagesAsync).RequireAuthorization().RequireRateLimiting(RateLimiting.UploadPolicy)
            .Accepts<Media.ProfileForm>("multipart/form-data").WithName("UpdateMeWithImages")
            .WithSummary("As UpdateMe, as multipart/form-data, with avatar (cropped to 400×400) and header (1500×500) image files.")
            .Produces<AccountResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        accounts.MapDelete("/me/avatar", (ClaimsPrincipal user, IGrainFactory grains, IServiceProvider services) =>
                Media.ProfileImageEndpoints.RemoveAsync(user, grains, services, Media.ProfileImageEndpoints.Avatar))
            .RequireAuthorization().WithName("RemoveAvatar").WithSummary("Back to the default avatar; the old picture is deleted.").Produces<AccountResponse>();
        accounts.MapDelete("/me/header", (ClaimsPrincipal user, IGrainFactory grains, IServiceProvider services) =>
                Media.ProfileImageEndpoints.RemoveAsync(user, grains, services, Media.ProfileImageEndpoints.Header))
            .RequireAuthorization().WithName("RemoveHeader").WithSummary("Back to the default header; the old picture is deleted.").Produces<AccountResponse>();
        accounts.MapPost("/verify_email", VerifyEmailAsync).RequireRateLimiting(RateLimiting.AuthPolicy).AllowAnonymous()
            .WithName("VerifyEmail").WithSummary("Confirms an email address with the token from the verification email (single use, 24 h).");
        accounts.MapPost("/me/verify_email", ResendVerificationAsync).RequireAuthorization().RequireRateLimiting(RateLimiting.AuthPolicy)
            .WithName("ResendVerification").WithSummary("Emails a new verification link; earlier links stop working.");
        return api;
    }

    private static async Task<Results<Created<AccountResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterRequest body, AccountStore store, IPasswordHasher<Account> hasher, EmailTokenStore emailTokens, AccountMail mail, EmailQueue outgoing,
        CancellationToken ct)
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

        if (await store.SignupBlockedAsync(body.Email!, ct).ConfigureAwait(false))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["email"] = ["Sign-ups from this address are not accepted here."] },
                title: "The account cannot be created.");
        }

        var hash = hasher.HashPassword(null!, body.Password!);
        var (account, conflict) = await store.CreateAsync(body.Username!, body.Email!.Trim(), hash, ct).ConfigureAwait(false);
        if (account is null)
        {
            var field = conflict == CreateAccountConflict.Email ? "email" : "username";
            return TypedResults.Problem(title: $"That {field} is taken.", statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["field"] = field });
        }

        var token = await emailTokens.IssueAsync(account.Id, account.Email, EmailTokenPurpose.VerifyEmail, ct).ConfigureAwait(false);
        outgoing.Enqueue(mail.Verification(account.Email, account.Username, token));
        return TypedResults.Created($"/api/v1/accounts/{account.Id}", AccountResponse.From(account.ToProfile()));
    }

    private static async Task<IResult> MeAsync(ClaimsPrincipal user, IGrainFactory grains)
    {
        var profile = await grains.Reference<IUserGrain>(user.AccountId()).GetProfileAsync().ConfigureAwait(false);
        return profile is null ? TypedResults.NotFound() : ApiResults.Ok(AccountResponse.From(profile));
    }

    private static Task<Results<Ok<AccountResponse>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateMeAsync(
        UpdateProfileRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
        UpdateProfileAsync(new ProfileUpdate(body.DisplayName, body.Bio, body.Website, body.IsPrivate, body.DmPolicy), user, grains);

    /// <summary>Applies <paramref name="update"/> to the signed-in account's profile (validated first).</summary>
    internal static async Task<Results<Ok<AccountResponse>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateProfileAsync(
        ProfileUpdate update, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = ProfileRules.Validate(update);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The profile was not changed.");
        }

        try
        {
            return TypedResults.Ok(AccountResponse.From(await grains.Reference<IUserGrain>(user.AccountId()).UpdateProfileAsync(update).ConfigureAwait(false)));
        }
        catch (KeyNotFoundException)
        {
            return TypedResults.NotFound();
        }
        catch (Orleans.Storage.InconsistentStateException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The profile was changed at the same time; read it and try again.");
        }
    }

    private static async Task<Results<NoContent, ValidationProblem>> VerifyEmailAsync(
        TokenRequest body, AccountStore store, EmailTokenStore emailTokens, IGrainFactory grains, CancellationToken ct)
    {
        var redeemed = AccountRules.IsPlausibleToken(body.Token)
            ? await emailTokens.RedeemAsync(body.Token!, EmailTokenPurpose.VerifyEmail, ct).ConfigureAwait(false)
            : null;
        if (redeemed is not { } r || !await store.MarkEmailVerifiedAsync(r.AccountId, r.Email, ct).ConfigureAwait(false))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["token"] = ["The link is not valid, was already used, or expired."] });
        }

        await grains.Reference<IUserGrain>(r.AccountId).ReloadAsync().ConfigureAwait(false);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Accepted, NotFound, ProblemHttpResult>> ResendVerificationAsync(
        ClaimsPrincipal user, AccountStore store, EmailTokenStore emailTokens, AccountMail mail, EmailQueue outgoing, CancellationToken ct)
    {
        var account = await store.GetAsync(user.AccountId(), ct).ConfigureAwait(false);
        if (account is null)
        {
            return TypedResults.NotFound();
        }

        if (account.EmailVerified)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The email address is already confirmed.");
        }

        var token = await emailTokens.IssueAsync(account.Id, account.Email, EmailTokenPurpose.VerifyEmail, ct).ConfigureAwait(false);
        outgoing.Enqueue(mail.Verification(account.Email, account.Username, token));
        return TypedResults.Accepted((string?)null);
    }
}

/// <summary>The signed-in user's claims.</summary>
internal static class SignedInUser
{
    public static long AccountId(this ClaimsPrincipal user) => long.Parse(user.FindFirstValue("sub")!, CultureInfo.InvariantCulture);

    /// <summary>The signed-in account, or 0 for an anonymous reader.</summary>
    public static long ViewerId(this ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.AccountId() : 0;

    public static Guid SessionId(this ClaimsPrincipal user) => Guid.TryParseExact(user.FindFirstValue("sid"), "N", out var id) ? id : Guid.Empty;
}
