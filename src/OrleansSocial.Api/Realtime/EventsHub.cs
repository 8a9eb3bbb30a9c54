using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Streams;
using OrleansSocial.Realtime;

namespace OrleansSocial.Api.Realtime;

/// <summary>
/// The SignalR hub at <c>/hubs/events</c>. Only signed-in users connect (JWT in the Authorization header, or in the
/// <c>access_token</c> query string for WebSockets). Each connection subscribes to its user's event stream and
/// receives every event published on it, from grains on any silo, through whichever front end it is connected to.
/// Delivery is at-most-once: a reconnecting client catches up over REST.
/// </summary>
[Authorize]
public sealed class EventsHub(ConnectionRelay relay, PresenceReporter presence, IGrainFactory grains, IServiceProvider services) : Hub
{
    // The connection closes when its session is signed out.
    private Guid? Session => Context.User?.FindFirstValue("sid") is { } sid && Guid.TryParseExact(sid, "N", out var id) ? id : null;

    /// <summary>
    /// Client → server: the caller has read the conversation up to <paramref name="messageId"/> (as
    /// <c>POST /api/v1/conversations/{id}/read</c>); returns the read pointer. Not a member: an error, as for a missing one.
    /// </summary>
    public async Task<string> MarkRead(string conversationId, string messageId)
    {
        if (!Guid.TryParse(conversationId, out var conversation) || !long.TryParse(messageId, System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var seq))
        {
            throw new HubException("conversationId is a conversation id and messageId a message id.");
        }

        try
        {
            var pointer = await grains.GetGrain<OrleansSocial.Conversations.IConversationGrain>(conversation).MarkReadAsync(Me(), seq).ConfigureAwait(false);
            return pointer.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (KeyNotFoundException)
        {
            throw new HubException("No such conversation.");
        }
    }

    /// <summary>Client → server: the caller is typing in the conversation (send again at least every 5 s while typing).</summary>
    public async Task Typing(string conversationId)
    {
        if (!Guid.TryParse(conversationId, out var conversation))
        {
            throw new HubException("conversationId is a conversation id.");
        }

        try
        {
            await grains.GetGrain<OrleansSocial.Conversations.IConversationGrain>(conversation).TypingAsync(Me()).ConfigureAwait(false);
        }
        catch (KeyNotFoundException)
        {
            throw new HubException("No such conversation.");
        }
    }

    private long Me() => long.Parse(Context.User!.FindFirstValue("sub")!, System.Globalization.CultureInfo.InvariantCulture);

    public override async Task OnConnectedAsync()
    {
        var userId = Context.User?.FindFirstValue("sub") ?? throw new HubException("Not signed in.");
        if (Session is { } session)
        {
            services.GetService<OrleansSocial.Api.Accounts.SessionRevocations>()?.Connected(session, Context);
        }

        await relay.ConnectAsync(Context.ConnectionId, userId).ConfigureAwait(false);
        await base.OnConnectedAsync().ConfigureAwait(false);
        await presence.ConnectedAsync(Me()).ConfigureAwait(false);

        // The client's start() resolves at the handshake, before this method runs: "ready" tells it the stream is live.
        await Clients.Caller.SendAsync(UserEventNames.Ready, new ReadyEvent(userId)).ConfigureAwait(false);
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        if (Session is { } session)
        {
            services.GetService<OrleansSocial.Api.Accounts.SessionRevocations>()?.Disconnected(session, Context.ConnectionId);
        }

        await relay.DisconnectAsync(Context.ConnectionId, Context.User!.FindFirstValue("sub")!).ConfigureAwait(false);
        await presence.DisconnectedAsync(Me()).ConfigureAwait(false);
        await base.OnDisconnectedAsync(exception).ConfigureAwait(false);
    }
}

/// <summary>The payload of the <c>ready</c> event.</summary>
public sealed record ReadyEvent(string UserId);

/// <summary>
/// Relays each user's stream to that user's hub connections on this front end: one stream subscription per connected
/// user (not per connection), made when their first connection arrives and dropped when their last one leaves, so
/// Orleans' pub-sub holds one subscriber per front end and user.
/// </summary>
public sealed class ConnectionRelay(IServiceProvider services, IHubContext<EventsHub> hub)
{
    private readonly ConcurrentDictionary<string, UserRelay> _users = new(StringComparer.Ordinal);

    public async Task ConnectAsync(string connectionId, string userId)
    {
        while (true)
        {
            var relay = _users.GetOrAdd(userId, static _ => new UserRelay());
            await relay.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (!_users.TryGetValue(userId, out var current) || !ReferenceEquals(current, relay))
                {
                    continue; // emptied and removed while we waited: take the new one
                }

                relay.Connections = relay.Connections.Add(connectionId);
                if (relay.Handle is null)
                {
                    var metrics = services.GetService<StreamMetrics>();
                    var stream = services.GetRequiredKeyedService<IStreamProvider>(UserEvents.Provider).GetStream<UserEvent>(UserEvents.StreamFor(userId));
                    // The stream's pulling agent waits for this callback: hand the event to SignalR (which queues it per
                    // connection) without waiting for it to be written, so one slow connection delays no other user's events.
                    // One connection at a time: SignalR's Clients(ids) walks every connection of the hub to find the few it
                    // names, which made a burst of events to 1,000 users cost a million comparisons.
                    relay.Handle = await stream.SubscribeAsync((e, token) =>
                    {
                        metrics?.Delivered();
                        foreach (var connection in relay.Connections)
                        {
                            _ = hub.Clients.Client(connection).SendAsync(e.Name, e.Payload);
                        }

                        return Task.CompletedTask;
                    }).ConfigureAwait(false);
                }

                return;
            }
            finally
            {
                relay.Gate.Release();
            }
        }
    }

    public async Task DisconnectAsync(string connectionId, string userId)
    {
        if (!_users.TryGetValue(userId, out var relay))
        {
            return;
        }

        await relay.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            relay.Connections = relay.Connections.Remove(connectionId);
            if (relay.Connections.IsEmpty)
            {
                _users.TryRemove(new KeyValuePair<string, UserRelay>(userId, relay));
                if (relay.Handle is { } handle)
                {
                    relay.Handle = null;
                    await handle.UnsubscribeAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            relay.Gate.Release();
        }
    }

    private sealed class UserRelay
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public ImmutableArray<string> Connections { get; set; } = [];

        public StreamSubscriptionHandle<UserEvent>? Handle { get; set; }
    }
}
