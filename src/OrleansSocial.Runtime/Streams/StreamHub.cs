using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OrleansSocial.Runtime.Activation;
using OrleansSocial.Runtime.Diagnostics;
using OrleansSocial.Runtime.Messaging;

namespace OrleansSocial.Runtime.Streams;

/// <summary>
/// The subscriptions of one process for one provider, and in-order delivery to them. Each subscription has its own
/// bounded queue drained by one loop, so events reach a subscriber in the order they arrived and a slow subscriber
/// neither blocks others nor grows memory without bound (when its queue is full the oldest events are dropped:
/// delivery is at-most-once; clients catch up from durable history). A subscription made inside a grain delivers
/// through the grain's activation as turns and ends when the activation goes away.
/// </summary>
internal sealed partial class StreamHub(ILogger logger)
{
    private const int SubscriptionQueueCapacity = 10_000;

    private readonly ConcurrentDictionary<StreamId, ConcurrentDictionary<Guid, ISubscription>> _subscriptions = new();

    /// <summary>Raised when a stream gains its first local subscriber (a provider may start listening).</summary>
    public event Action<StreamId>? FirstSubscriber;

    /// <summary>Raised when a stream loses its last local subscriber.</summary>
    public event Action<StreamId>? LastSubscriberGone;

    public bool HasSubscribers(StreamId stream) => _subscriptions.TryGetValue(stream, out var subs) && !subs.IsEmpty;

    /// <summary>Subscribes; deliveries and losses are counted on <paramref name="metrics"/> under <paramref name="provider"/>.</summary>
    public StreamSubscriptionHandle<T> Subscribe<T>(StreamId stream, IAsyncObserver<T> observer, RuntimeMetrics metrics, string provider)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var activation = CallContext.Current?.Activation;
        var subscription = new Subscription<T>(this, stream, observer, activation, logger, metrics, provider);
        var set = _subscriptions.GetOrAdd(stream, _ => new ConcurrentDictionary<Guid, ISubscription>());
        var first = set.IsEmpty;
        set[subscription.HandleId] = subscription;
        if (first)
        {
            FirstSubscriber?.Invoke(stream);
        }

        return subscription;
    }

    public IList<StreamSubscriptionHandle<T>> Handles<T>(StreamId stream) =>
        _subscriptions.TryGetValue(stream, out var set) ? set.Values.OfType<StreamSubscriptionHandle<T>>().ToList() : [];

    /// <summary>Hands an event to every local subscriber of the stream whose type accepts it.</summary>
    public void Deliver(StreamId stream, Func<Type, object?> item, StreamSequenceToken? token)
    {
        if (!_subscriptions.TryGetValue(stream, out var set))
        {
            return;
        }

        foreach (var subscription in set.Values)
        {
            subscription.Enqueue(item, token);
        }
    }

    private void Remove(ISubscription subscription)
    {
        if (_subscriptions.TryGetValue(subscription.StreamId, out var set) && set.TryRemove(subscription.HandleId, out _) && set.IsEmpty)
        {
            LastSubscriberGone?.Invoke(subscription.StreamId);
        }
    }

    private interface ISubscription
    {
        Guid HandleId { get; }

        StreamId StreamId { get; }

        void Enqueue(Func<Type, object?> item, StreamSequenceToken? token);
    }

    private sealed class Subscription<T> : StreamSubscriptionHandle<T>, ISubscription
    {
        private readonly StreamHub _hub;
        private readonly IAsyncObserver<T> _observer;
        private readonly ActivationData? _activation;
        private readonly ILogger _logger;
        private readonly RuntimeMetrics _metrics;
        private readonly string _provider;
        private readonly Channel<(T Item, StreamSequenceToken? Token)> _queue;

        public Subscription(StreamHub hub, StreamId stream, IAsyncObserver<T> observer, ActivationData? activation, ILogger logger,
            RuntimeMetrics metrics, string provider)
        {
            _metrics = metrics;
            _provider = provider;
            _queue = Channel.CreateBounded<(T, StreamSequenceToken?)>(
                new BoundedChannelOptions(SubscriptionQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest },
                _ => metrics.RecordStreamDropped(provider));
            _hub = hub;
            StreamId = stream;
            _observer = observer;
            _activation = activation;
            _logger = logger;
            _ = Task.Run(DeliverLoopAsync);
        }

        public override Guid HandleId { get; } = Guid.NewGuid();

        public override StreamId StreamId { get; }

        public void Enqueue(Func<Type, object?> item, StreamSequenceToken? token)
        {
            object? value;
            try
            {
                value = item(typeof(T));
            }
            catch (System.Text.Json.JsonException e)
            {
                LogUndeliverable(_logger, e, StreamId, typeof(T).Name);
                _metrics.RecordStreamDropped(_provider);
                return;
            }

            if (value is T typed)
            {
                _queue.Writer.TryWrite((typed, token));
            }
            else if (value is null && default(T) is null)
            {
                _queue.Writer.TryWrite((default!, token));
            }
        }

        public override Task UnsubscribeAsync()
        {
            _queue.Writer.TryComplete();
            _hub.Remove(this);
            return Task.CompletedTask;
        }

        private async Task DeliverLoopAsync()
        {
            await foreach (var (item, token) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    if (_activation is null)
                    {
                        await _observer.OnNextAsync(item, token).ConfigureAwait(false);
                        _metrics.RecordStreamDelivered(_provider);
                    }
                    else if (_activation.TryRunAsTurn(() => _observer.OnNextAsync(item, token), out var turn))
                    {
                        await turn.ConfigureAwait(false);
                        _metrics.RecordStreamDelivered(_provider);
                    }
                    else
                    {
                        // The subscribing activation is gone: so is its subscription.
                        await UnsubscribeAsync().ConfigureAwait(false);
                        return;
                    }
                }
#pragma warning disable CA1031 // a failing observer loses this event, not the subscription
                catch (Exception e)
#pragma warning restore CA1031
                {
                    if (_activation is not null && _activation.State == ActivationState.Invalid)
                    {
                        await UnsubscribeAsync().ConfigureAwait(false);
                        return;
                    }

                    LogObserverFailed(_logger, e, StreamId);
                    _metrics.RecordStreamDropped(_provider);
                }
            }
        }
    }

    [LoggerMessage(60, LogLevel.Warning, "A subscriber of stream {Stream} threw")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, StreamId stream);

    [LoggerMessage(61, LogLevel.Warning, "An event on stream {Stream} could not be read as {Type}")]
    private static partial void LogUndeliverable(ILogger logger, Exception exception, StreamId stream, string type);
}
