using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSocial.Runtime.Activation;
using OrleansSocial.Runtime.Diagnostics;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Messaging;

namespace OrleansSocial.Runtime.Core;

internal enum RuntimeStatus
{
    Created,
    Running,
    Stopping,
    Stopped,
}

/// <summary>
/// The silo's call path: outgoing filters, placement (which silo owns the grain), then either the local catalog or the
/// transport. Also holds what activations share: services, time, options, filters, metrics, logger.
/// </summary>
internal sealed class GrainRuntime
{
    // A request re-routed more often than this (its activations keep going away) fails instead of looping.
    private const int MaxForwards = 5;

    /// <summary>How many silos may forward one request while views converge.</summary>
    public const int MaxHops = 3;

    private readonly IPlacementDirector _placement;
    private readonly IClusterMembershipService _membership;
    private readonly IMessageTransport _transport;
    private readonly bool _systemTime;
    private int _status;

    public GrainRuntime(
        IServiceProvider services,
        GrainTypeRegistry registry,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        RuntimeMetrics metrics,
        ILocalSiloDetails localSilo,
        IPlacementDirector placement,
        IClusterMembershipService membership,
        IMessageTransport transport,
        IEnumerable<IIncomingGrainCallFilter> incomingFilters,
        IEnumerable<IOutgoingGrainCallFilter> outgoingFilters,
        IOptions<SiloMessagingOptions> messaging,
        IOptions<GrainCollectionOptions> collection)
    {
        Services = services;
        Registry = registry;
        Time = time;
        _systemTime = ReferenceEquals(time, TimeProvider.System);
        Logger = loggerFactory.CreateLogger("OrleansSocial.Runtime");
        Metrics = metrics;
        LocalSilo = localSilo.SiloAddress;
        _placement = placement;
        _membership = membership;
        _transport = transport;
        IncomingFilters = [.. incomingFilters];
        OutgoingFilters = [.. outgoingFilters];
        ResponseTimeout = messaging.Value.ResponseTimeout;
        ShutdownTimeout = messaging.Value.ShutdownTimeout;
        CollectionOptions = collection.Value;
        Catalog = new Catalog(this);
        GrainFactory = new GrainFactory(this);
        SerializerOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        SerializerOptions.Converters.Add(new GrainReferenceJsonConverterFactory(GrainFactory));
        OnTimeout = message =>
        {
            Metrics.RecordTimeout();
            Logger.ResponseTimedOut(message.Describe());
        };
    }

    public IServiceProvider Services { get; }

    public GrainTypeRegistry Registry { get; }

    public TimeProvider Time { get; }

    /// <summary>
    /// <see cref="Time"/>'s timestamp now: <paramref name="stopwatchNow"/> itself when it was just read (non-zero) and
    /// the runtime runs on the system clock, whose timestamps are the stopwatch's; otherwise read from <see cref="Time"/>.
    /// </summary>
    public long Timestamp(long stopwatchNow) => stopwatchNow != 0 && _systemTime ? stopwatchNow : Time.GetTimestamp();

    public ILogger Logger { get; }

    public RuntimeMetrics Metrics { get; }

    public SiloAddress LocalSilo { get; }

    public Catalog Catalog { get; }

    public GrainFactory GrainFactory { get; }

    /// <summary>JSON options that (de)serialise grain references bound to this runtime; used by grain storage.</summary>
    public JsonSerializerOptions SerializerOptions { get; }

    public IIncomingGrainCallFilter[] IncomingFilters { get; }

    public IOutgoingGrainCallFilter[] OutgoingFilters { get; }

    public bool HasIncomingFilters => IncomingFilters.Length > 0;

    public TimeSpan ResponseTimeout { get; }

    public TimeSpan ShutdownTimeout { get; }

    public GrainCollectionOptions CollectionOptions { get; }

    public TimeSpan ActivationTimeout => CollectionOptions.ActivationTimeout;

    public TimeSpan DeactivationTimeout => CollectionOptions.DeactivationTimeout;

    public Action<Message> OnTimeout { get; }

    public RuntimeStatus Status => (RuntimeStatus)Volatile.Read(ref _status);

    /// <summary>A call made through a grain reference.</summary>
    public ValueTask<object?> Invoke(GrainReference reference, GrainMethod method, object?[]? arguments)
    {
        Metrics.RecordCall();
        var caller = CallContext.Current;
        if (OutgoingFilters.Length > 0)
        {
            return new OutgoingGrainCallContext(reference, method, arguments, caller).InvokeChainAsync();
        }

        return Send(reference.GrainId, reference.ClassInfo, method, arguments, caller);
    }

    /// <summary>
    /// Delivers a call to the owning silo: here through the catalog, elsewhere through the transport. A request that
    /// arrived from another silo for a grain this silo does not own is forwarded, at most <see cref="MaxHops"/> times.
    /// <paramref name="hops"/> counts the silos the request has already reached (0 for a call made here);
    /// <paramref name="timeout"/> is the time the original caller still waits (null: this silo's response timeout).
    /// </summary>
    public ValueTask<object?> Send(GrainId target, GrainClassInfo info, GrainMethod method, object?[]? arguments, CallContext? caller,
        int hops = 0, TimeSpan? timeout = null)
    {
        var status = Status;
        if (status is RuntimeStatus.Created or RuntimeStatus.Stopped)
        {
            return ValueTask.FromException<object?>(Unavailable(target));
        }

        // While shutting down, activations still here finish their work; everything else goes to the new owners.
        if (!info.IsStatelessWorker && !(status == RuntimeStatus.Stopping && Catalog.TryGet(target, out _)))
        {
            var owner = _placement.GetOwner(target, _membership.CurrentView);
            if (owner is null)
            {
                return ValueTask.FromException<object?>(status == RuntimeStatus.Stopping
                    ? Unavailable(target)
                    : new SiloUnavailableException($"No active silo can host {target}."));
            }

            if (!owner.Equals(LocalSilo))
            {
                if (hops >= MaxHops)
                {
                    return ValueTask.FromException<object?>(new SiloUnavailableException(
                        $"{method.Name} on {target} was forwarded {hops} times without reaching its owner; the cluster view is changing."));
                }

                return _transport.SendRequestAsync(owner, new Message(target, method, arguments, caller) { Hops = hops, ResponseTimeout = timeout });
            }
        }

        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var activation = Catalog.GetOrCreate(target, info);
                if (activation.TryInvoke(method, arguments, caller, timeout, out var result))
                {
                    return result;
                }

                if (attempt == MaxForwards)
                {
                    return ValueTask.FromException<object?>(new OrleansException($"{method.Name} on {target}: the activation kept going away."));
                }
            }
        }
        catch (SiloUnavailableException e)
        {
            return ValueTask.FromException<object?>(e);
        }
    }

    /// <summary>Sends a waiting message to a new activation after its activation went away before running it.</summary>
    public void Reroute(Message message)
    {
        if (message.Method is null || message.IsCompleted)
        {
            // Timer ticks and stream deliveries belong to the activation that went away.
            message.TrySetException(new OrleansException($"{message.Describe()} was dropped: its activation went away."));
            return;
        }

        var status = Status;
        if (status == RuntimeStatus.Stopped || status == RuntimeStatus.Stopping && message.Context?.Activation is null)
        {
            message.TrySetException(Unavailable(message.Target));
            return;
        }

        if (++message.Forwards > MaxForwards)
        {
            message.TrySetException(new OrleansException($"{message.Describe()}: the activation kept going away."));
            return;
        }

        try
        {
            var info = Registry.GetByGrainType(message.Target.Type);
            if (!Catalog.GetOrCreate(message.Target, info).TryEnqueue(message))
            {
                Reroute(message);
            }
        }
        catch (SiloUnavailableException e)
        {
            message.TrySetException(e);
        }
    }

    /// <summary>After a membership change: deactivate (after their running turns) the activations another silo now owns.</summary>
    public void OnViewChanged(MembershipView view)
    {
        if (Status != RuntimeStatus.Running)
        {
            return;
        }

        var reason = new DeactivationReason(DeactivationReasonCode.Migrating, "Another silo owns this grain after a membership change.");
        foreach (var activation in Catalog.All)
        {
            if (!activation.ClassInfo.IsStatelessWorker && _placement.GetOwner(activation.GrainId, view) is { } owner && !owner.Equals(LocalSilo))
            {
                activation.DeactivateOnIdle(reason);
            }
        }
    }

    /// <summary>Stops at once, as a crash would: no deactivation, nothing persisted, every waiting call fails.</summary>
    public void Kill()
    {
        Volatile.Write(ref _status, (int)RuntimeStatus.Stopped);
        Catalog.StopCollector();
        foreach (var activation in Catalog.All)
        {
            activation.Abandon();
        }
    }

    /// <summary>Throws when the silo no longer creates activations.</summary>
    public void EnsureCanActivate(GrainId grainId)
    {
        if (Status != RuntimeStatus.Running)
        {
            throw Unavailable(grainId);
        }
    }

    public void Start()
    {
        Volatile.Write(ref _status, (int)RuntimeStatus.Running);
        Catalog.StartCollector(CollectionOptions.CollectionQuantum, CollectionOptions.CollectionAge);
    }

    /// <summary>Stops creating activations and collecting idle ones; activations here keep serving until deactivated.</summary>
    public void BeginStopping()
    {
        Interlocked.CompareExchange(ref _status, (int)RuntimeStatus.Stopping, (int)RuntimeStatus.Running);
        Catalog.StopCollector();
    }

    /// <summary>
    /// Graceful shutdown: stop accepting calls from outside grains and creating activations, deactivate every activation
    /// (after its running request, running <c>OnDeactivateAsync</c>), then refuse everything.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Status is not (RuntimeStatus.Running or RuntimeStatus.Stopping))
        {
            Volatile.Write(ref _status, (int)RuntimeStatus.Stopped);
            return;
        }

        BeginStopping();
        var reason = new DeactivationReason(DeactivationReasonCode.ShuttingDown, "The silo is shutting down.");
        var all = Catalog.All.Select(a => a.DeactivateAsync(reason)).ToArray();
        try
        {
            await Task.WhenAll(all).WaitAsync(ShutdownTimeout, Time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            Logger.ShutdownIncomplete(all.Count(t => !t.IsCompleted), e.Message);
        }
        finally
        {
            Volatile.Write(ref _status, (int)RuntimeStatus.Stopped);
        }
    }

    private SiloUnavailableException Unavailable(GrainId target) =>
        new($"Silo {LocalSilo} is {(Status == RuntimeStatus.Created ? "not started" : Status == RuntimeStatus.Stopping ? "shutting down" : "stopped")}; " +
            $"it cannot take the call to {target}.");
}

internal static partial class RuntimeLog
{
    [LoggerMessage(21, LogLevel.Warning, "Silo {Silo} could not record its status {Status} in the membership table; stopping anyway")]
    public static partial void StatusNotRecorded(this ILogger logger, Exception exception, SiloAddress silo, SiloStatus status);

    [LoggerMessage(20, LogLevel.Warning, "Shutdown did not finish deactivating {Remaining} activations: {Reason}")]
    public static partial void ShutdownIncomplete(this ILogger logger, int remaining, string reason);
}

/// <summary>JSON options bound to the silo's grain factory, so grain references round-trip.</summary>
public sealed class GrainJsonSerializerOptions(JsonSerializerOptions options)
{
    public JsonSerializerOptions Options { get; } = options;

    internal static GrainJsonSerializerOptions From(IServiceProvider services) =>
        new(services.GetRequiredService<GrainRuntime>().SerializerOptions);
}
