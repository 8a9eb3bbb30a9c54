namespace OrleansSocial.Diagnostics;

/// <summary>
/// Lets something happen at most once per interval, however many threads ask (a warning logged once per outage instead
/// of once per request).
/// </summary>
public sealed class OncePer(TimeSpan interval, TimeProvider time)
{
    private long _lastAt = long.MinValue;

    /// <summary>True for the first caller, then for the first caller after each interval.</summary>
    public bool Now()
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastAt);
        return (last == long.MinValue || time.GetElapsedTime(last, now) >= interval) && Interlocked.CompareExchange(ref _lastAt, now, last) == last;
    }
}
