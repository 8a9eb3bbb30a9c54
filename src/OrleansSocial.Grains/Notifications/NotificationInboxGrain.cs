using System.Text.Json;
using OrleansSocial.Notifications;
using OrleansSocial.Realtime;
using Orleans;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Notifications;

/// <summary>
/// An account's notifications: stored in <c>notifications</c>, pushed as the SignalR <c>notification</c> event to every
/// connection of the account (any front end), with the unread count held hot.
/// </summary>
public sealed class NotificationInboxGrain(NotificationStore store) : Grain, INotificationInboxGrain
{

    private long _unread;

    // The newest notification id the last count saw: a notification delivered with a higher id is not in _unread yet.
    private long _countedThrough;

    private long Id => this.GetPrimaryKeyLong();

    public override Task OnActivateAsync(CancellationToken cancellationToken) => RecountAsync();

    public async Task<NotificationView?> NotifyAsync(NotificationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!NotificationTypes.All.Contains(request.Type))
        {
            throw new ArgumentException($"Unknown notification type '{request.Type}'.", nameof(request));
        }

        var stored = await store.InsertAsync(Id, request);
        if (stored is not null)
        {
            await CountInAsync(stored.Id);
            await PushAsync(stored);
        }

        return stored;
    }

    public async Task DeliverAsync(long notificationId, NotificationRequest request, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(request);
        await CountInAsync(notificationId);
        if (await GrainFactory.Reference<IUserGrain>(request.ActorId).GetAccountAsync(0) is { } actor)
        {
            await PushAsync(new NotificationView(notificationId, request.Type, actor, request.PostId, request.CommentId, createdAt, Read: false));
        }
    }

    // A stored notification joins the unread count once: the last count may already include it (a count that ran while
    // it was being stored, or the activation this very delivery caused), and then its id is not above what that count saw.
    private async Task CountInAsync(long notificationId)
    {
        if (notificationId > _countedThrough)
        {
            _unread++;
        }
        else
        {
            await RecountAsync();
        }
    }

    private async Task RecountAsync() => (_unread, _countedThrough) = await store.CountUnreadAsync(Id);

    private Task PushAsync(NotificationView stored)
    {
        return UserEvents.PublishAsync(ServiceProvider, Id, UserEvents.Create(UserEventNames.Notification, NotificationEvent.From(stored, _unread)));
    }

    public Task<IReadOnlyList<NotificationView>> ListAsync(NotificationFilter filter, PageQuery page) => store.ListAsync(Id, filter, page);

    public Task<IReadOnlyList<NotificationGroup>> ListGroupedAsync(NotificationFilter filter, PageQuery page) => store.ListGroupedAsync(Id, filter, page);

    public Task<long> GetUnreadCountAsync() => Task.FromResult(_unread);

    public async Task MarkReadAsync(long notificationId)
    {
        var (found, changed) = await store.MarkReadAsync(Id, notificationId);
        if (!found)
        {
            throw new KeyNotFoundException("No such notification.");
        }

        // The hot count only counts what the list shows; re-counting keeps it exact when a hidden one is marked.
        if (changed > 0)
        {
            await RecountAsync();
        }
    }

    public async Task MarkAllReadAsync()
    {
        await store.MarkReadAsync(Id, null);
        await RecountAsync(); // exact even when a notification stored meanwhile is still on its way here
    }

    public async Task DeleteAsync(long notificationId)
    {
        if (!await store.DeleteAsync(Id, notificationId))
        {
            throw new KeyNotFoundException("No such notification.");
        }

        await RecountAsync();
    }

    public Task<IReadOnlyDictionary<string, bool>> GetPreferencesAsync() => store.PreferencesAsync(Id);

    public async Task<IReadOnlyDictionary<string, bool>> SetPreferencesAsync(IReadOnlyDictionary<string, bool> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Keys.FirstOrDefault(k => !NotificationTypes.All.Contains(k)) is { } unknown)
        {
            throw new ArgumentException($"Unknown notification type '{unknown}'.", nameof(changes));
        }

        await store.SetPreferencesAsync(Id, changes);
        return await store.PreferencesAsync(Id);
    }

    public Task RefreshAsync() => RecountAsync();
}

/// <summary>The payload of the SignalR <c>notification</c> event: the REST notification's shape (ids as strings) plus the unread count.</summary>
public sealed record NotificationEvent(string Id, string Type, ActorEvent? Actor, string? PostId, string? CommentId, DateTimeOffset CreatedAt, long UnreadCount,
    string? ReportId = null, string? ActionId = null, string? Detail = null)
{
    public static NotificationEvent From(NotificationView n, long unread) => new(n.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), n.Type,
        n.Actor is null ? null : ActorEvent.From(n.Actor), n.PostId?.ToString(), n.CommentId?.ToString(System.Globalization.CultureInfo.InvariantCulture), n.CreatedAt,
        unread, n.ReportId?.ToString(System.Globalization.CultureInfo.InvariantCulture), n.ActionId?.ToString(System.Globalization.CultureInfo.InvariantCulture), n.Detail);
}

/// <summary>An account in an event, shaped like the REST public account.</summary>
public sealed record ActorEvent(string Id, string Username, string DisplayName, string Bio, string Website, bool IsPrivate, DateTimeOffset CreatedAt,
    long FollowersCount, long FollowingCount, long PostsCount)
{
    public static ActorEvent From(PublicAccount a) => new(a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Username, a.DisplayName, a.Bio,
        a.Website, a.IsPrivate, a.CreatedAt, a.FollowersCount, a.FollowingCount, a.PostsCount);
}
