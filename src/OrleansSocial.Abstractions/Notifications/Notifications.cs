using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Users;

namespace OrleansSocial.Notifications;

/// <summary>The kinds of notification.</summary>
public static class NotificationTypes
{
    public const string Follow = "follow";
    public const string FollowRequest = "follow_request";
    public const string FollowApproved = "follow_approved";
    public const string Like = "like";
    public const string Comment = "comment";
    public const string Reply = "reply";
    public const string Mention = "mention";
    public const string Repost = "repost";
    public const string Quote = "quote";

    /// <summary>A report the recipient filed was resolved or rejected (from the instance: no actor).</summary>
    public const string ReportResolved = "report_resolved";

    /// <summary>A moderator acted on the recipient's account or content (from the instance: no actor; names the action).</summary>
    public const string Moderation = "moderation";

    /// <summary>An admin decided the recipient's appeal of a moderation action (from the instance; names the action).</summary>
    public const string AppealDecided = "appeal_decided";

    /// <summary>From the instance: a sign-in from a new device, a password change, a two-factor change (see <c>Detail</c>).</summary>
    public const string Security = "security";

    public static IReadOnlyList<string> All { get; } =
        [Follow, FollowRequest, FollowApproved, Like, Comment, Reply, Mention, Repost, Quote, ReportResolved, Moderation, AppealDecided, Security];

    /// <summary>Types grouped by post and day in the grouped list ("A and 3 others liked your post").</summary>
    public static IReadOnlyList<string> Groupable { get; } = [Like, Repost];
}

/// <summary>Something that happened that the recipient should hear about.</summary>
/// <remarks><see cref="ActorId"/> 0: from the instance itself (moderation), not an account.</remarks>
[GenerateSerializer, Immutable, Alias("social.NotificationRequest")]
public sealed record NotificationRequest([property: Id(0)] string Type, [property: Id(1)] long ActorId, [property: Id(2)] Guid? PostId = null, [property: Id(3)] long? CommentId = null)
{
    /// <summary>The report a <see cref="NotificationTypes.ReportResolved"/> notification is about.</summary>
    [Id(4)]
    public long? ReportId { get; init; }

    /// <summary>The moderation action a <see cref="NotificationTypes.Moderation"/> notification is about.</summary>
    [Id(5)]
    public long? ActionId { get; init; }

    /// <summary>What a <see cref="NotificationTypes.Security"/> notification tells (for example <c>new_sign_in</c>, with the device).</summary>
    [Id(6)]
    public string? Detail { get; init; }
}

/// <summary>A stored notification.</summary>
/// <remarks><see cref="Actor"/> is null for a notification from the instance itself.</remarks>
[GenerateSerializer, Immutable, Alias("social.NotificationView")]
public sealed record NotificationView([property: Id(0)] long Id, [property: Id(1)] string Type, [property: Id(2)] PublicAccount? Actor, [property: Id(3)] Guid? PostId, [property: Id(4)] long? CommentId, [property: Id(5)] DateTimeOffset CreatedAt, [property: Id(6)] bool Read)
{
    [Id(7)]
    public long? ReportId { get; init; }

    [Id(8)]
    public long? ActionId { get; init; }

    [Id(9)]
    public string? Detail { get; init; }
}

/// <summary>Notifications of one type about one post on one day, newest first (like and repost), or a single one.</summary>
[GenerateSerializer, Immutable, Alias("social.NotificationGroup")]
public sealed record NotificationGroup([property: Id(0)] long Cursor, [property: Id(1)] string Type, [property: Id(2)] Guid? PostId, [property: Id(3)] long? CommentId, [property: Id(4)] IReadOnlyList<PublicAccount> SampleActors, [property: Id(5)] long ActorsCount,
    [property: Id(6)] long NotificationsCount, [property: Id(7)] DateTimeOffset LatestAt, [property: Id(8)] bool Read)
{
    [Id(9)]
    public long? ReportId { get; init; }

    [Id(10)]
    public long? ActionId { get; init; }

    [Id(11)]
    public string? Detail { get; init; }
}

/// <summary>Which notifications a list asks for.</summary>
[GenerateSerializer, Immutable, Alias("social.NotificationFilter")]
public sealed record NotificationFilter([property: Id(0)] IReadOnlyList<string>? Types, [property: Id(1)] bool UnreadOnly);

/// <summary>
/// One per account (key: the account id): stores and pushes its notifications (SignalR <c>notification</c>) and keeps
/// the unread count hot. Notifications from oneself, from accounts blocked either way or muted by the recipient, and of
/// types the recipient switched off are dropped.
/// </summary>
[Alias("social.INotificationInboxGrain")]
public interface INotificationInboxGrain : IGrainWithIntegerKey
{
    /// <summary>Stores and pushes the notification; null when a rule dropped it.</summary>
    Task<NotificationView?> NotifyAsync(NotificationRequest request);

    /// <summary>
    /// Counts and pushes a notification the acting grain already stored (in the same statement as its action, under the
    /// same rules), as notification <paramref name="notificationId"/> created at <paramref name="createdAt"/>.
    /// </summary>
    Task DeliverAsync(long notificationId, NotificationRequest request, DateTimeOffset createdAt);

    [ReadOnly]
    Task<IReadOnlyList<NotificationView>> ListAsync(NotificationFilter filter, PageQuery page);

    [ReadOnly]
    Task<IReadOnlyList<NotificationGroup>> ListGroupedAsync(NotificationFilter filter, PageQuery page);

    [ReadOnly]
    Task<long> GetUnreadCountAsync();

    /// <summary>Marks one read; <see cref="KeyNotFoundException"/> when the account has no such notification.</summary>
    Task MarkReadAsync(long notificationId);

    Task MarkAllReadAsync();

    Task DeleteAsync(long notificationId);

    [ReadOnly]
    Task<IReadOnlyDictionary<string, bool>> GetPreferencesAsync();

    Task<IReadOnlyDictionary<string, bool>> SetPreferencesAsync(IReadOnlyDictionary<string, bool> changes);

    /// <summary>Re-counts unread notifications (a mute or block changed which ones show).</summary>
    [AlwaysInterleave]
    Task RefreshAsync();
}
