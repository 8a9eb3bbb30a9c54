using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using OrleansSocial.Api.Infrastructure;

namespace OrleansSocial.Api.Accounts;

/// <summary>
/// The first half of a WebAuthn ceremony: pass <c>options</c> to <c>navigator.credentials.create</c> or <c>.get</c> (the
/// WebAuthn JSON form, base64url binary fields), then send the credential back with <c>ceremony_id</c>.
/// </summary>
public sealed record PasskeyCeremonyResponse(string CeremonyId, JsonElement Options, int ExpiresIn);

/// <summary>Body of <c>POST /api/v1/accounts/me/passkeys</c>: the ceremony, a name for the passkey, and the new credential (WebAuthn JSON).</summary>
public sealed record RegisterPasskeyRequest(string? CeremonyId, string? Name, JsonElement? Credential);

/// <summary>Body of <c>POST /api/v1/sessions/passkey</c>: the ceremony and the assertion (WebAuthn JSON).</summary>
public sealed record PasskeySignInRequest(string? CeremonyId, JsonElement? Credential);

/// <summary>Body of <c>POST /api/v1/sessions/mfa/passkey_options</c>.</summary>
public sealed record MfaPasskeyOptionsRequest(string? MfaToken);

public sealed record PasskeyResponse(string Id, string Name, Guid Aaguid, bool BackedUp, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt)
{
    public static PasskeyResponse From(Passkey p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new(p.Id.ToString(CultureInfo.InvariantCulture), p.Name, p.Aaguid, p.BackedUp, p.CreatedAt, p.LastUsedAt);
    }
}

/// <summary>
/// Passkeys: registering one from a signed-in session, listing and removing them, signing in with one without a username
/// (a discoverable credential, with user verification), and using one as the second step of a password sign-in.
/// </summary>
public static class PasskeyEndpoints
{
    private const int MaxNameLength = 64;

    public static RouteGroupBuilder MapPasskeyEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var passkeys = api.MapGroup("/accounts/me/passkeys").WithTags("Sessions").RequireAuthorization();
        passkeys.MapGet("/", async (ClaimsPrincipal user, PasskeyStore store, CancellationToken ct) =>
                TypedResults.Ok((await store.ListAsync(user.AccountId(), ct).ConfigureAwait(false)).Select(PasskeyResponse.From).ToArray()))
            .WithName("Passkeys").WithSummary("My passkeys.");
        passkeys.MapPost("/options", BeginRegistrationAsync).WithName("PasskeyRegistrationOptions")
            .WithSummary("Starts registering a passkey: the options for navigator.credentials.create (a discoverable credential with user verification).");
        passkeys.MapPost("/", RegisterAsync).WithName("RegisterPasskey")
            .WithSummary("Finishes registering a passkey with the authenticator's answer; the account is told a passkey was added.");
        passkeys.MapDelete("/{id}", RemoveAsync).WithName("RemovePasskey").WithSummary("Removes one of my passkeys; the account is told.");

        var sessions = api.MapGroup("/sessions").WithTags("Sessions").AllowAnonymous().RequireRateLimiting(RateLimiting.AuthPolicy);
        sessions.MapPost("/passkey/options", BeginSignInAsync).WithName("PasskeySignInOptions")
            .WithSummary("Starts a sign-in with a passkey, no username needed: the options for navigator.credentials.get.");
        sessions.MapPost("/passkey", SignInAsync).WithRefreshCookie().WithName("PasskeySignIn")
            .WithSummary("Signs in with a passkey's assertion (user verification required, so no second factor is asked).");
        sessions.MapPost("/mfa/passkey_options", BeginSecondFactorAsync).WithName("MfaPasskeyOptions")
            .WithSummary("For a sign-in that owes a second factor: the options to assert one of the account's passkeys, finished at POST /sessions/mfa.");
        return api;
    }

    private static async Task<Results<Ok<PasskeyCeremonyResponse>, ProblemHttpResult>> BeginRegistrationAsync(ClaimsPrincipal user, PasskeyStore store,
        AccountStore accounts, IFido2 fido2, PasskeyOptions options, CancellationToken ct)
    {
        var id = user.AccountId();
        if (await accounts.GetAsync(id, ct).ConfigureAwait(false) is not { } account)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such account.");
        }

        var existing = await store.DescriptorsAsync(id, ct).ConfigureAwait(false);
        if (existing.Count >= PasskeyStore.MaxPerAccount)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: $"An account holds at most {PasskeyStore.MaxPerAccount} passkeys: remove one first.");
        }

        var create = fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User
            {
                Id = await store.UserHandleAsync(id, ct).ConfigureAwait(false),
                Name = account.Username,
                DisplayName = string.IsNullOrWhiteSpace(account.DisplayName) ? account.Username : account.DisplayName,
            },
            ExcludeCredentials = existing,
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Required,
                UserVerification = UserVerificationRequirement.Required,
            },
            AttestationPreference = AttestationConveyancePreference.None,
        });
        return TypedResults.Ok(await BeginAsync(store, options, CeremonyPurpose.Register, id, create.ToJson(), ct).ConfigureAwait(false));
    }

    private static async Task<PasskeyCeremonyResponse> BeginAsync(PasskeyStore store, PasskeyOptions options, string purpose, long? account, string json,
        CancellationToken ct)
    {
        var ceremony = await store.BeginAsync(purpose, account, json, ct).ConfigureAwait(false);
        using var document = JsonDocument.Parse(json);
        return new PasskeyCeremonyResponse(ceremony, document.RootElement.Clone(), (int)options.CeremonyLifetime.TotalSeconds);
    }

    private static async Task<Results<Created<PasskeyResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(RegisterPasskeyRequest body,
        ClaimsPrincipal user, PasskeyStore store, AccountStore accounts, IFido2 fido2, SecurityAlerts alerts, HttpContext http, CancellationToken ct)
    {
        var id = user.AccountId();
        var name = string.IsNullOrWhiteSpace(body.Name) ? "Passkey" : body.Name.Trim();
        if (name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            return Invalid("name", $"A passkey's name is at most {MaxNameLength} characters, without control characters.");
        }

        if (Parse<AuthenticatorAttestationRawResponse>(body.Credential) is not { } credential)
        {
            return Invalid("credential", "Give the credential navigator.credentials.create returned, in WebAuthn JSON form.");
        }

        if (!IsPlausibleCeremony(body.CeremonyId) || await store.FinishAsync(body.CeremonyId!, CeremonyPurpose.Register, ct).ConfigureAwait(false) is not { } ceremony
            || ceremony.AccountId != id)
        {
            return Invalid("ceremony_id", "This registration expired or was finished already: start again.");
        }

        RegisteredPublicKeyCredential registered;
        try
        {
            registered = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = credential,
                OriginalOptions = CredentialCreateOptions.FromJson(ceremony.Options),
                IsCredentialIdUniqueToUserCallback = async (p, token) => !await store.IsCredentialKnownAsync(p.CredentialId, token).ConfigureAwait(false),
            }, ct).ConfigureAwait(false);
        }
        catch (Fido2VerificationException e)
        {
            return Invalid("credential", "The authenticator's answer does not verify: " + e.Message);
        }

        if (await store.AddAsync(id, name, registered, ct).ConfigureAwait(false) is not { } passkey)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "This passkey is registered already, or the account holds the most it may.");
        }

        if (await accounts.GetAsync(id, ct).ConfigureAwait(false) is { } account)
        {
            await alerts.AlertAsync(account, SecurityAlerts.PasskeyAdded, http.Request.Headers.UserAgent.ToString(), http.Connection.RemoteIpAddress?.ToString() ?? "")
                .ConfigureAwait(false);
        }

        var response = PasskeyResponse.From(passkey);
        return TypedResults.Created($"/api/v1/accounts/me/passkeys/{response.Id}", response);
    }

    private static async Task<Results<NoContent, NotFound>> RemoveAsync(string id, ClaimsPrincipal user, PasskeyStore store, AccountStore accounts,
        SecurityAlerts alerts, HttpContext http, CancellationToken ct)
    {
        var account = user.AccountId();
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var passkey) || !await store.RemoveAsync(account, passkey, ct).ConfigureAwait(false))
        {
            return TypedResults.NotFound();
        }

        if (await accounts.GetAsync(account, ct).ConfigureAwait(false) is { } owner)
        {
            await alerts.AlertAsync(owner, SecurityAlerts.PasskeyRemoved, http.Request.Headers.UserAgent.ToString(), http.Connection.RemoteIpAddress?.ToString() ?? "")
                .ConfigureAwait(false);
        }

        return TypedResults.NoContent();
    }

    private static async Task<Ok<PasskeyCeremonyResponse>> BeginSignInAsync(PasskeyStore store, IFido2 fido2, PasskeyOptions options, CancellationToken ct)
    {
        var get = fido2.GetAssertionOptions(new GetAssertionOptionsParams { AllowedCredentials = [], UserVerification = UserVerificationRequirement.Required });
        return TypedResults.Ok(await BeginAsync(store, options, CeremonyPurpose.SignIn, null, get.ToJson(), ct).ConfigureAwait(false));
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> SignInAsync(PasskeySignInRequest body, PasskeyStore store,
        AccountStore accounts, IFido2 fido2, SessionStore sessions, TokenService tokens, SecurityAlerts alerts, Orleans.IGrainFactory grains, HttpContext http,
        CancellationToken ct)
    {
        if (Parse<AuthenticatorAssertionRawResponse>(body.Credential) is not { } credential)
        {
            return Invalid("credential", "Give the credential navigator.credentials.get returned, in WebAuthn JSON form.");
        }

        if (!IsPlausibleCeremony(body.CeremonyId) || await store.FinishAsync(body.CeremonyId!, CeremonyPurpose.SignIn, ct).ConfigureAwait(false) is not { } ceremony)
        {
            return Invalid("ceremony_id", "This sign-in expired or was finished already: start again.");
        }

        var refused = TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The passkey was not accepted.");
        if (await VerifyAsync(fido2, store, ceremony, credential, ct).ConfigureAwait(false) is not { } passkey
            || await accounts.GetAsync(passkey.AccountId, ct).ConfigureAwait(false) is not { } account)
        {
            return refused;
        }

        if (account.Suspended)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "This account is suspended.",
                detail: "Sign in with the password to read and appeal the actions taken against it.");
        }

        return await SessionEndpoints.StartAsync(sessions, tokens, alerts, grains, account, http.Request.Headers.UserAgent.ToString(),
            http.Connection.RemoteIpAddress?.ToString() ?? "", ct).ConfigureAwait(false) is { } started ? TypedResults.Ok(started) : SessionEndpoints.Erasing();
    }

    private static async Task<Results<Ok<PasskeyCeremonyResponse>, ValidationProblem, ProblemHttpResult>> BeginSecondFactorAsync(MfaPasskeyOptionsRequest body,
        TwoFactorStore twoFactor, PasskeyStore store, IFido2 fido2, PasskeyOptions options, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.MfaToken) || body.MfaToken.Length > 100)
        {
            return Invalid("mfa_token", "Give the mfa_token the sign-in answered.");
        }

        // Counts as one of the challenge's attempts, so options cannot be asked for without bound.
        if (await twoFactor.AttemptAsync(body.MfaToken, ct).ConfigureAwait(false) is not { } challenge)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "This sign-in expired or took too many attempts: sign in again.");
        }

        var allowed = await store.DescriptorsAsync(challenge.AccountId, ct).ConfigureAwait(false);
        if (allowed.Count == 0)
        {
            return Invalid("mfa_token", "The account has no passkey: give a TOTP or backup code.");
        }

        var get = fido2.GetAssertionOptions(new GetAssertionOptionsParams { AllowedCredentials = allowed, UserVerification = UserVerificationRequirement.Preferred });
        return TypedResults.Ok(await BeginAsync(store, options, CeremonyPurpose.SecondFactor, challenge.AccountId, get.ToJson(), ct).ConfigureAwait(false));
    }

    /// <summary>
    /// Checks an assertion against the ceremony it answers: a stored passkey (of the ceremony's account, when it was started
    /// for one), signed over this challenge from an allowed origin, its counter moving forward. The passkey, or null.
    /// </summary>
    internal static async Task<StoredPasskey?> VerifyAsync(IFido2 fido2, PasskeyStore store, Ceremony ceremony, AuthenticatorAssertionRawResponse credential,
        CancellationToken ct)
    {
        if (credential.RawId is not { Length: > 0 } rawId || await store.FindAsync(rawId, ct).ConfigureAwait(false) is not { } passkey
            || (ceremony.AccountId is { } owner && owner != passkey.AccountId))
        {
            return null;
        }

        try
        {
            var result = await fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = credential,
                OriginalOptions = AssertionOptions.FromJson(ceremony.Options),
                StoredPublicKey = passkey.PublicKey,
                StoredSignatureCounter = passkey.SignCount,
                IsUserHandleOwnerOfCredentialIdCallback = (p, _) => Task.FromResult(p.UserHandle.AsSpan().SequenceEqual(passkey.UserHandle)),
            }, ct).ConfigureAwait(false);
            return await store.UsedAsync(passkey.Id, passkey.SignCount, result.SignCount, ct).ConfigureAwait(false) ? passkey : null;
        }
        catch (Fido2VerificationException)
        {
            return null;
        }
    }

    /// <summary>A WebAuthn JSON credential read with the library's own names and base64url fields; null when it is not one.</summary>
    internal static T? Parse<T>(JsonElement? json)
        where T : class
    {
        if (json is not { ValueKind: JsonValueKind.Object } element)
        {
            return null;
        }

        try
        {
            return element.Deserialize<T>();
        }
        catch (JsonException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    internal static bool IsPlausibleCeremony(string? id) => id is { Length: > 0 and <= 100 };

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
