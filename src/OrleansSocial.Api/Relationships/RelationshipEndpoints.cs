using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Routing;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Infrastructure;
using Orleans;
using OrleansSocial.Users;
using OrleansSocial.Posts;
using OrleansSocial.Timelines;

namespace OrleansSocial.Api.Relationships;

/// <summary>How the signed-in user stands with another account (Mastodon's Relationship).</summary>
public sealed record RelationshipResponse(string Id, bool Following, bool FollowedBy, bool Requested, bool RequestedBy, bool Blocking,
    bool BlockedBy, bool Muting, DateTimeOffset? MutingExpiresAt)
{
    public static RelationshipResponse From(Relationship r) => new(r.Id.ToString(CultureInfo.InvariantCulture), r.Following, r.FollowedBy,
        r.Requested, r.RequestedBy, r.Blocking, r.BlockedBy, r.Muting, r.MutingExpiresAt);
}

/// <summary>An account as others see it.</summary>
public sealed record PublicAccountResponse(string Id, string Username, string DisplayName, string Bio, string Website, bool IsPrivate,
    DateTimeOffset CreatedAt, long FollowersCount, long FollowingCount, long PostsCount, string Avatar, string AvatarStatic, string Header,
    DateTimeOffset? MuteExpiresAt = null)
{
    public static PublicAccountResponse From(PublicAccount a, DateTimeOffset? muteExpiresAt = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        var avatar = Media.AccountImages.Avatar(a.AvatarKey);
        return new(a.Id.ToString(CultureInfo.InvariantCulture), a.Username, a.DisplayName, a.Bio, a.Website, a.IsPrivate, a.CreatedAt, a.FollowersCount,
            a.FollowingCount, a.PostsCount, avatar, avatar, Media.AccountImages.Header(a.HeaderKey), muteExpiresAt);
    }
}

/// <summary>Body of <c>POST /api/v1/accounts/{id}/mute</c>: how long, in seconds (absent or 0: until unmuted).</summary>
public sealed record MuteRequest(long? Duration);

/// <summary>Follows (with requests to private accounts), blocks, mutes, and the lists they make.</summary>
public static class RelationshipEndpoints
{
    private const int MaxRelationshipIds = 40;

    public static RouteGroupBuilder MapRelationshipEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var accounts = api.MapGroup("/accounts").WithTags("Relationships");
        accounts.MapGet("/{id:long}", GetAccountAsync).AllowAnonymous().WithName("GetAccount")
            .WithSummary("An account's public profile and counters; 404 when there is none or a block stands between. via_post: the post the visit came from (for its author's insights).")
            .Produces<PublicAccountResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        Change(accounts, "follow", "Follows the account, or requests to when it is private. Idempotent.", (g, id, _) => g.FollowAsync(id)).RequireVerifiedEmail();
        Change(accounts, "unfollow", "Stops following the account or withdraws the follow request. Idempotent.", (g, id, _) => g.UnfollowAsync(id));
        Change(accounts, "block", "Blocks the account: follows and requests both ways end; neither sees the other. Idempotent.", (g, id, _) => g.BlockAsync(id));
        Change(accounts, "unblock", "Unblocks the account. Idempotent.", (g, id, _) => g.UnblockAsync(id));
        Change(accounts, "mute", "Hides the account's posts and notifications from you, optionally for a duration (seconds). Idempotent.",
            (g, id, duration) => g.MuteAsync(id, duration));
        Change(accounts, "unmute", "Unmutes the account. Idempotent.", (g, id, _) => g.UnmuteAsync(id));
        accounts.MapGet("/search", SearchAsync).AllowAnonymous().WithName("SearchAccounts")
            .WithSummary("Accounts whose username or display name starts with or resembles q (1-100 characters); limit 1-40, offset.")
            .Produces<PublicAccountResponse[]>().ProducesValidationProblem();
        accounts.MapGet("/relationships", GetRelationshipsAsync).RequireAuthorization().WithName("Relationships")
            .WithSummary("How you stand with each account given as id (repeat id, at most 40).");
        accounts.MapGet("/{id:long}/followers", (long id, ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                ListAsync(http, page => grains.Reference<IUserGrain>(id).GetFollowersAsync(user.ViewerId(), page)))
            .AllowAnonymous().WithName("Followers").WithSummary("Who follows the account (a private account's: only for it and its followers).")
            .Produces<PublicAccountResponse[]>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        accounts.MapGet("/{id:long}/following", (long id, ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                ListAsync(http, page => grains.Reference<IUserGrain>(id).GetFollowingAsync(user.ViewerId(), page)))
            .AllowAnonymous().WithName("Following").WithSummary("Whom the account follows (a private account's: only for it and its followers).")
            .Produces<PublicAccountResponse[]>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        var mine = api.MapGroup("").WithTags("Relationships").RequireAuthorization();
        mine.MapGet("/follow_requests", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                ListAsync(http, page => grains.Reference<IUserGrain>(user.AccountId()).GetFollowRequestsAsync(page)))
            .WithName("FollowRequests").WithSummary("Accounts asking to follow you.").Produces<PublicAccountResponse[]>();
        mine.MapPost("/follow_requests/{id:long}/authorize", (long id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.Reference<IUserGrain>(user.AccountId()).AuthorizeFollowRequestAsync(id), r => TypedResults.Ok(RelationshipResponse.From(r))))
            .WithName("AuthorizeFollowRequest").WithSummary("Lets the account follow you.")
            .Produces<RelationshipResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        mine.MapPost("/follow_requests/{id:long}/reject", (long id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.Reference<IUserGrain>(user.AccountId()).RejectFollowRequestAsync(id), r => TypedResults.Ok(RelationshipResponse.From(r))))
            .WithName("RejectFollowRequest").WithSummary("Turns the follow request down.")
            .Produces<RelationshipResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        mine.MapGet("/blocks", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                ListAsync(http, page => grains.Reference<IUserGrain>(user.AccountId()).GetBlocksAsync(page)))
            .WithName("Blocks").WithSummary("Accounts you block.").Produces<PublicAccountResponse[]>();
        mine.MapGet("/mutes", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                ListAsync(http, page => grains.Reference<IUserGrain>(user.AccountId()).GetMutesAsync(page)))
            .WithName("Mutes").WithSummary("Accounts you mute, with when each mute ends.").Produces<PublicAccountResponse[]>();
        api.MapCloseFriendsEndpoints();
        return api;
    }

    private static RouteHandlerBuilder Change(RouteGroupBuilder accounts, string action, string summary, Func<IUserGrain, long, TimeSpan?, Task<Relationship>> change)
    {
        return accounts.MapPost($"/{{id:long}}/{action}", async (long id, ClaimsPrincipal user, IGrainFactory grains,
                [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] MuteRequest? body) =>
            {
                var me = user.AccountId();
                if (id == me)
                {
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [$"You cannot {action} yourself."] });
                }

                if (body?.Duration is < 0 or > 366L * 24 * 3600)
                {
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["duration"] = ["duration is seconds, from 0 (until unmuted) to one year."] });
                }

                TimeSpan? duration = body?.Duration is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : null;
                return await GrainResults.RunAsync(() => change(grains.Reference<IUserGrain>(me), id, duration), r => TypedResults.Ok(RelationshipResponse.From(r)))
                    .ConfigureAwait(false);
            })
            .RequireAuthorization().WithName(char.ToUpperInvariant(action[0]) + action[1..]).WithSummary(summary)
            .Produces<RelationshipResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    // A signed-in visitor's visit counts for the account's insights (once a day); via_post credits the post it came from.
    private static async Task<Results<Ok<PublicAccountResponse>, ProblemHttpResult, ValidationProblem>> GetAccountAsync(long id, string? via_post, ClaimsPrincipal user,
        IGrainFactory grains)
    {
        Guid? viaPost = null;
        if (via_post is not null)
        {
            if (!Guid.TryParse(via_post, out var post))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["via_post"] = ["via_post is a post id."] });
            }

            viaPost = post;
        }

        var viewer = user.ViewerId();
        var account = await grains.Reference<IUserGrain>(id).GetAccountAsync(viewer).ConfigureAwait(false);
        if (account is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such account.");
        }

        if (viewer != 0 && viewer != id)
        {
            // Credited to the post only if it is the account's and the visitor may see it.
            if (viaPost is { } postId && (await grains.Reference<IPostGrain>(postId).GetAsync(viewer).ConfigureAwait(false))?.Author.Id != id)
            {
                viaPost = null;
            }

            _ = grains.Reference<ITimelineGrain>(viewer).VisitedProfileAsync(id, viaPost);
        }

        return TypedResults.Ok(PublicAccountResponse.From(account));
    }

    private static async Task<Results<Ok<RelationshipResponse[]>, ValidationProblem>> GetRelationshipsAsync(
        [FromQuery(Name = "id")] string[]? id, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!AccountIds.TryParse(id, out var ids, out var bad))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [$"'{bad}' is not an account id."] });
        }

        if (ids.Length is 0 or > MaxRelationshipIds)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [$"Give 1 to {MaxRelationshipIds} account ids."] });
        }

        var relationships = await grains.Reference<IUserGrain>(user.AccountId()).GetRelationshipsAsync([.. ids.Distinct()]).ConfigureAwait(false);
        return TypedResults.Ok(relationships.Select(RelationshipResponse.From).ToArray());
    }

    private static async Task<Results<Ok<PublicAccountResponse[]>, ValidationProblem>> SearchAsync(string? q, int? limit, int? offset,
        ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var query = q?.Trim().TrimStart('@') ?? "";
        if (query.Length is 0 or > 100 || query.Any(char.IsControl))
        {
            errors["q"] = ["q is 1 to 100 characters of text."];
        }

        if (limit is < 1 or > PageRequest.MaxLimit)
        {
            errors["limit"] = [$"limit must be a whole number from 1 to {PageRequest.MaxLimit}."];
        }

        if (offset is < 0 or > 10_000)
        {
            errors["offset"] = ["offset must be a whole number from 0 to 10000."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The search is invalid.");
        }

        var found = await grains.Reference<IAccountSearchGrain>(0).SearchAsync(user.ViewerId(), query, limit ?? PageRequest.DefaultLimit, offset ?? 0)
            .ConfigureAwait(false);
        return TypedResults.Ok(found.Select(a => PublicAccountResponse.From(a)).ToArray());
    }

    /// <summary>Serves one page of an account list in the cursor convention.</summary>
    public static Task<IResult> ListAsync(HttpContext http, Func<PageQuery, Task<IReadOnlyList<AccountListItem>>> list) =>
        PageRequest.ServeAsync(http, list, i => i.Cursor, i => PublicAccountResponse.From(i.Account, i.Until));
}
