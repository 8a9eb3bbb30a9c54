using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using Orleans.Streams;
using OrleansSocial.Diagnostics;

namespace OrleansSocial.Realtime;

/// <summary>
/// An event for one user's connections: <see cref="Name"/> is the SignalR method clients listen to
/// (see <see cref="UserEventNames"/>), <see cref="Payload"/> its argument. Published on the user's stream
/// (<see cref="UserEvents.StreamFor(long)"/>) by grains on any silo and relayed by every front end holding one of the
/// user's connections.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.UserEvent")]
public sealed record UserEvent([property: Id(0)] string Name, [property: Id(1)] JsonElement Payload);

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

    /// <summary>An account the user follows (or whose close friend they are) posted a story for them: the tray changed.</summary>
    public const string StoryPosted = "story_posted";

    /// <summary>A story that was posted for the user ended early (its author deleted it): it leaves the tray.</summary>
    public const string StoryDeleted = "story_deleted";

    /// <summary>The user's story has new viewers: its view count now (at most one event per story every couple of seconds).</summary>
    public const string StoryViewed = "story_viewed";
}

/// <summary>Where user events are published.</summary>
public static class UserEvents
{
    /// <summary>
    /// The stream provider every silo and front end registers for events: Orleans memory streams, whose queues are
    /// grains of the cluster, so an event published on any silo reaches subscribers in every process. Delivery is
    /// at most once; what a client must not miss is also stored and readable over REST by cursor.
    /// </summary>
    public const string Provider = "events";

    public const string Namespace = "user-events";

    public static StreamId StreamFor(string userId) => StreamId.Create(Namespace, userId);

    public static StreamId StreamFor(long userId) => StreamFor(userId.ToString(CultureInfo.InvariantCulture));

    /// <summary>The user's event stream, from any process hosting the runtime.</summary>
    public static IAsyncStream<UserEvent> For(IServiceProvider services, long userId) =>
        services.GetRequiredKeyedService<IStreamProvider>(Provider).GetStream<UserEvent>(StreamFor(userId));

    /// <summary>How payloads are written: snake_case, like the REST API.</summary>
    public static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>An event with <paramref name="payload"/> written as the clients receive it.</summary>
    public static UserEvent Create<T>(string name, T payload) => new(name, JsonSerializer.SerializeToElement(payload, PayloadJson));

    /// <summary>
    /// Publishes the event on the user's stream. Never throws: events are sent after the change they announce has been
    /// stored, and a change that was stored is acknowledged even when its event cannot be sent (delivery is at most once;
    /// the client reads what it missed over REST). A failed publish is counted and logged (see <see cref="StreamMetrics"/>).
    /// </summary>
    public static async Task PublishAsync(IServiceProvider services, long userId, UserEvent e)
    {
        var metrics = services.GetService<StreamMetrics>();
        metrics?.Published();
        try
        {
            await For(services, userId).OnNextAsync(e).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            metrics?.Dropped(failure);
        }
    }

    /// <summary>Publishes the event on each user's stream.</summary>
    public static Task PublishAsync(IServiceProvider services, IEnumerable<long> userIds, UserEvent e) =>
        Task.WhenAll(userIds.Select(u => PublishAsync(services, u, e)));

}

/// <summary>
/// Counts of this process's user events (<c>orleans.streams.published</c> and <c>orleans.streams.delivered</c>, tagged
/// with the provider), on the process's meter factory so that each host exports its own.
/// </summary>
public sealed partial class StreamMetrics
{
    private static readonly KeyValuePair<string, object?> ProviderTag = new("provider", UserEvents.Provider);
    private readonly Counter<long> _published;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _dropped;
    private readonly ILogger<StreamMetrics> _logger;
    private readonly OncePer _warning;

    public StreamMetrics(IMeterFactory meters, ILogger<StreamMetrics> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create("OrleansSocial.Streams");
        _published = meter.CreateCounter<long>("orleans.streams.published", "{event}", "Events this process published on streams.");
        _delivered = meter.CreateCounter<long>("orleans.streams.delivered", "{event}", "Stream events handed to this process's subscribers.");
        _dropped = meter.CreateCounter<long>("orleans.streams.dropped", "{event}", "Events this process could not publish (a silo or the stream's queue was unreachable).");
        (_logger, _warning) = (logger, new OncePer(TimeSpan.FromSeconds(30), time ?? TimeProvider.System));
    }

    public void Published() => _published.Add(1, ProviderTag);

    public void Delivered() => _delivered.Add(1, ProviderTag);

    /// <summary>Counts an event that could not be published; warns at most once every 30 seconds, however many fail.</summary>
    public void Dropped(Exception failure)
    {
        _dropped.Add(1, ProviderTag);
        if (_warning.Now())
        {
            LogDropped(failure.GetType().Name, failure.Message);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Live events could not be published ({Error}: {Detail}); the changes they announce are stored and clients read them over REST. Further failures in the next 30 s are only counted (orleans_streams_dropped_total).")]
    private partial void LogDropped(string error, string detail);
}

/// <summary>
/// How a <see cref="JsonElement"/> crosses a grain boundary or a stream: as its JSON text. Event payloads are small and
/// written once, so the text is the cheapest faithful form.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.JsonElementSurrogate")]
public readonly record struct JsonElementSurrogate([property: Id(0)] string Json);

/// <summary>Converts <see cref="JsonElement"/> to and from <see cref="JsonElementSurrogate"/> for Orleans' serializer.</summary>
[RegisterConverter]
public sealed class JsonElementSurrogateConverter : IConverter<JsonElement, JsonElementSurrogate>
{
    public JsonElement ConvertFromSurrogate(in JsonElementSurrogate surrogate) => JsonDocument.Parse(surrogate.Json).RootElement.Clone();

    public JsonElementSurrogate ConvertToSurrogate(in JsonElement value) => new(value.GetRawText());
}
