using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Conversations;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Api.Media;
using OrleansSocial.Api.Posts;
using OrleansSocial.Api.Relationships;
using OrleansSocial.Stories;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Stories;

/// <summary>Body of <c>POST /api/v1/stories</c>.</summary>
public sealed record CreateStoryRequest(string? MediaId, [property: LongText] string? Caption, string? LinkUrl, string? Audience);

/// <summary>A live story. Its media URLs are always signed: a story is never for everyone who might guess a link.</summary>
/// <remarks>
/// <c>views_count</c> is the author's alone (null for everyone else); <c>tags</c> and <c>mentions</c> are the caption's
/// hashtags and mentioned accounts.
/// </remarks>
public sealed record StoryResponse(string Id, PublicAccountResponse Account, MediaAttachmentResponse Media, string Caption, IReadOnlyList<string> Tags,
    IReadOnlyList<MentionResponse> Mentions, string? LinkUrl, string Audience, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, long? ViewsCount)
{
    public static StoryResponse From(StoryView s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.Id.ToString(), PublicAccountResponse.From(s.Author), MediaAttachmentResponse.From(s.Media, restricted: true), s.Caption, s.Tags,
            [.. s.Mentions.Select(m => new MentionResponse(m.Id.ToString(CultureInfo.InvariantCulture), m.Username))], s.LinkUrl, s.Audience, s.CreatedAt,
            s.ExpiresAt, s.ViewsCount);
    }
}

/// <summary>
/// A story in a tray: which, when it ends and whether you saw it. A tray says whose stories to show and in what order; the
/// stories themselves (media, caption, link) come with <c>GET /api/v1/accounts/{id}/stories</c> when one is opened.
/// </summary>
public sealed record TrayStoryResponse(string Id, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, bool Seen);

/// <summary>The account of a tray entry: enough to draw its ring.</summary>
public sealed record TrayAccountResponse(string Id, string Username, string DisplayName, string Avatar);

/// <summary>An account in your story tray, with its live stories for you in order (each with <c>seen</c>).</summary>
public sealed record TrayEntryResponse(TrayAccountResponse Account, bool HasUnseen, IReadOnlyList<TrayStoryResponse> Stories)
{
    public static TrayEntryResponse From(TrayEntry e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var a = e.Account;
        return new(new TrayAccountResponse(a.Id.ToString(CultureInfo.InvariantCulture), a.Username, a.DisplayName, AccountImages.Avatar(a.AvatarKey)), e.HasUnseen,
            [.. e.Stories.Select((s, i) => new TrayStoryResponse(s.Id.ToString(), s.CreatedAt, s.ExpiresAt, e.Seen[i]))]);
    }
}

/// <summary>Body of <c>POST /api/v1/stories/{id}/replies</c>.</summary>
public sealed record StoryReplyRequest(string? ClientId, [property: LongText] string? Text);

/// <summary>Body of <c>POST /api/v1/stories/{id}/reactions</c>: one emoji.</summary>
public sealed record StoryReactionRequest(string? Emoji);

/// <summary>Someone who viewed your story: <c>id</c> is the list's cursor; <c>reaction</c> the emoji they reacted with, if any.</summary>
public sealed record StoryViewerResponse(string Id, PublicAccountResponse Account, DateTimeOffset ViewedAt, string? Reaction)
{
    public static StoryViewerResponse From(StoryViewer v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return new(v.Cursor.ToString(CultureInfo.InvariantCulture), PublicAccountResponse.From(v.Account), v.ViewedAt, v.Reaction);
    }
}

/// <summary>Stories: 24-hour posts of one photo or short video, each a <c>StoryGrain</c> that ends itself by reminder.</summary>
public static class StoryEndpoints
{
    public static RouteGroupBuilder MapStoryEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var stories = api.MapGroup("/stories").WithTags("Stories").RequireAuthorization();
        stories.MapPost("/", CreateAsync).WithName("CreateStory")
            .WithSummary("Posts a story: media_id (your processed upload: an image, or a video up to a minute), caption, link_url, audience (followers, close_friends, public).")
            .Produces<StoryResponse>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        stories.MapGet("/tray", async (ClaimsPrincipal user, IGrainFactory grains) =>
                TrayJson(await grains.GetGrain<IStoryTrayGrain>(user.AccountId()).GetTrayAsync().ConfigureAwait(false)))
            .WithName("StoryTray")
            .WithSummary("Accounts you follow with live stories for you, unseen first, then by latest story; each with its stories in order and whether you saw each. Muted and blocked accounts never appear.")
            .Produces<TrayEntryResponse[]>();
        stories.MapGet("/{id:guid}", (Guid id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => await grains.GetGrain<IStoryGrain>(id).GetAsync(user.AccountId()).ConfigureAwait(false)
                    ?? throw new KeyNotFoundException("No such story."), s => TypedResults.Ok(StoryResponse.From(s))))
            .WithName("GetStory").WithSummary("A live story you may see; 404 otherwise (ended, not for you, or across a block).")
            .Produces<StoryResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        stories.MapDelete("/{id:guid}", (Guid id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => { await grains.GetGrain<IStoryGrain>(id).DeleteAsync(user.AccountId()).ConfigureAwait(false); return true; },
                    _ => TypedResults.NoContent()))
            .WithName("DeleteStory").WithSummary("Ends your story at once; 404 for anyone else's.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        stories.MapPost("/{id:guid}/view", (Guid id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => { await grains.GetGrain<IStoryGrain>(id).ViewAsync(user.AccountId()).ConfigureAwait(false); return true; },
                    _ => TypedResults.NoContent()))
            .WithName("ViewStory").WithSummary("Records that you viewed the story (once, however often you call it).")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        stories.MapGet("/{id:guid}/viewers", ViewersAsync).WithName("StoryViewers")
            .WithSummary("Who viewed your story, newest first (cursor pagination), each with their reaction; 404 for anyone but its author, as if it did not exist.")
            .Produces<StoryViewerResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        stories.MapPost("/{id:guid}/replies", (Guid id, StoryReplyRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.GetGrain<IStoryGrain>(id).ReplyAsync(user.AccountId(), body.ClientId ?? "", body.Text ?? ""),
                    m => TypedResults.Created($"/api/v1/conversations/{m.ConversationId}/messages", MessageResponse.From(m))))
            .RequireVerifiedEmail().WithName("ReplyToStory")
            .WithSummary("Replies to a story you may see: a direct message to its author quoting the story (client_id makes a retry return the first). The author's dm_policy applies.")
            .Produces<MessageResponse>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        stories.MapPost("/{id:guid}/reactions", (Guid id, StoryReactionRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.GetGrain<IStoryGrain>(id).ReactAsync(user.AccountId(), body.Emoji ?? ""),
                    m => TypedResults.Created($"/api/v1/conversations/{m.ConversationId}/messages", MessageResponse.From(m))))
            .RequireVerifiedEmail().WithName("ReactToStory")
            .WithSummary("Reacts to a story you may see with one emoji: a lighter reply (a direct message marked a reaction), shown in the author's viewer list.")
            .Produces<MessageResponse>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/accounts/{id:long}/stories", AccountStoriesAsync).RequireAuthorization().WithTags("Stories").WithName("AccountStories")
            .WithSummary("The account's live stories you may see, oldest first; 404 across a block.")
            .Produces<StoryResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> CreateAsync(CreateStoryRequest body, ClaimsPrincipal user, IGrainFactory grains, StoryOptions options)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!Guid.TryParse(body.MediaId, out var mediaId))
        {
            errors["media_id"] = ["media_id is the id of your processed upload."];
        }

        var caption = (body.Caption ?? "").Trim();
        if (caption.Length > options.MaxCaptionLength)
        {
            errors["caption"] = [$"A caption is at most {options.MaxCaptionLength} characters."];
        }

        var link = string.IsNullOrWhiteSpace(body.LinkUrl) ? null : body.LinkUrl.Trim();
        if (link is not null && (link.Length > 2000 || !Uri.TryCreate(link, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            errors["link_url"] = ["link_url is an http or https URL of at most 2000 characters."];
        }

        var audience = body.Audience ?? StoryAudience.Followers;
        if (!StoryAudience.IsKnown(audience))
        {
            errors["audience"] = ["audience is followers, close_friends or public."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The story was not posted.");
        }

        return await GrainResults.RunAsync(() => grains.GetGrain<IStoryGrain>(Guid.CreateVersion7()).CreateAsync(new NewStory(user.AccountId(), mediaId, caption, link, audience)),
            s => TypedResults.Created($"/api/v1/stories/{s.Id}", StoryResponse.From(s)), field: "audience", mediaField: "media_id").ConfigureAwait(false);
    }

    // The reader's tray grain hands the same StoryTray object for every read until it changes (when it runs in this
    // process): its JSON is made once and kept with it. Trays hold no time-limited URLs, only avatars — kept only while
    // public media URLs are stable.
    private static readonly ConditionalWeakTable<StoryTray, byte[]> TrayResponses = new();

    private static IResult TrayJson(StoryTray tray)
    {
        if (!TrayResponses.TryGetValue(tray, out var json))
        {
            json = JsonSerializer.SerializeToUtf8Bytes(tray.Entries.Select(TrayEntryResponse.From).ToArray(), ApiJsonContext.Default.TrayEntryResponseArray);
            if (OrleansSocial.Media.MediaLinks.PublicUrlsStable)
            {
                TrayResponses.AddOrUpdate(tray, json);
            }
        }

        return TypedResults.Bytes(json, "application/json; charset=utf-8");
    }

    private static Task<IResult> ViewersAsync(Guid id, ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
        PageRequest.ServeAsync(http, page => grains.GetGrain<IStoryGrain>(id).GetViewersAsync(user.AccountId(), page), v => v.Cursor, StoryViewerResponse.From);

    private static async Task<IResult> AccountStoriesAsync(long id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var viewer = user.AccountId();
        var author = grains.GetGrain<IUserGrain>(id);
        if (await author.GetAccountAsync(viewer).ConfigureAwait(false) is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such account.");
        }

        var live = await author.GetLiveStoriesAsync().ConfigureAwait(false);
        var views = await Task.WhenAll(live.Select(s => grains.GetGrain<IStoryGrain>(s.Id).GetAsync(viewer))).ConfigureAwait(false);
        return TypedResults.Ok(views.OfType<StoryView>().Select(StoryResponse.From).ToArray());
    }
}
