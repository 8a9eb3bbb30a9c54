using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace OrleansSocial.Runtime;

/// <summary>Identifies a stream: a namespace (e.g. <c>user-events</c>) and a key within it (e.g. a user id).</summary>
public readonly record struct StreamId
{
    public StreamId(string @namespace, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        ArgumentException.ThrowIfNullOrEmpty(key);
        Namespace = @namespace;
        Key = key;
    }

    public string Namespace { get; }

    public string Key { get; }

    public static StreamId Create(string @namespace, string key) => new(@namespace, key);

    public static StreamId Create(string @namespace, Guid key) => new(@namespace, key.ToString("N"));

    public static StreamId Create(string @namespace, long key) => new(@namespace, key.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public override string ToString() => $"{Namespace}/{Key}";
}

/// <summary>Position of an event in a stream, when the provider has one.</summary>
public class StreamSequenceToken
{
    public StreamSequenceToken(long sequenceNumber) => SequenceNumber = sequenceNumber;

    public long SequenceNumber { get; }
}

/// <summary>Receives a stream's events.</summary>
public interface IAsyncObserver<in T>
{
    Task OnNextAsync(T item, StreamSequenceToken? token = null);

    Task OnCompletedAsync();

    Task OnErrorAsync(Exception ex);
}

/// <summary>A subscription; unsubscribe through it.</summary>
public abstract class StreamSubscriptionHandle<T>
{
    public abstract Guid HandleId { get; }

    public abstract StreamId StreamId { get; }

    public abstract Task UnsubscribeAsync();
}

/// <summary>A stream of events of type <typeparamref name="T"/>.</summary>
public interface IAsyncStream<T>
{
    StreamId StreamId { get; }

    /// <summary>Publishes an event. Delivery is at-most-once and ordered per publisher.</summary>
    Task OnNextAsync(T item, StreamSequenceToken? token = null);

    /// <summary>
    /// Subscribes in this process. Called from a grain, events are delivered to the grain as turns (one at a time, never
    /// concurrently with its requests) and the subscription ends when the activation does.
    /// </summary>
    Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncObserver<T> observer);

    Task<IList<StreamSubscriptionHandle<T>>> GetAllSubscriptionHandles();
}

/// <summary>A named stream provider (Memory or Redis).</summary>
public interface IStreamProvider
{
    string Name { get; }

    IAsyncStream<T> GetStream<T>(StreamId streamId);
}

/// <summary>Stream helpers with Orleans' names.</summary>
public static class StreamExtensions
{
    /// <summary>The stream provider registered under <paramref name="name"/>.</summary>
    public static IStreamProvider GetStreamProvider(this IServiceProvider services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return services.GetKeyedService<IStreamProvider>(name)
            ?? throw new KeyNotFoundException($"No stream provider named '{name}' is registered (AddMemoryStreams / AddRedisStreams).");
    }

    /// <summary>The stream provider registered under <paramref name="name"/>, from a cluster client.</summary>
    public static IStreamProvider GetStreamProvider(this IClusterClient client, string name)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.ServiceProvider.GetStreamProvider(name);
    }

    /// <summary>The stream provider registered under <paramref name="name"/>, from inside a grain.</summary>
    public static IStreamProvider GetStreamProvider(this Grain grain, string name)
    {
        ArgumentNullException.ThrowIfNull(grain);
        return grain.Activation.Runtime.Services.GetStreamProvider(name);
    }

    public static Task<StreamSubscriptionHandle<T>> SubscribeAsync<T>(this IAsyncStream<T> stream,
        Func<T, StreamSequenceToken?, Task> onNext, Func<Exception, Task>? onError = null, Func<Task>? onCompleted = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(onNext);
        return stream.SubscribeAsync(new DelegateObserver<T>(onNext, onError, onCompleted));
    }

    public static Task<StreamSubscriptionHandle<T>> SubscribeAsync<T>(this IAsyncStream<T> stream, Func<T, Task> onNext) =>
        stream.SubscribeAsync((item, _) => onNext(item));

    private sealed class DelegateObserver<T>(Func<T, StreamSequenceToken?, Task> onNext, Func<Exception, Task>? onError, Func<Task>? onCompleted)
        : IAsyncObserver<T>
    {
        public Task OnNextAsync(T item, StreamSequenceToken? token = null) => onNext(item, token);

        public Task OnCompletedAsync() => onCompleted?.Invoke() ?? Task.CompletedTask;

        public Task OnErrorAsync(Exception ex) => onError?.Invoke(ex) ?? Task.CompletedTask;
    }
}

/// <summary>The wire form of a stream event in providers that cross processes.</summary>
internal sealed record StreamEnvelope(
    [property: JsonPropertyName("s")] long Sequence,
    [property: JsonPropertyName("p")] string Publisher,
    [property: JsonPropertyName("d")] System.Text.Json.JsonElement Data);
