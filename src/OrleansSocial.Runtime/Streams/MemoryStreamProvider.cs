using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansSocial.Runtime.Diagnostics;

namespace OrleansSocial.Runtime.Streams;

/// <summary>
/// Streams within one process: every silo and client of the same service and cluster in this process shares one hub
/// per provider name, so an event published by a grain on one in-process silo reaches subscribers on the others.
/// Nothing leaves the process; use the Redis provider across processes.
/// </summary>
internal sealed class MemoryStreamProvider : IStreamProvider
{
    private static readonly ConcurrentDictionary<string, StreamHub> Hubs = new(StringComparer.Ordinal);
    private readonly StreamHub _hub;
    private readonly RuntimeMetrics _metrics;
    private long _sequence;

    public MemoryStreamProvider(string name, string scope, ILoggerFactory loggerFactory, RuntimeMetrics metrics)
    {
        Name = name;
        _metrics = metrics;
        _hub = Hubs.GetOrAdd($"{scope}/{name}", _ => new StreamHub(loggerFactory.CreateLogger<MemoryStreamProvider>()));
    }

    public string Name { get; }

    public IAsyncStream<T> GetStream<T>(StreamId streamId) => new MemoryStream<T>(this, streamId);

    private sealed class MemoryStream<T>(MemoryStreamProvider provider, StreamId streamId) : IAsyncStream<T>
    {
        public StreamId StreamId { get; } = streamId;

        public Task OnNextAsync(T item, StreamSequenceToken? token = null)
        {
            var sequence = token ?? new StreamSequenceToken(Interlocked.Increment(ref provider._sequence));
            provider._metrics.RecordStreamPublished(provider.Name);
            provider._hub.Deliver(StreamId, _ => item, sequence);
            return Task.CompletedTask;
        }

        public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncObserver<T> observer) =>
            Task.FromResult(provider._hub.Subscribe(StreamId, observer, provider._metrics, provider.Name));

        public Task<IList<StreamSubscriptionHandle<T>>> GetAllSubscriptionHandles() => Task.FromResult(provider._hub.Handles<T>(StreamId));
    }
}
