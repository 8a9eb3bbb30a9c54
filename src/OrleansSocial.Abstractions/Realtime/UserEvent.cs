using System.Globalization;
using System.Text.Json;
using OrleansSocial.Runtime;

namespace OrleansSocial.Realtime;

/// <summary>
/// An event for one user's connections: <see cref="Name"/> is the SignalR method clients listen to
/// (see <see cref="UserEventNames"/>), <see cref="Payload"/> its argument. Published on the user's stream
/// (<see cref="UserEvents.StreamFor(long)"/>) by grains on any silo and relayed by every front end holding one of the
/// user's connections.
/// </summary>
public sealed record UserEvent(string Name, JsonElement Payload);

/// <summary>The stable names of server-to-client events (documented in docs/architecture.md).</summary>
public static class UserEventNames
{
    /// <summary>
    /// Sent by the hub to a new connection once its user's events flow to it. A client that was offline fetches what it
    /// missed over REST after this event, so nothing falls between the REST read and the live stream.
    /// </summary>
    public const string Ready = "ready";

    /// <summary>A new notification for the user.</summary>
    public const string Notification = "notification";

    /// <summary>A direct message in one of the user's conversations.</summary>
    public const string Message = "message";

    /// <summary>A message in one of the user's conversations was edited.</summary>
    public const string MessageUpdated = "message_updated";

    /// <summary>A message in one of the user's conversations was deleted (its place stays, its text is gone).</summary>
    public const string MessageDeleted = "message_deleted";

    /// <summary>A member of one of the user's conversations is typing.</summary>
    public const string Typing = "typing";

    /// <summary>That member stopped: no typing signal for five seconds, or they sent their message.</summary>
    public const string TypingStopped = "typing_stopped";

    /// <summary>A member of one of the user's conversations read up to a message.</summary>
    public const string Read = "read";

    /// <summary>
    /// A group the user is (or was, until now) a member of changed: its title or its members. A removed member gets it
    /// once, without themselves among the members, and nothing from the conversation after it.
    /// </summary>
    public const string ConversationUpdated = "conversation_updated";

    /// <summary>A conversation partner came online or went offline (with when they were last seen).</summary>
    public const string Presence = "presence";

    /// <summary>A new entry in the user's home timeline (a post or repost of someone they follow, or their own).</summary>
    public const string Update = "update";

    /// <summary>A post left the user's home timeline (deleted), or one repost of it was withdrawn.</summary>
    public const string Delete = "delete";

    /// <summary>A post in the user's home timeline was edited.</summary>
    public const string PostUpdated = "post_updated";

    /// <summary>The user's own account changed (profile edited on another device, email verified).</summary>
    public const string AccountUpdated = "account_updated";
}

/// <summary>Where user events are published.</summary>
public static class UserEvents
{
    /// <summary>The stream provider the host registers for events (Memory in one process, Redis across processes).</summary>
    public const string Provider = "events";

    public const string Namespace = "user-events";

    public static StreamId StreamFor(string userId) => StreamId.Create(Namespace, userId);

    public static StreamId StreamFor(long userId) => StreamFor(userId.ToString(CultureInfo.InvariantCulture));

    /// <summary>The user's event stream, from any process hosting the runtime.</summary>
    public static IAsyncStream<UserEvent> For(IServiceProvider services, long userId) =>
        services.GetStreamProvider(Provider).GetStream<UserEvent>(StreamFor(userId));

    /// <summary>How payloads are written: snake_case, like the REST API.</summary>
    public static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>An event with <paramref name="payload"/> written as the clients receive it.</summary>
    public static UserEvent Create<T>(string name, T payload) => new(name, JsonSerializer.SerializeToElement(payload, PayloadJson));

    /// <summary>Publishes the event on each user's stream.</summary>
    public static Task PublishAsync(IServiceProvider services, IEnumerable<long> userIds, UserEvent e) =>
        Task.WhenAll(userIds.Select(u => For(services, u).OnNextAsync(e)));
}
