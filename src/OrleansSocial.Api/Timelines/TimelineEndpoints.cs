using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Analytics;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Api.Posts;
using OrleansSocial.Api.Relationships;
using OrleansSocial.Posts;
using Orleans;
using OrleansSocial.Timelines;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Timelines;

/// <summary>One timeline entry: its cursor id, the post as you see it, and who reposted it (for a repost).</summary>
public sealed record TimelineItemResponse(string Id, PostResponse Post, PublicAccountResponse? RepostedBy)
{
    public static TimelineItemResponse From(TimelineItem i) => new(i.Key.ToString(CultureInfo.InvariantCulture), PostResponse.From(i.Post),
        i.RepostedBy is null ? null : PublicAccountResponse.From(i.RepostedBy));
}

public sealed record TagResponse(string Name, long PostsCount);

public sealed record FollowedTagResponse(string Id, string Name);

/// <summary>A trending hashtag: distinct accounts using it in the last 24 hours, and their daily average over the 6 days before.</summary>
public sealed record TrendingTagResponse(string Name, long Accounts, double Baseline);

/// <summary>Ancestors: the quote chain above the post, oldest first. Descendants: the posts quoting it.</summary>
public sealed record ContextResponse(PostResponse[] Ancestors, PostResponse[] Descendants);

/// <summary>What <c>GET /api/v1/search</c> found, per type asked for.</summary>
public sealed record SearchResponse(PublicAccountResponse[] Accounts, TimelineItemResponse[] Posts, TagResponse[] Hashtags);

/// <summary>Home, profile and hashtag timelines, followed hashtags, threads and search.</summary>
public static class TimelineEndpoints
{
    private const int MaxQueryLength = 200;

    public static RouteGroupBuilder MapTimelineEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var timelines = api.MapGroup("/timelines").WithTags("Timelines");
        timelines.MapGet("/home", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                ServeAsync(http, page => grains.Reference<ITimelineGrain>(user.AccountId()).ReadAsync(page)))
            .RequireAuthorization().WithName("HomeTimeline")
            .WithSummary("Posts and reposts of the accounts and hashtags you follow, and your own, newest first (cursor pagination).")
            .Produces<TimelineItemResponse[]>().ProducesValidationProblem();
        timelines.MapGet("/tag/{tag}", (string tag, ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                WithTag(tag, name => ServeAsync(http, Counted(user, grains, page => grains.Reference<IFeedGrain>(0).TagAsync(name, user.ViewerId(), page)))))
            .AllowAnonymous().WithName("TagTimeline").WithSummary("Public posts with the hashtag, newest first.")
            .Produces<TimelineItemResponse[]>().ProducesValidationProblem();
        api.MapGet("/accounts/{id:long}/posts", (long id, bool? exclude_reposts, bool? only_media, ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                ServeAsync(http, Counted(user, grains, page => grains.Reference<IFeedGrain>(0).ProfileAsync(id, user.ViewerId(), page, exclude_reposts ?? false, only_media ?? false))))
            .AllowAnonymous().WithTags("Timelines").WithName("AccountPosts")
            .WithSummary("The account's posts and reposts you may see, newest first; exclude_reposts=true leaves reposts out; only_media=true lists only its own posts with attachments (the media tab). Replies are comments, listed under their post.")
            .Produces<TimelineItemResponse[]>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/posts/{id:guid}/context", (Guid id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.Reference<IFeedGrain>(0).ContextAsync(id, user.ViewerId()),
                    c => Counted(user, grains, c.Ancestors.Concat(c.Descendants), TypedResults.Ok(new ContextResponse([.. c.Ancestors.Select(PostResponse.From)], [.. c.Descendants.Select(PostResponse.From)])))))
            .AllowAnonymous().WithTags("Timelines").WithName("PostContext")
            .WithSummary("The thread around a post: the quote chain above it and the posts quoting it (each only if you may see it).")
            .Produces<ContextResponse>().ProducesProblem(StatusCodes.Status404NotFound);

        var tags = api.MapGroup("").WithTags("Timelines").RequireAuthorization();
        tags.MapPost("/tags/{tag}/follow", (string tag, ClaimsPrincipal user, IGrainFactory grains) =>
                WithTag(tag, name => GrainResults.RunAsync(async () => { await grains.Reference<IUserGrain>(user.AccountId()).FollowTagAsync(name).ConfigureAwait(false); return name; },
                    n => TypedResults.Ok(new TagResponse(n, 0)))))
            .WithName("FollowTag").WithSummary("Follows a hashtag: its public posts join your home timeline. Idempotent.")
            .Produces<TagResponse>().ProducesValidationProblem();
        tags.MapPost("/tags/{tag}/unfollow", (string tag, ClaimsPrincipal user, IGrainFactory grains) =>
                WithTag(tag, name => GrainResults.RunAsync(async () => { await grains.Reference<IUserGrain>(user.AccountId()).UnfollowTagAsync(name).ConfigureAwait(false); return name; },
                    n => TypedResults.Ok(new TagResponse(n, 0)))))
            .WithName("UnfollowTag").WithSummary("Stops following a hashtag. Idempotent.")
            .Produces<TagResponse>().ProducesValidationProblem();
        tags.MapGet("/followed_tags", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                PageRequest.ServeAsync(http, page => grains.Reference<IUserGrain>(user.AccountId()).GetFollowedTagsAsync(page), t => t.Cursor,
                    t => new FollowedTagResponse(t.Cursor.ToString(CultureInfo.InvariantCulture), t.Tag)))
            .WithName("FollowedTags").WithSummary("The hashtags you follow, newest first.").Produces<FollowedTagResponse[]>();

        var trends = api.MapGroup("/trends").WithTags("Timelines").AllowAnonymous();
        trends.MapGet("/posts", (int? limit, int? offset, ClaimsPrincipal user, IGrainFactory grains) =>
                WithWindow(limit, offset, 100, async (l, o) => TypedResults.Ok((await grains.Reference<IFeedGrain>(0).TrendingPostsAsync(user.ViewerId(), l, o)
                    .ConfigureAwait(false)).Select(PostResponse.From).ToArray())))
            .WithName("TrendingPosts")
            .WithSummary("Public posts of the last 7 days by (likes×2 + comments×3 + reposts×5) / (age in hours + 2)^1.5; limit 1-40, offset up to 100.")
            .Produces<PostResponse[]>().ProducesValidationProblem();
        trends.MapGet("/tags", (int? limit, IGrainFactory grains) =>
                WithWindow(limit, 0, 0, async (l, _) => TypedResults.Ok((await grains.Reference<ITrendsGrain>(0).GetTagsAsync(l).ConfigureAwait(false))
                    .Select(t => new TrendingTagResponse(t.Tag, t.Accounts, Math.Round(t.Baseline, 2))).ToArray())))
            .WithName("TrendingTags")
            .WithSummary("Hashtags used by at least two accounts in the last 24 hours, by how far that exceeds their daily average of the 6 days before.")
            .Produces<TrendingTagResponse[]>().ProducesValidationProblem();

        api.MapGet("/search", SearchAsync).AllowAnonymous().WithTags("Timelines").WithName("Search")
            .WithSummary("Searches accounts (prefix and fuzzy), posts (full text, only those you may see; order=newest or relevance) and hashtags (prefix). type limits it to one kind.")
            .Produces<SearchResponse>().ProducesValidationProblem();
        return api;
    }

    private static async Task<IResult> WithWindow(int? limit, int? offset, int maxOffset, Func<int, int, Task<IResult>> then)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (limit is < 1 or > PageRequest.MaxLimit)
        {
            errors["limit"] = [$"limit must be a whole number from 1 to {PageRequest.MaxLimit}."];
        }

        if (offset < 0 || offset > maxOffset)
        {
            errors["offset"] = [$"offset must be a whole number from 0 to {maxOffset}."];
        }

        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors, title: "The page parameters are invalid.")
            : await then(limit ?? PageRequest.DefaultLimit, offset ?? 0).ConfigureAwait(false);
    }

    // Timelines other than home (which its grain counts) report what they showed as impressions.
    private static Func<PageQuery, Task<IReadOnlyList<TimelineItem>>> Counted(ClaimsPrincipal user, IGrainFactory grains,
        Func<PageQuery, Task<IReadOnlyList<TimelineItem>>> read) => async page =>
    {
        var items = await read(page).ConfigureAwait(false);
        AnalyticsEndpoints.Saw(grains, user, items.Select(i => i.Post));
        return items;
    };

    private static T Counted<T>(ClaimsPrincipal user, IGrainFactory grains, IEnumerable<PostView> shown, T result)
    {
        AnalyticsEndpoints.Saw(grains, user, shown);
        return result;
    }

    private static Task<IResult> ServeAsync(HttpContext http, Func<PageQuery, Task<IReadOnlyList<TimelineItem>>> read) =>
        PageRequest.ServeAsync(http, read, i => i.Key, TimelineItemResponse.From);

    private static async Task<IResult> WithTag(string tag, Func<string, Task<IResult>> then)
    {
        string name;
        try
        {
            name = TagRules.Normalize(tag);
        }
        catch (ArgumentException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tag"] = [e.Message] }, title: "The hashtag is invalid.");
        }

        return await then(name).ConfigureAwait(false);
    }

    private static async Task<IResult> SearchAsync(string? q, string? type, string? order, int? limit, int? offset, ClaimsPrincipal user,
        IGrainFactory grains, HttpContext http)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var query = q?.Trim() ?? "";
        if (query.Length is 0 or > MaxQueryLength || query.Any(char.IsControl))
        {
            errors["q"] = [$"q is 1 to {MaxQueryLength} characters of text."];
        }

        if (type is not (null or "accounts" or "posts" or "hashtags"))
        {
            errors["type"] = ["type is accounts, posts or hashtags."];
        }

        if (order is not (null or "newest" or "relevance"))
        {
            errors["order"] = ["order is newest or relevance."];
        }

        if (limit is < 1 or > PageRequest.MaxLimit)
        {
            errors["limit"] = [$"limit must be a whole number from 1 to {PageRequest.MaxLimit}."];
        }

        if (offset is < 0 or > 10_000)
        {
            errors["offset"] = ["offset must be a whole number from 0 to 10000."];
        }

        if (!PageRequest.TryRead(http.Request, out var page, out var pageProblem) || !page.TryGetQuery(out var pageQuery, out pageProblem))
        {
            return pageProblem!;
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The search is invalid.");
        }

        var count = limit ?? PageRequest.DefaultLimit;
        var viewer = user.ViewerId();
        var accounts = type is null or "accounts"
            ? await grains.Reference<IAccountSearchGrain>(0).SearchAsync(viewer, query.TrimStart('@'), count, offset ?? 0).ConfigureAwait(false)
            : [];
        var posts = type is null or "posts"
            ? await grains.Reference<IFeedGrain>(0).SearchPostsAsync(query, viewer, order == "relevance", pageQuery with { Limit = count }, offset ?? 0)
                .ConfigureAwait(false)
            : [];
        var hashtags = type is null or "hashtags"
            ? await grains.Reference<IFeedGrain>(0).SearchTagsAsync(query.TrimStart('#').ToLowerInvariant(), viewer, count).ConfigureAwait(false)
            : [];
        AnalyticsEndpoints.Saw(grains, user, posts.Select(p => p.Post));
        if (type == "posts" && order != "relevance")
        {
            page.WriteLinkHeader(http, posts, p => p.Key);
        }

        return TypedResults.Ok(new SearchResponse([.. accounts.Select(a => PublicAccountResponse.From(a))], [.. posts.Select(TimelineItemResponse.From)],
            [.. hashtags.Select(t => new TagResponse(t.Tag, t.Posts))]));
    }
}
