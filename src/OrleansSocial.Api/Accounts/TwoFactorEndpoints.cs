using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using OrleansSocial.Api.Infrastructure;
using QRCoder;

namespace OrleansSocial.Api.Accounts;

public sealed record TwoFactorStatusResponse(bool Totp, bool TotpPending, int BackupCodesLeft);

/// <summary>A new TOTP secret: type the secret or scan the QR code (SVG) in an authenticator app, then confirm a code.</summary>
public sealed record TotpEnrolmentResponse(string Secret, string OtpauthUri, string QrSvg);

public sealed record TotpCodeRequest(string? Code);

public sealed record BackupCodesResponse(string[] BackupCodes);

/// <summary>Proof for turning TOTP off or renewing backup codes: the password and a current code (TOTP or backup).</summary>
public sealed record TwoFactorProofRequest(string? Password, string? Code);

/// <summary>What a sign-in with a second factor answers instead of tokens: give a code for <c>mfa_token</c> to <c>POST /api/v1/sessions/mfa</c>.</summary>
public sealed record MfaRequiredResponse(bool MfaRequired, string MfaToken, string[] Methods, int ExpiresIn);

/// <summary>
/// Body of <c>POST /api/v1/sessions/mfa</c>: the challenge, and a TOTP code or a backup code — or, for a passkey, the
/// ceremony from <c>POST /api/v1/sessions/mfa/passkey_options</c> and the assertion (WebAuthn JSON).
/// </summary>
public sealed record MfaRequest(string? MfaToken, string? Code, string? CeremonyId = null, System.Text.Json.JsonElement? Credential = null);

/// <summary>TOTP two-factor sign-in: enrolment, confirmation, backup codes, turning it off, and the second step of a sign-in.</summary>
public static class TwoFactorEndpoints
{
    private const string Issuer = "OrleansSocial";

    public static RouteGroupBuilder MapTwoFactorEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var twoFactor = api.MapGroup("/accounts/me/two_factor").WithTags("Sessions").RequireAuthorization();
        twoFactor.MapGet("/", async (ClaimsPrincipal user, TwoFactorStore store, CancellationToken ct) =>
            {
                var status = await store.StatusAsync(user.AccountId(), ct).ConfigureAwait(false);
                return TypedResults.Ok(new TwoFactorStatusResponse(status.Totp, status.TotpPending, status.BackupCodesLeft));
            })
            .WithName("TwoFactorStatus").WithSummary("Whether TOTP is on (or awaiting its first code) and how many backup codes are left.");
        twoFactor.MapPost("/totp", EnrolAsync).WithName("EnrolTotp")
            .WithSummary("Starts TOTP enrolment: a new secret, its otpauth:// URI and a QR code. It takes effect once confirmed with a code. 409 while TOTP is on.");
        twoFactor.MapPost("/totp/confirm", ConfirmAsync).WithName("ConfirmTotp")
            .WithSummary("Confirms the pending secret with a current code: TOTP is on from now, and ten backup codes are returned (once).");
        twoFactor.MapPost("/totp/disable", DisableAsync).WithName("DisableTotp")
            .WithSummary("Turns TOTP off (and voids the backup codes); needs the password and a current TOTP or backup code.");
        twoFactor.MapPost("/backup_codes", RenewBackupCodesAsync).WithName("RenewBackupCodes")
            .WithSummary("Ten new backup codes (the old ones stop working); needs the password and a current TOTP or backup code.");
        api.MapPost("/sessions/mfa", CompleteSignInAsync).RequireRateLimiting(RateLimiting.AuthPolicy).AllowAnonymous().WithTags("Sessions").WithRefreshCookie()
            .WithName("CompleteSignIn")
            .WithSummary("The second step of a sign-in with TOTP on: the mfa_token and a TOTP code (each usable once), a backup code, or a passkey's assertion.");
        return api;
    }

    private static async Task<Results<Ok<TotpEnrolmentResponse>, ProblemHttpResult>> EnrolAsync(ClaimsPrincipal user, TwoFactorStore store, CancellationToken ct)
    {
        if (await store.EnrolAsync(user.AccountId(), ct).ConfigureAwait(false) is not { } secret)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "TOTP is on already: turn it off first to enrol a new secret.");
        }

        var label = Uri.EscapeDataString(Issuer + ":" + (user.FindFirstValue("name") ?? user.AccountId().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var uri = $"otpauth://totp/{label}?secret={secret}&issuer={Uri.EscapeDataString(Issuer)}&algorithm=SHA1&digits=6&period=30";
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.Q);
        return TypedResults.Ok(new TotpEnrolmentResponse(secret, uri, new SvgQRCode(data).GetGraphic(4)));
    }

    private static async Task<Results<Ok<BackupCodesResponse>, ValidationProblem>> ConfirmAsync(TotpCodeRequest body, ClaimsPrincipal user, TwoFactorStore store,
        AccountStore accounts, SecurityAlerts alerts, HttpContext http, CancellationToken ct)
    {
        var account = user.AccountId();
        if (!await store.VerifyTotpAsync(account, (body.Code ?? "").Trim(), confirming: true, ct).ConfigureAwait(false))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["code"] = ["The code is wrong, or there is no pending enrolment."] });
        }

        var codes = await store.NewBackupCodesAsync(account, ct).ConfigureAwait(false);
        await AlertAsync(alerts, accounts, account, SecurityAlerts.TwoFactorEnabled, http, ct).ConfigureAwait(false);
        return TypedResults.Ok(new BackupCodesResponse(codes));
    }

    private static async Task AlertAsync(SecurityAlerts alerts, AccountStore accounts, long id, string what, HttpContext http, CancellationToken ct)
    {
        if (await accounts.GetAsync(id, ct).ConfigureAwait(false) is { } account)
        {
            await alerts.AlertAsync(account, what, http.Request.Headers.UserAgent.ToString(), http.Connection.RemoteIpAddress?.ToString() ?? "").ConfigureAwait(false);
        }
    }

    private static async Task<Results<NoContent, ValidationProblem>> DisableAsync(TwoFactorProofRequest body, ClaimsPrincipal user, TwoFactorStore store,
        AccountStore accounts, IPasswordHasher<Account> hasher, SecurityAlerts alerts, HttpContext http, CancellationToken ct)
    {
        if (await ProofProblemAsync(body, user, store, accounts, hasher, ct).ConfigureAwait(false) is { } problem)
        {
            return problem;
        }

        await store.DisableAsync(user.AccountId(), ct).ConfigureAwait(false);
        await AlertAsync(alerts, accounts, user.AccountId(), SecurityAlerts.TwoFactorDisabled, http, ct).ConfigureAwait(false);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<BackupCodesResponse>, ValidationProblem>> RenewBackupCodesAsync(TwoFactorProofRequest body, ClaimsPrincipal user,
        TwoFactorStore store, AccountStore accounts, IPasswordHasher<Account> hasher, SecurityAlerts alerts, HttpContext http, CancellationToken ct)
    {
        if (await ProofProblemAsync(body, user, store, accounts, hasher, ct).ConfigureAwait(false) is { } problem)
        {
            return problem;
        }

        var codes = await store.NewBackupCodesAsync(user.AccountId(), ct).ConfigureAwait(false);
        await AlertAsync(alerts, accounts, user.AccountId(), SecurityAlerts.BackupCodesRenewed, http, ct).ConfigureAwait(false);
        return TypedResults.Ok(new BackupCodesResponse(codes));
    }

    // The password and a code of an account with TOTP on; a problem naming what is wrong otherwise.
    private static async Task<ValidationProblem?> ProofProblemAsync(TwoFactorProofRequest body, ClaimsPrincipal user, TwoFactorStore store, AccountStore accounts,
        IPasswordHasher<Account> hasher, CancellationToken ct)
    {
        var id = user.AccountId();
        var account = await accounts.GetAsync(id, ct).ConfigureAwait(false);
        if (account is null || string.IsNullOrEmpty(body.Password)
            || hasher.VerifyHashedPassword(account, account.PasswordHash, body.Password) == PasswordVerificationResult.Failed)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["password"] = ["The password is wrong."] });
        }

        if (!(await store.StatusAsync(id, ct).ConfigureAwait(false)).Totp || !await SecondFactorAsync(store, id, body.Code, ct).ConfigureAwait(false))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["code"] = ["The code is wrong, was used already, or TOTP is off."] });
        }

        return null;
    }

    // A TOTP code (six digits) or a backup code, each accepted once.
    internal static async Task<bool> SecondFactorAsync(TwoFactorStore store, long account, string? code, CancellationToken ct)
    {
        var given = (code ?? "").Trim();
        return given.Length is > 0 and <= 32
            && (given.Length == 6 && given.All(char.IsAsciiDigit)
                ? await store.VerifyTotpAsync(account, given, confirming: false, ct).ConfigureAwait(false)
                : await store.UseBackupCodeAsync(account, given, ct).ConfigureAwait(false));
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> CompleteSignInAsync(MfaRequest body, TwoFactorStore store,
        AccountStore accounts, SessionStore sessions, TokenService tokens, LoginThrottle throttle, SecurityAlerts alerts, PasskeyStore passkeys,
        Fido2NetLib.IFido2 fido2, Orleans.IGrainFactory grains, HttpContext http, CancellationToken ct)
    {
        var withPasskey = body.CeremonyId is not null || body.Credential is not null;
        var assertion = withPasskey ? PasskeyEndpoints.Parse<Fido2NetLib.AuthenticatorAssertionRawResponse>(body.Credential) : null;
        if (withPasskey && assertion is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["credential"] = ["Give the credential navigator.credentials.get returned."] });
        }

        if (string.IsNullOrWhiteSpace(body.MfaToken) || body.MfaToken.Length > 100)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["mfa_token"] = ["Give the mfa_token the sign-in answered."] });
        }

        if (await store.AttemptAsync(body.MfaToken, ct).ConfigureAwait(false) is not { } challenge
            || await accounts.GetAsync(challenge.AccountId, ct).ConfigureAwait(false) is not { } account)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "This sign-in expired or took too many wrong codes: sign in again.");
        }

        // Guessing is bounded per challenge (a few attempts) and across challenges by the login throttle.
        var source = LoginThrottle.SourceOf(http.Connection.RemoteIpAddress);
        if (await throttle.IsHeldAsync(account.Id, source, ct).ConfigureAwait(false))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Too many wrong codes: wait a while and sign in again.");
        }

        if (withPasskey)
        {
            // The ceremony must be this account's second-factor ceremony, and the assertion one of its passkeys over it.
            var ceremony = PasskeyEndpoints.IsPlausibleCeremony(body.CeremonyId)
                ? await passkeys.FinishAsync(body.CeremonyId!, CeremonyPurpose.SecondFactor, ct).ConfigureAwait(false)
                : null;
            if (ceremony is null || ceremony.AccountId != account.Id
                || await PasskeyEndpoints.VerifyAsync(fido2, passkeys, ceremony, assertion!, ct).ConfigureAwait(false) is null)
            {
                await throttle.RecordFailureAsync(account.Id, source, ct).ConfigureAwait(false);
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["credential"] = ["The passkey was not accepted: ask for new options and try again."] });
            }
        }
        else if (!await SecondFactorAsync(store, account.Id, body.Code, ct).ConfigureAwait(false))
        {
            await throttle.RecordFailureAsync(account.Id, source, ct).ConfigureAwait(false);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["code"] = ["The code is wrong or was used already."] });
        }

        await store.CompleteAsync(body.MfaToken, ct).ConfigureAwait(false);
        return await SessionEndpoints.StartAsync(sessions, tokens, alerts, grains, account, challenge.Device, challenge.Ip, ct).ConfigureAwait(false) is { } started
            ? TypedResults.Ok(started)
            : SessionEndpoints.Erasing();
    }
}
