using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSocial.Runtime.Diagnostics;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Streams;
using StackExchange.Redis;

namespace OrleansSocial.Runtime.Redis;

/// <summary>
/// Streams across processes over Redis pub/sub: an event is published as JSON on the channel
/// <c>{serviceId}/streams/{provider}/{namespace}/{key}</c>; each process listens on the channels of the streams it has
/// local subscribers for and hands events to them in arrival order. Delivery is at-most-once (pub/sub keeps nothing
/// for processes that are not listening) and ordered per publisher per stream.
/// </summary>
internal sealed partial class RedisStreamProvider : IStreamProvider
{
    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly JsonSerializerOptions _json;
    private readonly StreamHub _hub;
    private readonly RuntimeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<StreamId, Task> _listening = new();
    private readonly string _publisher = Guid.NewGuid().ToString("N");
    private long _sequence;

    public RedisStreamProvider(string name, IConnectionMultiplexer redis, string serviceId, JsonSerializerOptions json, RuntimeMetrics metrics, ILogger logger)
    {
        Name = name;
        _metrics = metrics;
        _redis = redis;
        _prefix = $"{serviceId}/streams/{name}/";
        _json = json;
        _logger = logger;
        _hub = new StreamHub(logger);
        _hub.FirstSubscriber += stream => _listening[stream] = _redis.GetSubscriber().SubscribeAsync(Channel(stream), (_, value) => OnMessage(stream, value));
        _hub.LastSubscriberGone += stream =>
        {
            if (_listening.TryRemove(stream, out _))
            {
                _ = _redis.GetSubscriber().UnsubscribeAsync(Channel(stream));
            }
        };
    }

    public string Name { get; }

    public IAsyncStream<T> GetStream<T>(StreamId streamId) => new RedisStream<T>(this, streamId);

    private RedisChannel Channel(StreamId stream) => (RedisChannel)$"{_prefix}{stream.Namespace}/{stream.Key}";

    private void OnMessage(StreamId stream, RedisValue value)
    {
        StreamEnvelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<StreamEnvelope>((string)value!, _json);
        }
        catch (JsonException e)
        {
            LogBadMessage(_logger, e, stream);
            return;
        }

        if (envelope is not null)
        {
            _hub.Deliver(stream, type => envelope.Data.Deserialize(type, _json), new StreamSequenceToken(envelope.Sequence));
        }
    }

    private sealed class RedisStream<T>(RedisStreamProvider provider, StreamId streamId) : IAsyncStream<T>
    {
        public StreamId StreamId { get; } = streamId;

        public async Task OnNextAsync(T item, StreamSequenceToken? token = null)
        {
            var envelope = new StreamEnvelope(
                token?.SequenceNumber ?? Interlocked.Increment(ref provider._sequence),
                provider._publisher,
                JsonSerializer.SerializeToElement(item, provider._json));
            provider._metrics.RecordStreamPublished(provider.Name);
            await provider._redis.GetSubscriber().PublishAsync(provider.Channel(StreamId), JsonSerializer.Serialize(envelope, provider._json))
                .ConfigureAwait(false);
        }

        public async Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncObserver<T> observer)
        {
            var handle = provider._hub.Subscribe(StreamId, observer, provider._metrics, provider.Name);
            if (provider._listening.TryGetValue(StreamId, out var listening))
            {
                // Returns once Redis confirmed the subscription, so events published afterwards are received.
                await listening.ConfigureAwait(false);
            }

            return handle;
        }

        public Task<IList<StreamSubscriptionHandle<T>>> GetAllSubscriptionHandles() => Task.FromResult(provider._hub.Handles<T>(StreamId));
    }

    [LoggerMessage(70, LogLevel.Warning, "A message on stream {Stream} is not a stream event")]
    private static partial void LogBadMessage(ILogger logger, Exception exception, StreamId stream);
}

/// <summary>Redis stream provider registration for silos and clients.</summary>
public static class RedisStreamExtensions
{
    /// <summary>Adds streams named <paramref name="name"/> carried by Redis pub/sub (across processes).</summary>
    public static ISiloBuilder AddRedisStreams(this ISiloBuilder builder, string name, string configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        Add(builder.Services, name, configuration);
        return builder;
    }

    /// <summary>Adds Redis streams to a cluster client (e.g. a front end relaying events).</summary>
    public static IClientBuilder AddRedisStreams(this IClientBuilder builder, string name, string configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        Add(builder.Services, name, configuration);
        return builder;
    }

    private static void Add(IServiceCollection services, string name, string configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        var key = $"streams:{name}";
        services.AddKeyedSingleton<IConnectionMultiplexer>(key, (_, _) => ConnectionMultiplexer.Connect(configuration));
        services.AddKeyedSingleton<IStreamProvider>(name, (sp, _) => new RedisStreamProvider(
            name,
            sp.GetRequiredKeyedService<IConnectionMultiplexer>(key),
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            sp.GetGrainJsonOptions(),
            sp.GetRequiredService<RuntimeMetrics>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<RedisStreamProvider>()));
    }
}
