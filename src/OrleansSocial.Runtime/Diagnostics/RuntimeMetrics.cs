using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansSocial.Runtime.Diagnostics;

/// <summary>
/// The runtime's instruments on the <c>OrleansSocial.Runtime</c> meter: active activations, calls, call duration,
/// failures, response timeouts, and stream events published, delivered and dropped (by provider). Recording is skipped when nobody listens, so the fast call path pays almost nothing.
/// </summary>
internal sealed class RuntimeMetrics
{
    public const string MeterName = "OrleansSocial.Runtime";

    // Calls are counted per processor (a cache line each) and summed when the counter is observed: the call path is the
    // runtime's hottest, and a measurement per call would go through every listener.
    private const int CallStripeSpacing = 8;
    private readonly long[] _calls = new long[Environment.ProcessorCount * CallStripeSpacing];
    private readonly Counter<long> _failures;
    private readonly Counter<long> _timeouts;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _streamPublished;
    private readonly Counter<long> _streamDelivered;
    private readonly Counter<long> _streamDropped;
    private long _activations;

    public RuntimeMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableUpDownCounter("orleans.activations.active", () => Volatile.Read(ref _activations), "{activation}",
            "Grain activations currently in this silo.");
        meter.CreateObservableCounter("orleans.calls", CallCount, "{call}", "Grain calls made through grain references.");
        _failures = meter.CreateCounter<long>("orleans.call.failures", "{call}", "Grain requests that ended with an exception.");
        _timeouts = meter.CreateCounter<long>("orleans.call.timeouts", "{call}", "Grain calls whose response did not arrive in time.");
        _duration = meter.CreateHistogram<double>("orleans.call.duration", "ms", "Time a grain request ran, from start to completion.");
        _streamPublished = meter.CreateCounter<long>("orleans.streams.published", "{event}", "Events this process published on streams.");
        _streamDelivered = meter.CreateCounter<long>("orleans.streams.delivered", "{event}", "Stream events handed to this process's subscribers.");
        _streamDropped = meter.CreateCounter<long>("orleans.streams.dropped", "{event}",
            "Stream events a subscriber of this process lost: its queue was full, the event could not be read, or the subscriber threw.");
    }

    public void RecordStreamPublished(string provider) => _streamPublished.Add(1, new KeyValuePair<string, object?>("provider", provider));

    public void RecordStreamDelivered(string provider) => _streamDelivered.Add(1, new KeyValuePair<string, object?>("provider", provider));

    public void RecordStreamDropped(string provider) => _streamDropped.Add(1, new KeyValuePair<string, object?>("provider", provider));

    public long ActiveActivations => Volatile.Read(ref _activations);

    public bool DurationEnabled => _duration.Enabled;

    public void ActivationCreated() => Interlocked.Increment(ref _activations);

    public void ActivationRemoved() => Interlocked.Decrement(ref _activations);

    public void RecordCall() => Interlocked.Increment(ref _calls[Thread.GetCurrentProcessorId() % Environment.ProcessorCount * CallStripeSpacing]);

    private long CallCount()
    {
        long total = 0;
        for (var i = 0; i < _calls.Length; i += CallStripeSpacing)
        {
            total += Volatile.Read(ref _calls[i]);
        }

        return total;
    }

    public void RecordFailure() => _failures.Add(1);

    public void RecordTimeout() => _timeouts.Add(1);

    public void RecordDuration(long startTimestamp, long endTimestamp) =>
        _duration.Record(Stopwatch.GetElapsedTime(startTimestamp, endTimestamp).TotalMilliseconds);
}
