using OrleansSocial.Runtime.Activation;
using OrleansSocial.Runtime.Messaging;

namespace OrleansSocial.Runtime.Timers;

/// <summary>
/// A grain timer. Each tick is delivered to the activation as a request, so it waits its turn like any call (unless
/// <see cref="GrainTimerCreationOptions.Interleave"/>); the next tick is scheduled only after the previous one completed,
/// so ticks never overlap each other. Stopped when the activation deactivates.
/// </summary>
internal sealed class GrainTimer : IGrainTimer
{
    private readonly ActivationData _activation;
    private readonly Func<object?, CancellationToken, Task> _callback;
    private readonly object? _state;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopped = new();
    private ITimer? _timer;
    private TimeSpan _dueTime;
    private TimeSpan _period;
    private bool _tickRunning;
    private bool _changedDuringTick;
    private bool _disposed;

    public GrainTimer(ActivationData activation, Func<object?, CancellationToken, Task> callback, object? state, GrainTimerCreationOptions options)
    {
        _activation = activation;
        _callback = callback;
        _state = state;
        _dueTime = options.DueTime;
        _period = options.Period;
        Interleave = options.Interleave;
        KeepAlive = options.KeepAlive;
    }

    public bool Interleave { get; }

    public bool KeepAlive { get; }

    public void Start()
    {
        var restore = !ExecutionContext.IsFlowSuppressed();
        var flow = restore ? ExecutionContext.SuppressFlow() : default;
        try
        {
            lock (_lock)
            {
                _timer = _activation.Runtime.Time.CreateTimer(static s => ((GrainTimer)s!).OnDue(), this, _dueTime, Timeout.InfiniteTimeSpan);
            }
        }
        finally
        {
            if (restore)
            {
                flow.Undo();
            }
        }
    }

    public void Change(TimeSpan dueTime, TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, Timeout.InfiniteTimeSpan);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, Timeout.InfiniteTimeSpan);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _dueTime = dueTime;
            _period = period;
            if (_tickRunning)
            {
                // Applied when the running tick ends, so ticks still never overlap.
                _changedDuringTick = true;
            }
            else
            {
                _timer?.Change(dueTime, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void Dispose()
    {
        Stop();
        _activation.RemoveTimer(this);
    }

    /// <summary>Stops the timer without touching the activation's timer list (used during deactivation).</summary>
    internal void Stop()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer?.Dispose();
        }

        _stopped.Cancel();
    }

    private void OnDue()
    {
        lock (_lock)
        {
            if (_disposed || _tickRunning)
            {
                return;
            }

            _tickRunning = true;
        }

        var tick = new Message(_activation.GrainId, null, null, null) { Timer = this };
        if (!_activation.TryEnqueue(tick))
        {
            Stop();
        }
    }

    /// <summary>Runs on the activation, as a turn.</summary>
    internal async Task RunTickAsync()
    {
        try
        {
            if (!_stopped.IsCancellationRequested)
            {
                await _callback(_state, _stopped.Token).ConfigureAwait(true);
            }
        }
#pragma warning disable CA1031 // a failing tick is logged; the timer keeps its schedule, as in Orleans
        catch (Exception e)
#pragma warning restore CA1031
        {
            _activation.Runtime.Logger.TimerTickFailed(e, _activation.GrainId);
        }
        finally
        {
            lock (_lock)
            {
                _tickRunning = false;
                var next = _changedDuringTick ? _dueTime : _period;
                _changedDuringTick = false;
                if (!_disposed && next != Timeout.InfiniteTimeSpan)
                {
                    _timer?.Change(next, Timeout.InfiniteTimeSpan);
                }
            }
        }
    }
}
