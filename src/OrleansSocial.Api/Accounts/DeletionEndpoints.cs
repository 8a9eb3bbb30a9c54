using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Orleans;
using OrleansSocial.Api.Email;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Accounts;

/// <summary>Body of <c>DELETE /api/v1/accounts/me</c>: the password, and a TOTP or backup code when two-factor sign-in is on.</summary>
public sealed record DeleteAccountRequest(string? Password, string? Code);

/// <summary>When a deleted account will be erased unless its owner signs in before.</summary>
public sealed record AccountDeletionResponse(DateTimeOffset EraseAfter);

/// <summary>Deleting one's account: deactivated at once, erased after the grace period (see <see cref="IAccountErasureGrain"/>).</summary>
public static class DeletionEndpoints
{
    public static RouteGroupBuilder MapDeletionEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapDelete("/accounts/me", DeleteMeAsync).RequireAuthorization().WithTags("Accounts").WithName("DeleteMe")
            .Accepts<DeleteAccountRequest>("application/json")
            .WithSummary("Deletes my account: hidden and signed out everywhere at once, erased after the grace period (30 days) unless I sign in before. Needs the password, and a code with two-factor on.");
        return api;
    }

    private static async Task<Results<Accepted<AccountDeletionResponse>, ValidationProblem, ProblemHttpResult>> DeleteMeAsync([Microsoft.AspNetCore.Mvc.FromBody] DeleteAccountRequest body,
        ClaimsPrincipal user, AccountStore accounts, IPasswordHasher<Account> hasher, TwoFactorStore twoFactor, IGrainFactory grains, AccountMail mail,
        EmailQueue outgoing, SessionRevocations revocations, CancellationToken ct)
    {
        var code = body.Code?.Trim();
        if (code is { Length: > 0 } && (code.Length > 32 || !code.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            return Invalid("code", "A code is six digits (TOTP) or a backup code.");
        }

        var id = user.AccountId();
        if (await accounts.GetAsync(id, ct).ConfigureAwait(false) is not { } account || string.IsNullOrEmpty(body.Password) || body.Password.Length > 1024
            || hasher.VerifyHashedPassword(account, account.PasswordHash, body.Password) == PasswordVerificationResult.Failed)
        {
            return Invalid("password", "The password is wrong.");
        }

        if ((await twoFactor.StatusAsync(id, ct).ConfigureAwait(false)).Totp && !await TwoFactorEndpoints.SecondFactorAsync(twoFactor, id, code, ct).ConfigureAwait(false))
        {
            return Invalid("code", "Two-factor sign-in is on: give a current TOTP code or an unused backup code.");
        }

        if (await grains.GetGrain<IAccountErasureGrain>(id).RequestAsync().ConfigureAwait(false) is not { } eraseAfter)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "This account is deleted already.");
        }

        await revocations.RefreshAsync(ct).ConfigureAwait(false); // this front end refuses the sessions' tokens at once; the others within their poll
        outgoing.Enqueue(mail.DeletionScheduled(account.Email, account.Username, eraseAfter));
        return TypedResults.Accepted((string?)null, new AccountDeletionResponse(eraseAfter));
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
