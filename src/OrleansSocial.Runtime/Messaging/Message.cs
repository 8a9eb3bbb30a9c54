using System.Threading.Tasks.Sources;
using OrleansSocial.Runtime.Core;

namespace OrleansSocial.Runtime.Messaging;

/// <summary>
/// A request that could not run at once on the caller's thread: it waits in an activation's queue, or runs asynchronously.
/// The caller awaits the message itself (it is the <see cref="IValueTaskSource{TResult}"/>); a response timeout completes
/// it with <see cref="TimeoutException"/> if the grain does not answer in time. Completion happens exactly once.
/// </summary>
internal sealed class Message : IValueTaskSource<object?>
{
    private ManualResetValueTaskSourceCore<object?> _core = new() { RunContinuationsAsynchronously = true };
    private int _completed;
    private ITimer? _timeoutTimer;

    public Message(GrainId target, GrainMethod? method, object?[]? arguments, CallContext? context)
    {
        Target = target;
        Method = method;
        Arguments = arguments;
        Context = context;
    }

    public GrainId Target { get; }

    /// <summary>The grain method to run, or null for a timer tick or other work.</summary>
    public GrainMethod? Method { get; }

    public object?[]? Arguments { get; }

    /// <summary>The caller's context: its call chain, re-entry permissions and request context values.</summary>
    public CallContext? Context { get; }

    /// <summary>For timer ticks: the timer whose callback is the request.</summary>
    public Timers.GrainTimer? Timer { get; init; }

    /// <summary>For work delivered to a grain as a turn (stream events): the work to run.</summary>
    public Func<Task>? Work { get; init; }

    /// <summary>When the caller stops waiting (timestamp of the silo's <see cref="TimeProvider"/>); 0 for none.</summary>
    public long Deadline { get; set; }

    /// <summary>How long the caller waits for the response; null for the silo's <c>ResponseTimeout</c>.</summary>
    public TimeSpan? ResponseTimeout { get; init; }

    /// <summary>The time left before the deadline, for sending along with the request; null when there is none.</summary>
    public TimeSpan? Remaining(TimeProvider time) =>
        Deadline == 0 ? null : TimeSpan.FromSeconds((Deadline - time.GetTimestamp()) / (double)time.TimestampFrequency);

    /// <summary>How many silos forwarded the message because they did not own its target.</summary>
    public int Hops { get; init; }

    /// <summary>How many times the message was re-routed because its activation went away before running it.</summary>
    public int Forwards { get; set; }

    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    public bool Interleaves => Method is not null && (Method.Flags & InvokeFlags.AlwaysInterleave) != 0
        || Timer is not null && Timer.Interleave;

    public bool IsReadOnly => Method is not null && (Method.Flags & InvokeFlags.ReadOnly) != 0;

    public ValueTask<object?> AsValueTask() => new(this, _core.Version);

    /// <summary>Arms the response timeout. Called once, when the message is about to be awaited asynchronously.</summary>
    public void StartTimeout(TimeProvider time, TimeSpan timeout, Action<Message>? onTimeout)
    {
        // Armed once: a message re-routed to a new activation keeps its original deadline.
        if (timeout == Timeout.InfiniteTimeSpan || IsCompleted || Deadline != 0)
        {
            return;
        }

        Deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        var restore = !ExecutionContext.IsFlowSuppressed();
        var flow = restore ? ExecutionContext.SuppressFlow() : default;
        try
        {
            _timeoutTimer = time.CreateTimer(static state =>
            {
                var (message, callback, timeout) = ((Message, Action<Message>?, TimeSpan))state!;
                if (message.TrySetException(new TimeoutException(
                        $"Response did not arrive on time: {message.Describe()} got no answer within {timeout}.")))
                {
                    callback?.Invoke(message);
                }
            }, (this, onTimeout, timeout), timeout, Timeout.InfiniteTimeSpan);
        }
        finally
        {
            if (restore)
            {
                flow.Undo();
            }
        }

        if (IsCompleted)
        {
            _timeoutTimer.Dispose();
        }
    }

    public bool IsExpired(TimeProvider time) => Deadline != 0 && time.GetTimestamp() >= Deadline;

    public bool TrySetResult(object? result) => TrySetResult(result, inlineContinuation: false);

    /// <summary>
    /// Completes the message. With <paramref name="inlineContinuation"/> a caller that captured no scheduling context
    /// continues on this thread (saving a thread-pool hop); only pass it where running arbitrary caller code is safe:
    /// outside every activation's turn and outside the transport's reader loops.
    /// </summary>
    public bool TrySetResult(object? result, bool inlineContinuation)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }

        _core.RunContinuationsAsynchronously = !inlineContinuation;

        _timeoutTimer?.Dispose();
        _core.SetResult(result);
        return true;
    }

    public bool TrySetException(Exception exception) => TrySetException(exception, inlineContinuation: false);

    /// <summary>Fails the message; see <see cref="TrySetResult(object?, bool)"/> for <paramref name="inlineContinuation"/>.</summary>
    public bool TrySetException(Exception exception, bool inlineContinuation)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }

        _core.RunContinuationsAsynchronously = !inlineContinuation;

        _timeoutTimer?.Dispose();
        _core.SetException(exception);
        return true;
    }

    public string Describe() => Method is not null ? $"{Method.Name} on {Target}" : Timer is not null ? $"a timer tick of {Target}" : $"work for {Target}";

    public override string ToString() => Describe();

    object? IValueTaskSource<object?>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<object?>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<object?>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
