namespace OrleansSocial.Runtime;

/// <summary>How a grain timer ticks.</summary>
public readonly struct GrainTimerCreationOptions
{
    public GrainTimerCreationOptions()
    {
    }

    public GrainTimerCreationOptions(TimeSpan dueTime, TimeSpan period)
    {
        DueTime = dueTime;
        Period = period;
    }

    /// <summary>Time until the first tick.</summary>
    public TimeSpan DueTime { get; init; }

    /// <summary>Time between the end of one tick and the start of the next; <see cref="Timeout.InfiniteTimeSpan"/> for one tick.</summary>
    public TimeSpan Period { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Ticks may interleave with requests (like <see cref="AlwaysInterleaveAttribute"/>). Default: ticks wait their turn.</summary>
    public bool Interleave { get; init; }

    /// <summary>Ticks count as activity, so a ticking timer keeps the activation from idle collection.</summary>
    public bool KeepAlive { get; init; }
}

/// <summary>A registered grain timer.</summary>
public interface IGrainTimer : IDisposable
{
    /// <summary>Reschedules the timer.</summary>
    void Change(TimeSpan dueTime, TimeSpan period);
}
