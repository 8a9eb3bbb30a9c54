using System.Collections.Concurrent;
using OrleansSocial.Runtime;

namespace OrleansSocial.Runtime.Tests;

/// <summary>Records what happens inside grains, per grain key, so tests sharing a cluster do not see each other.</summary>
public static class Probe
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Events = new();

    public static void Record(string key, string evt) => Events.GetOrAdd(key, _ => new ConcurrentQueue<string>()).Enqueue(evt);

    public static IReadOnlyList<string> For(string key) => Events.TryGetValue(key, out var q) ? [.. q] : [];
}

/// <summary>Counts turns running at once inside one activation.</summary>
public sealed class ConcurrencyMeter
{
    private int _current;
    private int _max;

    public int Max => Volatile.Read(ref _max);

    public IDisposable Enter()
    {
        var now = Interlocked.Increment(ref _current);
        int seen;
        while (now > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen)
        {
        }

        return new Exit(this);
    }

    private sealed class Exit(ConcurrencyMeter meter) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref meter._current);
    }
}

public interface ICounterGrain : IGrainWithGuidKey
{
    Task<int> Increment();

    Task<int> MaxConcurrentTurns();

    [ReadOnly]
    Task<int> SlowRead(int millisecondsDelay);

    [ReadOnly]
    Task<int> ReadOnlyMaxConcurrentTurns();

    [AlwaysInterleave]
    Task<int> Peek();

    Task<int> HoldTurn(int millisecondsDelay);
}

public class CounterGrain : Grain, ICounterGrain
{
    private readonly ConcurrencyMeter _turns = new();
    private readonly ConcurrencyMeter _readers = new();
    private int _value;

    public async Task<int> Increment()
    {
        using var _ = _turns.Enter();
        var read = _value;
        await Task.Delay(1);
        _value = read + 1;
        return _value;
    }

    public Task<int> MaxConcurrentTurns() => Task.FromResult(_turns.Max);

    public async Task<int> SlowRead(int millisecondsDelay)
    {
        using var _ = _readers.Enter();
        await Task.Delay(millisecondsDelay);
        return _value;
    }

    public Task<int> ReadOnlyMaxConcurrentTurns() => Task.FromResult(_readers.Max);

    public Task<int> Peek() => Task.FromResult(_value);

    public async Task<int> HoldTurn(int millisecondsDelay)
    {
        using var _ = _turns.Enter();
        await Task.Delay(millisecondsDelay);
        return _value;
    }
}

public interface IReentrantCounterGrain : IGrainWithGuidKey
{
    Task<int> Increment();

    Task<int> MaxConcurrentTurns();
}

[Reentrant]
public class ReentrantCounterGrain : Grain, IReentrantCounterGrain
{
    private readonly ConcurrencyMeter _turns = new();
    private int _value;

    public async Task<int> Increment()
    {
        using var _ = _turns.Enter();
        await Task.Delay(1);
        return Interlocked.Increment(ref _value);
    }

    public Task<int> MaxConcurrentTurns() => Task.FromResult(_turns.Max);
}

public interface IChainGrain : IGrainWithStringKey
{
    /// <summary>Calls <paramref name="next"/>, which calls back <paramref name="back"/>.</summary>
    Task<string> CallThenBack(string next, string back, bool allowReentrancy);

    Task<string> CallBack(string target);

    Task<string> Hello();

    Task<string?> ReadRequestContext(string key, string? forwardTo);

    Task SetRequestContextInCallee(string key);
}

public class ChainGrain : Grain, IChainGrain
{
    public async Task<string> CallThenBack(string next, string back, bool allowReentrancy)
    {
        var other = GrainFactory.GetGrain<IChainGrain>(next);
        if (allowReentrancy)
        {
            using (RequestContext.AllowCallChainReentrancy())
            {
                return await other.CallBack(back);
            }
        }

        return await other.CallBack(back);
    }

    public Task<string> CallBack(string target) => GrainFactory.GetGrain<IChainGrain>(target).Hello();

    public Task<string> Hello() => Task.FromResult($"hello from {this.GetPrimaryKeyString()}");

    public async Task<string?> ReadRequestContext(string key, string? forwardTo)
    {
        if (forwardTo is not null)
        {
            return await GrainFactory.GetGrain<IChainGrain>(forwardTo).ReadRequestContext(key, null);
        }

        return RequestContext.Get(key) as string;
    }

    public Task SetRequestContextInCallee(string key)
    {
        RequestContext.Set(key, "set by callee");
        return Task.CompletedTask;
    }
}

public interface ISlowGrain : IGrainWithIntegerKey
{
    Task Sleep(TimeSpan duration);

    Task<bool> Finished();
}

public class SlowGrain : Grain, ISlowGrain
{
    private static readonly ConcurrentDictionary<long, bool> FinishedByKey = new();

    public async Task Sleep(TimeSpan duration)
    {
        await Task.Delay(duration);
        FinishedByKey[this.GetPrimaryKeyLong()] = true;
    }

    [AlwaysInterleave]
    public Task<bool> Finished() => Task.FromResult(FinishedByKey.ContainsKey(this.GetPrimaryKeyLong()));
}

public sealed class ProfileRuleException(string message) : InvalidOperationException(message);

public interface IThrowingGrain : IGrainWithIntegerKey
{
    Task ThrowAfterAwait(string message);

    Task<int> ThrowSynchronously(string message);

    ValueTask<int> ValueTaskThrow(string message);
}

public class ThrowingGrain : Grain, IThrowingGrain
{
    public async Task ThrowAfterAwait(string message)
    {
        await Task.Yield();
        throw new ProfileRuleException(message);
    }

    public Task<int> ThrowSynchronously(string message) => throw new ArgumentOutOfRangeException(nameof(message), message);

    public async ValueTask<int> ValueTaskThrow(string message)
    {
        await Task.Delay(1);
        throw new KeyNotFoundException(message);
    }
}

public interface IFlakyActivationGrain : IGrainWithStringKey
{
    Task<int> Attempts();
}

public class FlakyActivationGrain : Grain, IFlakyActivationGrain
{
    private static readonly ConcurrentDictionary<string, int> AttemptsByKey = new();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(1, cancellationToken);
        var attempt = AttemptsByKey.AddOrUpdate(this.GetPrimaryKeyString(), 1, (_, n) => n + 1);
        if (attempt == 1)
        {
            throw new InvalidOperationException("database not reachable on first activation");
        }
    }

    public Task<int> Attempts() => Task.FromResult(AttemptsByKey[this.GetPrimaryKeyString()]);
}

public interface ILifecycleGrain : IGrainWithStringKey
{
    Task<bool> ActivatedBeforeFirstRequest();

    Task<Guid> InstanceId();

    Task Deactivate();

    Task KeepAliveFor(TimeSpan duration);
}

public class LifecycleGrain : Grain, ILifecycleGrain
{
    private readonly Guid _instance = Guid.NewGuid();
    private bool _activated;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(20, cancellationToken);
        _activated = true;
        Probe.Record(this.GetPrimaryKeyString(), "activated");
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Probe.Record(this.GetPrimaryKeyString(), $"deactivated:{reason.ReasonCode}");
        if (this.GetPrimaryKeyString().StartsWith("throws-", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("OnDeactivateAsync failed on purpose");
        }

        return Task.CompletedTask;
    }

    public Task<bool> ActivatedBeforeFirstRequest() => Task.FromResult(_activated);

    public Task<Guid> InstanceId() => Task.FromResult(_instance);

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task KeepAliveFor(TimeSpan duration)
    {
        DelayDeactivation(duration);
        return Task.CompletedTask;
    }
}

public interface ITimerGrain : IGrainWithStringKey
{
    Task Start(TimeSpan period, bool interleave);

    Task<int> HoldTurn(int millisecondsDelay);

    Task<int> Ticks();

    Task<int> MaxConcurrentTurns();

    Task Deactivate();
}

public class TimerGrain : Grain, ITimerGrain
{
    private static readonly ConcurrentDictionary<string, int> TicksByKey = new();
    private readonly ConcurrencyMeter _turns = new();

    public Task Start(TimeSpan period, bool interleave)
    {
        RegisterGrainTimer(async ct =>
        {
            using var _ = _turns.Enter();
            await Task.Delay(2, ct);
            TicksByKey.AddOrUpdate(this.GetPrimaryKeyString(), 1, (_, n) => n + 1);
        }, new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = period, Interleave = interleave });
        return Task.CompletedTask;
    }

    public async Task<int> HoldTurn(int millisecondsDelay)
    {
        using var _ = _turns.Enter();
        await Task.Delay(millisecondsDelay);
        return TicksByKey.GetValueOrDefault(this.GetPrimaryKeyString());
    }

    public Task<int> Ticks() => Task.FromResult(TicksByKey.GetValueOrDefault(this.GetPrimaryKeyString()));

    public Task<int> MaxConcurrentTurns() => Task.FromResult(_turns.Max);

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

public sealed class ProfileState
{
    public string DisplayName { get; set; } = "";

    public int Version { get; set; }

    public ICounterGrain? FavouriteCounter { get; set; }
}

public interface IProfileGrain : IGrainWithStringKey
{
    Task<ProfileState> Get();

    Task Rename(string displayName);

    Task<bool> Exists();

    Task Clear();

    Task SetFavourite(ICounterGrain counter);

    Task<int> IncrementFavourite();
}

public class ProfileGrain([PersistentState("profile")] IPersistentState<ProfileState> profile) : Grain, IProfileGrain
{
    public Task<ProfileState> Get() => Task.FromResult(profile.State);

    public async Task Rename(string displayName)
    {
        profile.State.DisplayName = displayName;
        profile.State.Version++;
        await profile.WriteStateAsync();
    }

    public Task<bool> Exists() => Task.FromResult(profile.RecordExists);

    public Task Clear() => profile.ClearStateAsync();

    public async Task SetFavourite(ICounterGrain counter)
    {
        profile.State.FavouriteCounter = counter;
        await profile.WriteStateAsync();
    }

    public Task<int> IncrementFavourite() => profile.State.FavouriteCounter!.Increment();

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (reason.ReasonCode == DeactivationReasonCode.ShuttingDown && profile.RecordExists)
        {
            profile.State.DisplayName += " (saved at shutdown)";
            await profile.WriteStateAsync();
        }
    }
}

public interface IWorkerGrain : IGrainWithIntegerKey
{
    Task<Guid> Work(int millisecondsDelay);
}

[StatelessWorker(4)]
public class WorkerGrain : Grain, IWorkerGrain
{
    public static readonly ConcurrencyMeter Running = new();
    private readonly Guid _instance = Guid.NewGuid();

    public async Task<Guid> Work(int millisecondsDelay)
    {
        using var _ = Running.Enter();
        await Task.Delay(millisecondsDelay);
        return _instance;
    }
}

public interface IKeysGrain : IGrainWithIntegerKey
{
    Task<long> Key();
}

public class KeysGrain : Grain, IKeysGrain
{
    public Task<long> Key() => Task.FromResult(this.GetPrimaryKeyLong());
}

/// <summary>An interface no grain class implements.</summary>
public interface IOrphanGrain : IGrainWithStringKey
{
    Task Nothing();
}

public interface IReturnTypesGrain : IGrainWithIntegerKey
{
    ValueTask<string> EchoLater(string value);

    ValueTask Remember(string value);

    Task<string?> Remembered();

    Task<ICounterGrain> CounterFor(Guid key);

    /// <summary>The same completed task each time while the value stays the same.</summary>
    Task<string> Kept(string value);

    /// <summary>A new completed task each time.</summary>
    Task<int> Twice(int value);
}

public class ReturnTypesGrain : Grain, IReturnTypesGrain
{
    private string? _remembered;

    public async ValueTask<string> EchoLater(string value)
    {
        await Task.Delay(1);
        return value;
    }

    public async ValueTask Remember(string value)
    {
        await Task.Yield();
        _remembered = value;
    }

    public Task<string?> Remembered() => Task.FromResult(_remembered);

    public Task<ICounterGrain> CounterFor(Guid key) => Task.FromResult(GrainFactory.GetGrain<ICounterGrain>(key));

    private Task<string>? _kept;

    public Task<string> Kept(string value) => _kept is { } kept && kept.Result == value ? kept : _kept = Task.FromResult(value);

    public Task<int> Twice(int value) => Task.FromResult(value * 2);
}

/// <summary>Filters its own calls: the result of <see cref="IReplacingGrain.Kept"/> is replaced on the way out.</summary>
public interface IReplacingGrain : IGrainWithIntegerKey
{
    Task<string> Kept(string value);
}

public class ReplacingGrain : Grain, IReplacingGrain, IIncomingGrainCallFilter
{
    private readonly Task<string> _kept = Task.FromResult("kept");

    public Task<string> Kept(string value) => _kept;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        await context.Invoke();
        context.Result = "replaced " + context.Arguments[0];
    }
}

public interface IStuckGrain : IGrainWithIntegerKey
{
    Task Touch();
}

/// <summary>OnDeactivateAsync never finishes on its own: shutdown must not wait for it beyond the deactivation timeout.</summary>
public class StuckGrain : Grain, IStuckGrain
{
    public Task Touch() => Task.CompletedTask;

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        Task.Delay(Timeout.Infinite, CancellationToken.None);
}

public sealed class TallyState
{
    public int Count { get; set; }
}

public interface ISiloProbeGrain : IGrainWithStringKey
{
    /// <summary>The address of the silo this activation lives on.</summary>
    Task<string> Silo();

    Task<int> Increment();

    Task<int> Count();

    Task<string> CallOther(ISiloProbeGrain other);

    Task Sleep(TimeSpan duration);

    Task Fail(string message);

    Task<string> CallBackThrough(string middle, string back);

    Task<string?> ReadContext(string key);
}

public class SiloProbeGrain(ILocalSiloDetails silo, [PersistentState("tally")] IPersistentState<TallyState> tally) : Grain, ISiloProbeGrain
{
    public Task<string> Silo() => Task.FromResult(silo.SiloAddress.ToString());

    public async Task<int> Increment()
    {
        tally.State.Count++;
        await tally.WriteStateAsync();
        return tally.State.Count;
    }

    public Task<int> Count() => Task.FromResult(tally.State.Count);

    public Task<string> CallOther(ISiloProbeGrain other) => other.Silo();

    public Task Sleep(TimeSpan duration) => Task.Delay(duration);

    public Task Fail(string message) => throw new ProfileRuleException(message);

    public Task<string> CallBackThrough(string middle, string back) =>
        GrainFactory.GetGrain<ISiloProbeGrain>(middle).CallOther(GrainFactory.GetGrain<ISiloProbeGrain>(back));

    public Task<string?> ReadContext(string key) => Task.FromResult(RequestContext.Get(key) as string);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Probe.Record(this.GetPrimaryKeyString(), $"deactivated:{reason.ReasonCode}@{silo.SiloAddress}");
        return Task.CompletedTask;
    }
}

public interface IStreamGrain : IGrainWithStringKey
{
    /// <summary>Publishes the numbers 0..count-1 on the stream, in order.</summary>
    Task Publish(string provider, string streamKey, int count);

    Task Listen(string provider, string streamKey);

    Task<List<int>> Received();

    Task<int> MaxConcurrentTurns();

    Task<int> Busy(int millisecondsDelay);

    Task Deactivate();
}

public class StreamGrain : Grain, IStreamGrain
{
    private readonly ConcurrencyMeter _turns = new();
    private readonly List<int> _received = [];

    public async Task Publish(string provider, string streamKey, int count)
    {
        var stream = this.GetStreamProvider(provider).GetStream<int>(StreamId.Create("numbers", streamKey));
        for (var i = 0; i < count; i++)
        {
            await stream.OnNextAsync(i);
        }
    }

    public async Task Listen(string provider, string streamKey)
    {
        var stream = this.GetStreamProvider(provider).GetStream<int>(StreamId.Create("numbers", streamKey));
        await stream.SubscribeAsync(async n =>
        {
            using var _ = _turns.Enter();
            await Task.Delay(1);
            _received.Add(n);
        });
    }

    public Task<List<int>> Received() => Task.FromResult(_received.ToList());

    public Task<int> MaxConcurrentTurns() => Task.FromResult(_turns.Max);

    public async Task<int> Busy(int millisecondsDelay)
    {
        using var _ = _turns.Enter();
        await Task.Delay(millisecondsDelay);
        return _received.Count;
    }

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
