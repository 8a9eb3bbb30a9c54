using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Api.Posts;
using OrleansSocial.Api.Relationships;
using OrleansSocial.Notifications;
using OrleansSocial.Posts;
using Orleans;

namespace OrleansSocial.Api.Notifications;

/// <summary>
/// A notification; <c>post</c> is the post it is about as the reader sees it now (null when there is none or it is gone);
/// <c>actor</c> is null for one from the instance itself (<c>report_resolved</c>, naming <c>report_id</c>).
/// </summary>
public sealed record NotificationResponse(string Id, string Type, PublicAccountResponse? Actor, string? PostId, string? CommentId, DateTimeOffset CreatedAt, bool Read,
    PostResponse? Post = null)
{
    public string? ReportId { get; init; }

    /// <summary>The moderation action a <c>moderation</c> notification is about.</summary>
    public string? ActionId { get; init; }

    /// <summary>What a <c>security</c> notification tells: <c>new_sign_in</c>, <c>password_changed</c>, <c>two_factor_enabled</c>, … (with the device).</summary>
    public string? Detail { get; init; }

    public static NotificationResponse From(NotificationView n) => From(n, null);

    public static NotificationResponse From(NotificationView n, PostResponse? post) => new(n.Id.ToString(CultureInfo.InvariantCulture), n.Type,
        n.Actor is null ? null : PublicAccountResponse.From(n.Actor), n.PostId?.ToString(), n.CommentId?.ToString(CultureInfo.InvariantCulture), n.CreatedAt, n.Read, post)
    {
        ReportId = n.ReportId?.ToString(CultureInfo.InvariantCulture),
        ActionId = n.ActionId?.ToString(CultureInfo.InvariantCulture),
        Detail = n.Detail,
    };
}

/// <summary>A grouped notification: "A, B and 3 others liked your post".</summary>
public sealed record NotificationGroupResponse(string Id, string Type, string? PostId, string? CommentId, IReadOnlyList<PublicAccountResponse> SampleActors,
    long ActorsCount, long NotificationsCount, DateTimeOffset LatestAt, bool Read, PostResponse? Post = null)
{
    public string? ReportId { get; init; }

    public string? ActionId { get; init; }

    public string? Detail { get; init; }
}

public sealed record UnreadCountResponse(long Count);

/// <summary>Body of <c>PATCH /api/v1/notifications/preferences</c>: the types to switch on (true) or off (false).</summary>
public sealed record NotificationPreferences(bool? Follow, bool? FollowRequest, bool? FollowApproved, bool? Like, bool? Comment, bool? Reply, bool? Mention,
    bool? Repost, bool? Quote)
{
    public Dictionary<string, bool> Changes() => new Dictionary<string, bool?>(StringComparer.Ordinal)
    {
        [NotificationTypes.Follow] = Follow, [NotificationTypes.FollowRequest] = FollowRequest, [NotificationTypes.FollowApproved] = FollowApproved,
        [NotificationTypes.Like] = Like, [NotificationTypes.Comment] = Comment, [NotificationTypes.Reply] = Reply, [NotificationTypes.Mention] = Mention,
        [NotificationTypes.Repost] = Repost, [NotificationTypes.Quote] = Quote,
    }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.Value, StringComparer.Ordinal);
}

/// <summary>The signed-in user's notifications; nobody can read or change another's.</summary>
public static class NotificationEndpoints
{
    public static RouteGroupBuilder MapNotificationEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var notifications = api.MapGroup("/notifications").WithTags("Notifications").RequireAuthorization();
        notifications.MapGet("/", ListAsync).WithName("Notifications")
            .WithSummary("Your notifications, newest first; filter with types (repeatable) and unread_only; grouped=true groups likes and reposts of a post per day.")
            .Produces<NotificationResponse[]>().Produces<NotificationGroupResponse[]>().ProducesValidationProblem();
        notifications.MapGet("/unread_count", async (ClaimsPrincipal user, IGrainFactory grains) =>
                TypedResults.Ok(new UnreadCountResponse(await Inbox(grains, user).GetUnreadCountAsync().ConfigureAwait(false))))
            .WithName("UnreadNotificationCount").WithSummary("How many of your notifications are unread.");
        notifications.MapPost("/{id:long}/read", (long id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => { await Inbox(grains, user).MarkReadAsync(id).ConfigureAwait(false); return true; }, _ => TypedResults.NoContent()))
            .WithName("ReadNotification").WithSummary("Marks one notification read.").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        notifications.MapPost("/read_all", async (ClaimsPrincipal user, IGrainFactory grains) =>
            {
                await Inbox(grains, user).MarkAllReadAsync().ConfigureAwait(false);
                return TypedResults.NoContent();
            })
            .WithName("ReadAllNotifications").WithSummary("Marks every notification read.");
        notifications.MapDelete("/{id:long}", (long id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => { await Inbox(grains, user).DeleteAsync(id).ConfigureAwait(false); return true; }, _ => TypedResults.NoContent()))
            .WithName("DeleteNotification").WithSummary("Deletes one notification.").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        notifications.MapGet("/preferences", async (ClaimsPrincipal user, IGrainFactory grains) =>
                TypedResults.Ok(await Inbox(grains, user).GetPreferencesAsync().ConfigureAwait(false)))
            .WithName("NotificationPreferences").WithSummary("Which notification types you receive (off: neither stored nor pushed).");
        notifications.MapPatch("/preferences", async (NotificationPreferences body, ClaimsPrincipal user, IGrainFactory grains) =>
                TypedResults.Ok(await Inbox(grains, user).SetPreferencesAsync(body.Changes()).ConfigureAwait(false)))
            .WithName("SetNotificationPreferences").WithSummary("Switches notification types on or off.");
        return api;
    }

    private static INotificationInboxGrain Inbox(IGrainFactory grains, ClaimsPrincipal user) => grains.Reference<INotificationInboxGrain>(user.AccountId());

    private static async Task<IResult> ListAsync(HttpContext http, ClaimsPrincipal user, IGrainFactory grains, [FromQuery(Name = "types")] string[]? types,
        [FromQuery(Name = "unread_only")] bool? unreadOnly, bool? grouped)
    {
        if (!PageRequest.TryRead(http.Request, out var page, out var problem) || !page.TryGetQuery(out var query, out problem))
        {
            return problem!;
        }

        if (types?.FirstOrDefault(t => !NotificationTypes.All.Contains(t)) is { } unknown)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["types"] = [$"'{unknown}' is not a notification type ({string.Join(", ", NotificationTypes.All)})."],
            });
        }

        var filter = new NotificationFilter(types, unreadOnly ?? false);
        if (grouped == true)
        {
            var groups = await Inbox(grains, user).ListGroupedAsync(filter, query).ConfigureAwait(false);
            var groupPosts = await PostsAsync(grains, user.AccountId(), groups.Select(g => g.PostId)).ConfigureAwait(false);
            page.WriteLinkHeader(http, groups, g => g.Cursor);
            return TypedResults.Ok(groups.Select(g => new NotificationGroupResponse(g.Cursor.ToString(CultureInfo.InvariantCulture), g.Type, g.PostId?.ToString(),
                g.CommentId?.ToString(CultureInfo.InvariantCulture), g.SampleActors.Select(a => PublicAccountResponse.From(a)).ToArray(), g.ActorsCount,
                g.NotificationsCount, g.LatestAt, g.Read, g.PostId is { } id ? groupPosts.GetValueOrDefault(id) : null)
            {
                ReportId = g.ReportId?.ToString(CultureInfo.InvariantCulture),
                ActionId = g.ActionId?.ToString(CultureInfo.InvariantCulture),
                Detail = g.Detail,
            }).ToArray());
        }

        var list = await Inbox(grains, user).ListAsync(filter, query).ConfigureAwait(false);
        var posts = await PostsAsync(grains, user.AccountId(), list.Select(n => n.PostId)).ConfigureAwait(false);
        page.WriteLinkHeader(http, list, n => n.Id);
        return TypedResults.Ok(list.Select(n => NotificationResponse.From(n, n.PostId is { } id ? posts.GetValueOrDefault(id) : null)).ToArray());
    }

    // The page's posts as the reader may see them now (with their media), one grain call per distinct post, at once.
    private static async Task<Dictionary<Guid, PostResponse>> PostsAsync(IGrainFactory grains, long reader, IEnumerable<Guid?> ids)
    {
        var distinct = ids.OfType<Guid>().Distinct().ToArray();
        var views = await Task.WhenAll(distinct.Select(id => grains.Reference<IPostGrain>(id).GetAsync(reader))).ConfigureAwait(false);
        return views.OfType<PostView>().ToDictionary(v => v.Id, PostResponse.From);
    }
}
