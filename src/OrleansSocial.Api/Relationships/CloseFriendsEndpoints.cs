using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Users;
using Orleans;

namespace OrleansSocial.Api.Relationships;

/// <summary>Body of <c>PUT</c> and <c>DELETE /api/v1/lists/close_friends/accounts</c>: the accounts to add or remove.</summary>
public sealed record CloseFriendsRequest(string[]? AccountIds);

/// <summary>How many accounts a change to the close-friends list added or removed.</summary>
public sealed record CloseFriendsChangeResponse(int Changed);

/// <summary>
/// The signed-in account's close-friends list (the audience of its close-friends stories). It exists only under the
/// caller's own session: nobody can read or change another's, and nobody learns they are on one.
/// </summary>
public static class CloseFriendsEndpoints
{
    public static RouteGroupBuilder MapCloseFriendsEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var list = api.MapGroup("/lists/close_friends/accounts").WithTags("Relationships").RequireAuthorization();
        list.MapGet("/", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                RelationshipEndpoints.ListAsync(http, page => grains.Reference<IUserGrain>(user.AccountId()).GetCloseFriendsAsync(page)))
            .WithName("CloseFriends").WithSummary("Your close friends, most recently added first (cursor pagination).")
            .Produces<PublicAccountResponse[]>();
        list.MapPut("/", (CloseFriendsRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                ChangeAsync(body, ids => grains.Reference<IUserGrain>(user.AccountId()).AddCloseFriendsAsync(ids)))
            .WithName("AddCloseFriends")
            .WithSummary($"Adds account_ids (1 to {CloseFriends.MaxPerRequest}) to your close friends; idempotent. At most {CloseFriends.Capacity} on the list.")
            .Produces<CloseFriendsChangeResponse>().ProducesValidationProblem();
        list.MapDelete("/", ([Microsoft.AspNetCore.Mvc.FromBody] CloseFriendsRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                ChangeAsync(body, ids => grains.Reference<IUserGrain>(user.AccountId()).RemoveCloseFriendsAsync(ids)))
            .WithName("RemoveCloseFriends").WithSummary($"Takes account_ids (1 to {CloseFriends.MaxPerRequest}) off your close friends; idempotent.")
            .Produces<CloseFriendsChangeResponse>().ProducesValidationProblem();
        return api;
    }

    private static async Task<IResult> ChangeAsync(CloseFriendsRequest body, Func<long[], Task<int>> change)
    {
        if (!AccountIds.TryParse(body.AccountIds, out var ids, out var bad))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["account_ids"] = [$"'{bad}' is not an account id."] });
        }

        if (ids.Length is 0 or > CloseFriends.MaxPerRequest)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["account_ids"] = [$"Give 1 to {CloseFriends.MaxPerRequest} account ids."] });
        }

        return await GrainResults.RunAsync(() => change(ids), n => TypedResults.Ok(new CloseFriendsChangeResponse(n)), field: "account_ids").ConfigureAwait(false);
    }
}
