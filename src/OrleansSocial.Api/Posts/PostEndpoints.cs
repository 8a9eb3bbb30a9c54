using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Api.Media;
using OrleansSocial.Api.Relationships;
using OrleansSocial.Posts;
using Orleans;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Posts;

/// <summary>Body of <c>POST /api/v1/posts</c>: text (optional with media), visibility, a quoted post, and up to four uploads in order.</summary>
public sealed record CreatePostRequest([property: LongText] string? Text, string? Visibility, string? QuoteId, IReadOnlyList<string>? MediaIds = null);

/// <summary>Alt text of one attachment, in an edit.</summary>
public sealed record MediaAttributeRequest(string? Id, [property: LongText] string? Description);

/// <summary>
/// Body of <c>PATCH /api/v1/posts/{id}</c>: the new text; <c>media_ids</c> replaces the attachments (absent: kept), and
/// <c>media_attributes</c> changes alt texts.
/// </summary>
public sealed record EditPostRequest([property: LongText] string? Text, IReadOnlyList<string>? MediaIds = null, IReadOnlyList<MediaAttributeRequest>? MediaAttributes = null);

public sealed record MentionResponse(string Id, string Username);

/// <summary>An earlier version of a post: its text and the attachments it had (ids and alt texts then).</summary>
public sealed record PostEditResponse(string Text, DateTimeOffset EditedAt, IReadOnlyList<EditedMediaResponse> Media);

public sealed record EditedMediaResponse(string Id, string Description);

/// <summary>A post as the signed-in user (or an anonymous reader) sees it.</summary>
public sealed record PostResponse(
    string Id, PublicAccountResponse Author, string Text, string Visibility, PostResponse? Quote, IReadOnlyList<string> Tags,
    IReadOnlyList<MentionResponse> Mentions, DateTimeOffset CreatedAt, DateTimeOffset? EditedAt, long LikesCount, long RepostsCount,
    long BookmarksCount, long CommentsCount, bool Liked, bool Reposted, bool Bookmarked, IReadOnlyList<MediaAttachmentResponse> MediaAttachments)
{
    /// <summary>A moderator marked the media sensitive: show them behind a warning.</summary>
    public bool Sensitive { get; init; }

    /// <summary>Held for review by a keyword filter: only you see it, until a moderator approves it.</summary>
    public bool Held { get; init; }

    // A post grain of this process hands the same view object to every reader with no flags set, until something it
    // shows changes (SharedPostViews): the response made from such a view is kept in its slot, and the response's JSON
    // with the response, for as long as the view lives. Any other view is rendered for its one reader.
    private static readonly ConditionalWeakTable<PostResponse, byte[]> SharedJson = new();

    public static PostResponse From(PostView p)
    {
        ArgumentNullException.ThrowIfNull(p);
        // Time-limited media URLs are made for each response, never kept.
        if (SharedPostViews.MadeFrom(p) is not { } made || !HasStableUrls(p))
        {
            return Render(p);
        }

        if (made.Value is PostResponse kept)
        {
            return kept;
        }

        // Two first readers at once may both render it; the one kept first is the one all share.
        var response = Share(p);
        return (PostResponse)(Interlocked.CompareExchange(ref made.Value, response, null) ?? response);
    }

    /// <summary>The JSON of a response shared between readers (written when it was made), or null for any other.</summary>
    internal static byte[]? SharedJsonOf(PostResponse response) => SharedJson.TryGetValue(response, out var json) ? json : null;

    private static PostResponse Share(PostView p)
    {
        var response = Render(p);
        SharedJson.AddOrUpdate(response, JsonSerializer.SerializeToUtf8Bytes(response, ApiJsonContext.Default.PostResponse));
        return response;
    }

    private static bool HasStableUrls(PostView p) =>
        (p.Media is not { Count: > 0 } || (p.MediaPublic && OrleansSocial.Media.MediaLinks.PublicUrlsStable)) && (p.Quote is null || HasStableUrls(p.Quote));

    private static PostResponse Render(PostView p) => new(p.Id.ToString(), PublicAccountResponse.From(p.Author), p.Text, p.Visibility,
        p.Quote is null ? null : From(p.Quote), p.Tags, p.Mentions.Select(m => new MentionResponse(m.Id.ToString(CultureInfo.InvariantCulture), m.Username)).ToArray(),
        p.CreatedAt, p.EditedAt, p.Counts.Likes, p.Counts.Reposts, p.Counts.Bookmarks, p.Counts.Comments, p.Liked, p.Reposted, p.Bookmarked,
        MediaAttachmentResponse.List(p.Media, restricted: !p.MediaPublic))
    {
        Sensitive = p.Sensitive,
        Held = p.Held,
    };
}

/// <summary>Posts: create (idempotently), read, edit with history, delete; likes, reposts and bookmarks.</summary>
public static class PostEndpoints
{
    private const int MaxIdempotencyKeyLength = 100;

    public static RouteGroupBuilder MapPostEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var posts = api.MapGroup("/posts").WithTags("Posts");
        posts.MapPost("/", CreateAsync).RequireAuthorization().RequireVerifiedEmail().WithName("CreatePost")
            .WithSummary("Posts text (public, followers or private), optionally quoting a post. An Idempotency-Key header makes a retry return the first post.")
            .Produces<PostResponse>(StatusCodes.Status201Created).ProducesValidationProblem();
        posts.MapGet("/{id:guid}", GetAsync)
            .AllowAnonymous().WithName("GetPost").WithSummary("A post; 404 when it does not exist or you may not see it.")
            .Produces<PostResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        posts.MapPatch("/{id:guid}", EditAsync).RequireAuthorization().WithName("EditPost")
            .WithSummary("Replaces the text of your post; the old text goes to its history.")
            .Produces<PostResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        posts.MapDelete("/{id:guid}", (Guid id, ClaimsPrincipal user, IGrainFactory grains, IServiceProvider services) =>
                GrainResults.RunAsync(async () => { await grains.Reference<IPostGrain>(id).DeleteAsync(user.AccountId()).ConfigureAwait(false); return true; },
                    _ =>
                    {
                        services.GetService<OrleansSocial.Media.MediaSweeper>()?.Wake(); // the post's media blobs go now
                        return TypedResults.NoContent();
                    }))
            .RequireAuthorization().WithName("DeletePost").WithSummary("Deletes your post everywhere.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        posts.MapGet("/{id:guid}/history", (Guid id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.Reference<IPostGrain>(id).GetHistoryAsync(user.ViewerId()),
                    h => TypedResults.Ok(h.Select(e => new PostEditResponse(e.Text, e.EditedAt,
                        [.. (e.Media ?? []).Select(m => new EditedMediaResponse(m.Id.ToString(), m.Description))])).ToArray())))
            .AllowAnonymous().WithName("PostHistory").WithSummary("Earlier texts of an edited post, oldest first.")
            .Produces<PostEditResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        Action(posts, "like", "Likes the post. Idempotent.", (g, me) => g.LikeAsync(me));
        Action(posts, "unlike", "Takes the like back. Idempotent.", (g, me) => g.UnlikeAsync(me));
        Action(posts, "repost", "Reposts a public post. Idempotent.", (g, me) => g.RepostAsync(me)).RequireVerifiedEmail();
        Action(posts, "unrepost", "Takes the repost back. Idempotent.", (g, me) => g.UnrepostAsync(me));
        Action(posts, "bookmark", "Bookmarks the post. Idempotent.", (g, me) => g.BookmarkAsync(me));
        Action(posts, "unbookmark", "Removes the bookmark. Idempotent.", (g, me) => g.UnbookmarkAsync(me));
        posts.MapGet("/{id:guid}/liked_by", (Guid id, ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                RelationshipEndpoints.ListAsync(http, page => grains.Reference<IPostGrain>(id).GetLikedByAsync(user.ViewerId(), page)))
            .AllowAnonymous().WithName("LikedBy").WithSummary("Who liked the post.").Produces<PublicAccountResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        posts.MapGet("/{id:guid}/reposted_by", (Guid id, ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                RelationshipEndpoints.ListAsync(http, page => grains.Reference<IPostGrain>(id).GetRepostedByAsync(user.ViewerId(), page)))
            .AllowAnonymous().WithName("RepostedBy").WithSummary("Who reposted the post.").Produces<PublicAccountResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/bookmarks", BookmarksAsync).RequireAuthorization().WithTags("Posts").WithName("Bookmarks")
            .WithSummary("Your bookmarked posts, newest bookmark first.").Produces<PostResponse[]>();
        return api;
    }

    private static RouteHandlerBuilder Action(RouteGroupBuilder posts, string action, string summary, Func<IPostGrain, long, Task<PostView>> act) =>
        posts.MapPost($"/{{id:guid}}/{action}", (Guid id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => act(grains.Reference<IPostGrain>(id), user.AccountId()), p => TypedResults.Ok(PostResponse.From(p))))
            .RequireAuthorization().WithName(char.ToUpperInvariant(action[0]) + action[1..] + "Post").WithSummary(summary)
            .Produces<PostResponse>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

    // A post whose grain is active in this process (a front end hosted with its silo) is answered from what the grain
    // published, as the grain would answer; any other is asked of its grain.
    private static Task<IResult> GetAsync(Guid id, ClaimsPrincipal user, IGrainFactory grains, [FromServices] ILocalPostReader? local)
    {
        var viewer = user.ViewerId();
        if (local is not null && local.TryRead(id, viewer, out var view))
        {
            return Task.FromResult(view is null ? NoSuchPost() : Opened(view));
        }

        return GrainResults.RunAsync(async () => await grains.Reference<IPostGrain>(id).GetAsync(viewer).ConfigureAwait(false)
            ?? throw new KeyNotFoundException(NoSuchPostTitle), Opened);

        // Opening a post is an impression of it.
        IResult Opened(PostView post)
        {
            Analytics.AnalyticsEndpoints.Saw(grains, user, [post]);
            return ApiResults.Ok(PostResponse.From(post));
        }
    }

    private const string NoSuchPostTitle = "No such post.";

    private static IResult NoSuchPost() => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: NoSuchPostTitle);

    private static async Task<IResult> CreateAsync(CreatePostRequest body, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        ClaimsPrincipal user, IGrainFactory grains, PostOptions options)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var media = MediaIds(body.MediaIds, options, errors);
        if (PostText.Problem(body.Text, options.MaxLength, hasMedia: media is { Length: > 0 }) is { } problem)
        {
            errors["text"] = [problem];
        }

        var visibility = body.Visibility ?? PostVisibility.Public;
        if (!PostVisibility.IsValid(visibility))
        {
            errors["visibility"] = ["visibility is public, followers or private."];
        }

        Guid? quote = null;
        if (body.QuoteId is not null)
        {
            if (Guid.TryParse(body.QuoteId, out var parsed))
            {
                quote = parsed;
            }
            else
            {
                errors["quote_id"] = ["quote_id is not a post id."];
            }
        }

        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || idempotencyKey.Any(c => c < 0x21 || c > 0x7e)))
        {
            errors["Idempotency-Key"] = [$"The Idempotency-Key header is 1 to {MaxIdempotencyKeyLength} visible ASCII characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The post was not created.");
        }

        var me = user.AccountId();
        return await GrainResults.RunAsync(async () =>
        {
            var id = await grains.Reference<IPostGrain>(Guid.CreateVersion7()).CreateAsync(new NewPost(me, body.Text ?? "", visibility, quote, idempotencyKey, media))
                .ConfigureAwait(false);
            return await grains.Reference<IPostGrain>(id).GetAsync(me).ConfigureAwait(false) ?? throw new KeyNotFoundException("No such post.");
        }, p => TypedResults.Created($"/api/v1/posts/{p.Id}", PostResponse.From(p)), field: "quote_id").ConfigureAwait(false);
    }

    private static async Task<IResult> EditAsync(Guid id, EditPostRequest body, ClaimsPrincipal user, IGrainFactory grains, PostOptions options, IServiceProvider services)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var media = MediaIds(body.MediaIds, options, errors);
        Dictionary<Guid, string>? descriptions = null;
        foreach (var attribute in body.MediaAttributes ?? [])
        {
            if (!Guid.TryParse(attribute?.Id, out var mediaId))
            {
                errors["media_attributes"] = ["Each of media_attributes has the id of an attachment."];
            }
            else if ((attribute.Description ?? "").Length > OrleansSocial.Media.MediaDescription.MaxLength)
            {
                errors["media_attributes"] = [$"An alt text is at most {OrleansSocial.Media.MediaDescription.MaxLength} characters."];
            }
            else
            {
                (descriptions ??= [])[mediaId] = attribute.Description ?? "";
            }
        }

        // Without media_ids the post keeps its attachments: whether it may then lack text is the grain's to say.
        if (PostText.Problem(body.Text, options.MaxLength, hasMedia: media is null || media.Length > 0) is { } problem)
        {
            errors["text"] = [problem];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The post was not changed.");
        }

        return await GrainResults.RunAsync(() => grains.Reference<IPostGrain>(id).EditAsync(user.AccountId(), new PostChange(body.Text ?? "", media, descriptions)),
            p =>
            {
                if (media is not null)
                {
                    services.GetService<OrleansSocial.Media.MediaSweeper>()?.Wake(); // detached media's blobs go now
                }

                return TypedResults.Ok(PostResponse.From(p));
            }, field: "text").ConfigureAwait(false);
    }

    // media_ids as upload ids: null when absent; an error (and null) when any is not an id or there are too many.
    private static Guid[]? MediaIds(IReadOnlyList<string>? ids, PostOptions options, Dictionary<string, string[]> errors)
    {
        if (ids is null)
        {
            return null;
        }

        if (ids.Count > options.MaxAttachments)
        {
            errors["media_ids"] = [$"A post has at most {options.MaxAttachments} attachments."];
            return null;
        }

        var parsed = new Guid[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            if (!Guid.TryParse(ids[i], out parsed[i]))
            {
                errors["media_ids"] = ["media_ids lists upload ids."];
                return null;
            }
        }

        return parsed;
    }

    private static async Task<IResult> BookmarksAsync(ClaimsPrincipal user, IGrainFactory grains, HttpContext http)
    {
        if (!PageRequest.TryRead(http.Request, out var page, out var problem) || !page.TryGetQuery(out var query, out problem))
        {
            return problem!;
        }

        var me = user.AccountId();
        var rows = await grains.Reference<IUserGrain>(me).GetBookmarksAsync(query).ConfigureAwait(false);
        var posts = await Task.WhenAll(rows.Select(r => grains.Reference<IPostGrain>(r.PostId).GetAsync(me))).ConfigureAwait(false);
        page.WriteLinkHeader(http, rows, r => r.Cursor);
        return TypedResults.Ok(posts.OfType<PostView>().Select(PostResponse.From).ToArray());
    }
}
