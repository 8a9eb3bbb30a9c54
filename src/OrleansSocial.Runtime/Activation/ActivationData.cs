using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrleansSocial.Runtime.Core;
using OrleansSocial.Runtime.Messaging;
using OrleansSocial.Runtime.Timers;

namespace OrleansSocial.Runtime.Activation;

internal enum ActivationState : byte
{
    Activating,
    Valid,
    Deactivating,
    Invalid,
}

/// <summary>
/// One activation of a grain: the grain instance, its request admission rules and its scheduler.
/// <para>
/// Scheduling: the activation is a <see cref="SynchronizationContext"/> that runs posted work one item at a time (on a
/// thread-pool thread, or inline on the caller's thread when it is idle), so grain code never runs in parallel with
/// itself and every <c>await</c> inside grain code resumes on the activation. Admission: a request starts only when the
/// activation is idle, unless the grain is <see cref="ReentrantAttribute"/>, the method is
/// <see cref="AlwaysInterleaveAttribute"/>, all running requests and this one are <see cref="ReadOnlyAttribute"/>, or the
/// call chain allows re-entry. A request that can neither start nor wait (its own call chain holds this activation)
/// fails at once with <see cref="DeadlockException"/>.
/// </para>
/// </summary>
internal sealed class ActivationData : SynchronizationContext, IThreadPoolWorkItem
{
    /// <summary>Set while the grain constructor runs, so <see cref="Grain"/>'s constructor can find its activation.</summary>
    [ThreadStatic]
    internal static ActivationData? UnderConstruction;

    // Inline execution runs a callee on its caller's stack; bounded so long call chains do not overflow the stack.
    private const int MaxInlineDepth = 8;

    // Work items run per thread-pool dispatch before the executor yields the thread to other activations.
    private const int MaxItemsPerDispatch = 64;

    [ThreadStatic]
    private static int t_inlineDepth;

    private readonly Lock _lock = new();
    private ActivationState _state;
    private int _running;
    private int _runningReadOnly;
    private bool _executorBusy;
    private bool _deactivateOnIdle;
    private bool _deactivationScheduled;
    private long _lastActivity;
    private long _keepAliveUntil;
    private Queue<Message>? _waiting;
    private Queue<WorkItem>? _work;
    private ActivationExtras? _extras;
    private CallContext? _rootContext;

    public ActivationData(GrainId grainId, GrainClassInfo classInfo, GrainRuntime runtime)
    {
        GrainId = grainId;
        ClassInfo = classInfo;
        Runtime = runtime;
        _lastActivity = runtime.Time.GetTimestamp();
    }

    public GrainId GrainId { get; }

    public GrainClassInfo ClassInfo { get; }

    public GrainRuntime Runtime { get; }

    public object? GrainInstance { get; private set; }

    internal ActivationState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>True while no request runs and none waits: a stateless-worker pool prefers such activations.</summary>
    internal bool IsIdle => Volatile.Read(ref _running) == 0 && (_waiting is null || _waiting.Count == 0) && _state == ActivationState.Valid;

    internal int QueueLength => _waiting?.Count ?? 0;

    /// <summary>Completes when the activation is gone (after <see cref="Grain.OnDeactivateAsync"/>).</summary>
    internal Task Deactivated => Extras.Deactivated.Task;

    private ActivationExtras Extras
    {
        get
        {
            if (_extras is null)
            {
                Interlocked.CompareExchange(ref _extras, new ActivationExtras(), null);
            }

            return _extras;
        }
    }

    public override string ToString() => $"[Activation {GrainId} {ClassInfo.GrainClass.Name}]";

    // ---------------------------------------------------------------- requests

    /// <summary>
    /// Delivers a call. Returns false when the activation has already gone away (the caller looks the grain up again).
    /// Runs the request inline on the calling thread when the activation is idle; otherwise queues it.
    /// </summary>
    public bool TryInvoke(GrainMethod method, object?[]? arguments, CallContext? caller, TimeSpan? timeout, out ValueTask<object?> result)
    {
        var readOnly = (method.Flags & InvokeFlags.ReadOnly) != 0;
        var interleave = (method.Flags & InvokeFlags.AlwaysInterleave) != 0;
        Message? message = null;
        Admission admission;
        lock (_lock)
        {
            if (_state == ActivationState.Invalid)
            {
                result = default;
                return false;
            }

            if (_state == ActivationState.Valid && !_executorBusy && t_inlineDepth < MaxInlineDepth
                && (_waiting is null || _waiting.Count == 0) && CanStart(caller, readOnly, interleave))
            {
                _running++;
                if (readOnly)
                {
                    _runningReadOnly++;
                }

                _executorBusy = true;
                admission = Admission.Inline;
            }
            else
            {
                // Decided under the same lock that saw the activation alive, so the message cannot be queued on an
                // activation that has just finished deactivating.
                message = new Message(GrainId, method, arguments, caller) { ResponseTimeout = timeout };
                admission = AdmitLocked(message);
            }
        }

        result = admission == Admission.Inline ? RunInline(method, arguments, caller, readOnly, timeout) : Dispatched(message!, admission);
        return true;
    }

    /// <summary>Delivers a message (a re-routed request or a timer tick). Returns false when the activation has gone away.</summary>
    public bool TryEnqueue(Message message)
    {
        Admission admission;
        lock (_lock)
        {
            if (_state == ActivationState.Invalid)
            {
                return false;
            }

            admission = AdmitLocked(message);
        }

        _ = Dispatched(message, admission);
        return true;
    }

    private enum Admission
    {
        Inline,
        Start,
        Queued,
        Deadlock,
    }

    // Called under _lock, on an activation that is not Invalid: start the message now, queue it, or refuse it.
    private Admission AdmitLocked(Message message)
    {
        var readOnly = message.IsReadOnly;
        var interleave = message.Interleaves;
        if (_state == ActivationState.Valid && ((_waiting is null || _waiting.Count == 0) || interleave)
            && CanStart(message.Context, readOnly, interleave))
        {
            _running++;
            if (readOnly)
            {
                _runningReadOnly++;
            }

            return Admission.Start;
        }

        if (message.Method is not null && ChainContains(message.Context, GrainId) && !CanStart(message.Context, readOnly, interleave))
        {
            return Admission.Deadlock;
        }

        (_waiting ??= new Queue<Message>()).Enqueue(message);
        return Admission.Queued;
    }

    private ValueTask<object?> Dispatched(Message message, Admission admission)
    {
        if (admission == Admission.Deadlock)
        {
            // The request's own chain is waiting on this activation, which is busy: waiting would never end.
            var chain = GrainIdList.ToList(message.Context!.OutgoingChain);
            chain.Add(GrainId);
            message.TrySetException(new DeadlockException(chain));
            return message.AsValueTask();
        }

        if (admission == Admission.Start)
        {
            Post(new WorkItem(null, null, message));
        }

        if (message.Method is not null)
        {
            message.StartTimeout(Runtime.Time, message.ResponseTimeout ?? Runtime.ResponseTimeout, Runtime.OnTimeout);
        }

        return message.AsValueTask();
    }

    private static bool ChainContains(CallContext? caller, GrainId id) =>
        caller is not null && (caller.Activation is { } a && a.GrainId.Equals(id) || GrainIdList.Contains(caller.Chain, id));

    // Called under _lock.
    private bool CanStart(CallContext? caller, bool readOnly, bool interleave)
    {
        if (_running == 0 || ClassInfo.IsReentrant || interleave)
        {
            return true;
        }

        if (readOnly && _runningReadOnly == _running)
        {
            return true;
        }

        return caller?.ReentrantFor is { } allowed && GrainIdList.Contains(allowed, GrainId) && ChainContains(caller, GrainId);
    }

    private CallContext CalleeContext(CallContext? caller)
    {
        if (caller is null || caller.Activation is null && caller.Chain is null && caller.ReentrantFor is null && caller.Values is null)
        {
            return _rootContext ??= new CallContext(this, null, null, null);
        }

        return new CallContext(this, caller.OutgoingChain, caller.ReentrantFor, caller.Values);
    }

    private ValueTask<object?> RunInline(GrainMethod method, object?[]? arguments, CallContext? caller, bool readOnly, TimeSpan? timeout)
    {
        var started = Runtime.Metrics.DurationEnabled ? Stopwatch.GetTimestamp() : 0;
        var previousSync = Current;

        // The caller's execution context is put back as it was (null when its flow is suppressed: then the call
        // context alone is), which, unlike setting the call context back, allocates nothing.
        var previousExecution = ExecutionContext.Capture();
        var previousContext = CallContext.Current;
        ValueTask<object?> pending;
        t_inlineDepth++;
        SetSynchronizationContext(this);
        CallContext.Current = CalleeContext(caller);
        try
        {
            pending = InvokeGrain(method, arguments);
        }
        catch (Exception e)
        {
            pending = ValueTask.FromException<object?>(e);
        }
        finally
        {
            if (previousExecution is not null)
            {
                ExecutionContext.Restore(previousExecution);
            }
            else
            {
                CallContext.Current = previousContext;
            }

            SetSynchronizationContext(previousSync);
            t_inlineDepth--;
        }

        if (pending.IsCompleted)
        {
            RequestCompleted(readOnly, keepAlive: true, started, !pending.IsCompletedSuccessfully, releaseExecutor: true);
            return pending;
        }

        ReleaseExecutor();
        var message = new Message(GrainId, method, arguments, caller) { ResponseTimeout = timeout };
        _ = CompleteAsync(pending, message, readOnly, started);
        message.StartTimeout(Runtime.Time, timeout ?? Runtime.ResponseTimeout, Runtime.OnTimeout);
        return message.AsValueTask();
    }

    /// <summary>Runs on the executor: starts a request that was admitted.</summary>
    private void StartRequest(Message message)
    {
        var readOnly = message.IsReadOnly;
        var started = Runtime.Metrics.DurationEnabled ? Stopwatch.GetTimestamp() : 0;
        if (message.IsCompleted)
        {
            // The caller already gave up (timeout): do not run it.
            RequestCompleted(readOnly, keepAlive: false, 0, failed: false);
            return;
        }

        var previousContext = CallContext.Current;
        ValueTask<object?> pending;
        CallContext.Current = message.Method is not null ? CalleeContext(message.Context) : _rootContext ??= new CallContext(this, null, null, null);
        try
        {
            pending = message.Timer is { } timer ? new ValueTask<object?>(AsObjectTask(timer.RunTickAsync()))
                : message.Work is { } work ? new ValueTask<object?>(AsObjectTask(work()))
                : InvokeGrain(message.Method!, message.Arguments);
        }
        catch (Exception e)
        {
            pending = ValueTask.FromException<object?>(e);
        }
        finally
        {
            CallContext.Current = previousContext;
        }

        if (!pending.IsCompleted)
        {
            _ = CompleteAsync(pending, message, readOnly, started);
            return;
        }

        var keepAlive = message.Timer is null || message.Timer.KeepAlive;
        RequestCompleted(readOnly, keepAlive, started, !pending.IsCompletedSuccessfully);
        if (pending.IsCompletedSuccessfully)
        {
            message.TrySetResult(pending.Result);
        }
        else
        {
            message.TrySetException(ExceptionOf(pending));
        }
    }

    private static async Task<object?> AsObjectTask(Task task)
    {
        await task.ConfigureAwait(false);
        return null;
    }

    private static Exception ExceptionOf(ValueTask<object?> completed)
    {
        try
        {
            _ = completed.Result;
            return new InvalidOperationException("The request did not fail.");
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private async Task CompleteAsync(ValueTask<object?> pending, Message message, bool readOnly, long started)
    {
        object? result = null;
        Exception? failure = null;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }

        RequestCompleted(readOnly, keepAlive: message.Timer is null || message.Timer.KeepAlive, started, failure is not null);

        // The request is over. Unless this thread is running some activation's work, the caller may continue right here.
        var inline = Current is not ActivationData && t_inlineDepth == 0;
        if (failure is null)
        {
            message.TrySetResult(result, inline);
        }
        else
        {
            message.TrySetException(failure, inline);
        }
    }

    private ValueTask<object?> InvokeGrain(GrainMethod method, object?[]? arguments)
    {
        var grain = GrainInstance!;
        if (!Runtime.HasIncomingFilters && grain is not IIncomingGrainCallFilter)
        {
            return method.Invoker(grain, arguments);
        }

        return new IncomingGrainCallContext(this, method, arguments).InvokeChainAsync();
    }

    // releaseExecutor: the request ran inline and completed there; the executor it held is released under the same lock.
    private void RequestCompleted(bool readOnly, bool keepAlive, long started, bool failed, bool releaseExecutor = false)
    {
        long now = 0;
        if (started != 0)
        {
            now = Stopwatch.GetTimestamp();
            Runtime.Metrics.RecordDuration(started, now);
        }

        if (failed)
        {
            Runtime.Metrics.RecordFailure();
        }

        var startDeactivation = false;
        var schedule = false;
        List<Message>? toStart = null;
        lock (_lock)
        {
            if (releaseExecutor)
            {
                schedule = ReleaseExecutorLocked();
            }

            _running--;
            if (readOnly)
            {
                _runningReadOnly--;
            }

            if (keepAlive)
            {
                _lastActivity = Runtime.Timestamp(now);
            }

            if (_state == ActivationState.Valid && _deactivateOnIdle && _running == 0)
            {
                _state = ActivationState.Deactivating;
            }

            if (_state == ActivationState.Deactivating)
            {
                if (_running == 0 && !_deactivationScheduled)
                {
                    _deactivationScheduled = true;
                    startDeactivation = true;
                }
            }
            else
            {
                toStart = AdmitWaiting();
            }
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        if (startDeactivation)
        {
            Post(static s => _ = ((ActivationData)s!).FinishDeactivationAsync(), this);
        }

        StartAll(toStart);
    }

    // Called under _lock: takes, in order, the waiting messages that may start now.
    private List<Message>? AdmitWaiting()
    {
        if (_state != ActivationState.Valid || _waiting is null)
        {
            return null;
        }

        List<Message>? admitted = null;
        while (_waiting.TryPeek(out var next))
        {
            if (next.IsCompleted)
            {
                _waiting.Dequeue();
                continue;
            }

            var readOnly = next.IsReadOnly;
            if (!CanStart(next.Context, readOnly, next.Interleaves))
            {
                break;
            }

            _waiting.Dequeue();
            _running++;
            if (readOnly)
            {
                _runningReadOnly++;
            }

            (admitted ??= []).Add(next);
        }

        if (_waiting.Count == 0)
        {
            _waiting = null;
        }

        return admitted;
    }

    private void StartAll(List<Message>? messages)
    {
        if (messages is null)
        {
            return;
        }

        foreach (var message in messages)
        {
            Post(new WorkItem(null, null, message));
        }
    }

    // ---------------------------------------------------------------- activation

    /// <summary>Creates the grain instance, reads its state and runs OnActivateAsync, on the activation's scheduler.</summary>
    public void Start() => Post(static s => _ = ((ActivationData)s!).ActivateAsync(), this);

    private async Task ActivateAsync()
    {
        CallContext.Current = _rootContext ??= new CallContext(this, null, null, null);
        try
        {
            UnderConstruction = this;
            try
            {
                GrainInstance = ClassInfo.CreateInstance(Runtime.Services, this);
            }
            finally
            {
                UnderConstruction = null;
            }

            if (_extras?.States is { } states)
            {
                foreach (var state in states)
                {
                    await state.ReadStateAsync().ConfigureAwait(true);
                }
            }

            if (GrainInstance is Grain grain)
            {
                using var cts = new CancellationTokenSource(Runtime.ActivationTimeout, Runtime.Time);
                await grain.OnActivateAsync(cts.Token).ConfigureAwait(true);
            }
        }
        catch (Exception e)
        {
            Runtime.Logger.ActivationFailed(e, GrainId);
            FailActivation(e);
            return;
        }

        List<Message>? toStart;
        var startDeactivation = false;
        lock (_lock)
        {
            _state = ActivationState.Valid;
            _lastActivity = Runtime.Time.GetTimestamp();
            if (_deactivateOnIdle && _running == 0)
            {
                _state = ActivationState.Deactivating;
                _deactivationScheduled = true;
                startDeactivation = true;
                toStart = null;
            }
            else
            {
                toStart = AdmitWaiting();
            }
        }

        Runtime.Metrics.ActivationCreated();
        if (startDeactivation)
        {
            await FinishDeactivationAsync().ConfigureAwait(true);
            return;
        }

        StartAll(toStart);
    }

    // Every call that was waiting for this activation fails with the activation's error; the next call retries.
    private void FailActivation(Exception error) => Invalidate(_ => error);

    /// <summary>Marks the activation gone, removes it and fails the requests still waiting for it.</summary>
    private void Invalidate(Func<Message, Exception> failure)
    {
        Runtime.Catalog.Remove(this);
        Queue<Message>? waiting;
        lock (_lock)
        {
            _state = ActivationState.Invalid;
            waiting = _waiting;
            _waiting = null;
        }

        DisposeTimers();
        Extras.Deactivated.TrySetResult();
        foreach (var message in waiting ?? [])
        {
            message.TrySetException(failure(message));
        }
    }

    // ---------------------------------------------------------------- deactivation

    /// <summary>Deactivate when no request is running (after the current one).</summary>
    public void DeactivateOnIdle(DeactivationReason reason)
    {
        lock (_lock)
        {
            if (_state is ActivationState.Deactivating or ActivationState.Invalid)
            {
                return;
            }

            Extras.Reason = reason;
            _deactivateOnIdle = true;
            if (_state != ActivationState.Valid || _running != 0)
            {
                return;
            }

            _state = ActivationState.Deactivating;
            _deactivationScheduled = true;
        }

        Post(static s => _ = ((ActivationData)s!).FinishDeactivationAsync(), this);
    }

    public void DelayDeactivation(TimeSpan timeSpan)
    {
        lock (_lock)
        {
            _keepAliveUntil = timeSpan <= TimeSpan.Zero
                ? 0
                : timeSpan == TimeSpan.MaxValue || timeSpan == Timeout.InfiniteTimeSpan
                    ? long.MaxValue
                    : Runtime.Time.GetTimestamp() + (long)(timeSpan.TotalSeconds * Runtime.Time.TimestampFrequency);
        }
    }

    /// <summary>True when the activation has had no request for at least <paramref name="age"/> and nothing keeps it alive.</summary>
    internal bool IsIdleLongerThan(long now, TimeSpan age)
    {
        lock (_lock)
        {
            return _state == ActivationState.Valid && _running == 0 && (_waiting is null || _waiting.Count == 0)
                && now >= _keepAliveUntil && (now - _lastActivity) >= (long)(age.TotalSeconds * Runtime.Time.TimestampFrequency);
        }
    }

    private async Task FinishDeactivationAsync()
    {
        DisposeTimers();
        var reason = _extras?.Reason ?? new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "Deactivation requested.");
        CallContext.Current = _rootContext ??= new CallContext(this, null, null, null);
        if (GrainInstance is Grain grain)
        {
            using var cts = new CancellationTokenSource(Runtime.DeactivationTimeout, Runtime.Time);
            try
            {
                await grain.OnDeactivateAsync(reason, cts.Token).WaitAsync(Runtime.DeactivationTimeout, Runtime.Time).ConfigureAwait(true);
            }
            catch (Exception e)
            {
                Runtime.Logger.DeactivationFailed(e, GrainId, reason.ToString());
            }
        }

        // Leave the catalog before turning Invalid: a lookup then finds either a new activation or this one still
        // deactivating (which queues the call and re-routes it below), never an Invalid one.
        Runtime.Catalog.Remove(this);
        Queue<Message>? waiting;
        lock (_lock)
        {
            _state = ActivationState.Invalid;
            waiting = _waiting;
            _waiting = null;
        }

        Runtime.Metrics.ActivationRemoved();
        Extras.Deactivated.TrySetResult();
        if (waiting is not null)
        {
            // Requests that arrived while deactivating go to a new activation.
            foreach (var message in waiting)
            {
                Runtime.Reroute(message);
            }
        }
    }

    /// <summary>Starts deactivation with the given reason and returns when the activation is gone.</summary>
    internal Task DeactivateAsync(DeactivationReason reason)
    {
        var deactivated = Deactivated;
        lock (_lock)
        {
            if (_state == ActivationState.Activating)
            {
                _deactivateOnIdle = true;
                Extras.Reason = reason;
                return deactivated;
            }
        }

        DeactivateOnIdle(reason);
        return deactivated;
    }

    /// <summary>Drops the activation without running anything (the silo is being killed).</summary>
    internal void Abandon() =>
        Invalidate(message => new SiloUnavailableException($"Silo {Runtime.LocalSilo} stopped abruptly before {message.Describe()} ran."));

    /// <summary>
    /// Runs <paramref name="work"/> as a turn of this activation (waiting like a request, never concurrently with
    /// one). Returns false when the activation has gone away.
    /// </summary>
    internal bool TryRunAsTurn(Func<Task> work, out Task completion)
    {
        var message = new Message(GrainId, null, null, null) { Work = work };
        completion = message.AsValueTask().AsTask();
        return TryEnqueue(message);
    }

    // ---------------------------------------------------------------- state and timers

    internal void AddStateParticipant(IActivationStateParticipant participant) => (Extras.States ??= []).Add(participant);

    public IGrainTimer RegisterTimer(Func<object?, CancellationToken, Task> callback, object? state, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DueTime, Timeout.InfiniteTimeSpan, nameof(options.DueTime));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Period, Timeout.InfiniteTimeSpan, nameof(options.Period));
        var timer = new GrainTimer(this, callback, state, options);
        var extras = Extras;
        lock (_lock)
        {
            if (_state is ActivationState.Deactivating or ActivationState.Invalid)
            {
                throw new InvalidOperationException($"{this} is deactivating; timers cannot be registered.");
            }

            (extras.Timers ??= []).Add(timer);
        }

        timer.Start();
        return timer;
    }

    internal void RemoveTimer(GrainTimer timer)
    {
        lock (_lock)
        {
            _extras?.Timers?.Remove(timer);
        }
    }

    private void DisposeTimers()
    {
        List<GrainTimer>? timers;
        lock (_lock)
        {
            timers = _extras?.Timers;
            if (_extras is not null)
            {
                _extras.Timers = null;
            }
        }

        if (timers is null)
        {
            return;
        }

        foreach (var timer in timers)
        {
            timer.Stop();
        }
    }

    // ---------------------------------------------------------------- executor

    public override void Post(SendOrPostCallback d, object? state) => Post(new WorkItem(d, state, null));

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("Synchronous Send on a grain activation would block its scheduler.");

    public override SynchronizationContext CreateCopy() => this;

    private void Post(WorkItem item)
    {
        bool schedule;
        lock (_lock)
        {
            (_work ??= new Queue<WorkItem>()).Enqueue(item);
            schedule = !_executorBusy;
            _executorBusy = true;
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    // After an inline run: hand anything posted meanwhile to the thread pool, or mark the executor free.
    private void ReleaseExecutor()
    {
        bool schedule;
        lock (_lock)
        {
            schedule = ReleaseExecutorLocked();
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    // Called under _lock: frees the executor, or keeps it for work posted meanwhile (true: the caller schedules it).
    private bool ReleaseExecutorLocked()
    {
        var schedule = _work is { Count: > 0 };
        _executorBusy = schedule;
        return schedule;
    }

    void IThreadPoolWorkItem.Execute()
    {
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            for (var n = 0; ; n++)
            {
                WorkItem item;
                lock (_lock)
                {
                    if (_work is null || _work.Count == 0)
                    {
                        _work = null;
                        _executorBusy = false;
                        return;
                    }

                    if (n == MaxItemsPerDispatch)
                    {
                        // Stay busy, but let other work use this thread first.
                        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                        return;
                    }

                    item = _work.Dequeue();
                }

                try
                {
                    if (item.Request is { } request)
                    {
                        StartRequest(request);
                    }
                    else
                    {
                        item.Callback!(item.State);
                    }
                }
#pragma warning disable CA1031 // a failing work item must not kill the scheduler
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Runtime.Logger.WorkItemFailed(e, GrainId);
                }
            }
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    private readonly record struct WorkItem(SendOrPostCallback? Callback, object? State, Message? Request);

    /// <summary>Rarely used parts of an activation, allocated on first use to keep idle activations small.</summary>
    private sealed class ActivationExtras
    {
        public TaskCompletionSource Deactivated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public DeactivationReason? Reason { get; set; }

        public List<IActivationStateParticipant>? States { get; set; }

        public List<GrainTimer>? Timers { get; set; }
    }
}

/// <summary>Something read when the activation starts (persistent state).</summary>
internal interface IActivationStateParticipant
{
    Task ReadStateAsync();
}

internal static partial class ActivationLog
{
    [LoggerMessage(1, LogLevel.Warning, "Activation of {GrainId} failed")]
    public static partial void ActivationFailed(this ILogger logger, Exception exception, GrainId grainId);

    [LoggerMessage(2, LogLevel.Error, "OnDeactivateAsync of {GrainId} failed ({Reason}); the activation was removed anyway")]
    public static partial void DeactivationFailed(this ILogger logger, Exception exception, GrainId grainId, string reason);

    [LoggerMessage(3, LogLevel.Error, "A work item of {GrainId} threw")]
    public static partial void WorkItemFailed(this ILogger logger, Exception exception, GrainId grainId);

    [LoggerMessage(4, LogLevel.Warning, "Response timeout: {Message}")]
    public static partial void ResponseTimedOut(this ILogger logger, string message);

    [LoggerMessage(5, LogLevel.Error, "Timer tick of {GrainId} threw")]
    public static partial void TimerTickFailed(this ILogger logger, Exception exception, GrainId grainId);
}
