using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace OrleansSocial.Api.Infrastructure;

/// <summary>
/// Collects the application's System.Diagnostics.Metrics instruments and renders them in the Prometheus text
/// exposition format (0.0.4): counters as <c>_total</c>, up-down counters and gauges as gauges, histograms as
/// cumulative <c>_bucket</c>/<c>_sum</c>/<c>_count</c>. Only meters created through this application's
/// <see cref="IMeterFactory"/> are collected, so several hosts in one process (tests) do not mix their figures.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] MillisecondsBuckets = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
    private static readonly double[] DefaultBuckets = [1, 5, 10, 50, 100, 500, 1000, 5000, 10000];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();
    private readonly Lock _collectLock = new();

    public PrometheusExporter(IMeterFactory meterFactory, IEnumerable<string> meterNamePrefixes)
    {
        var prefixes = meterNamePrefixes.ToArray();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meterFactory)
                && prefixes.Any(p => instrument.Meter.Name.StartsWith(p, StringComparison.Ordinal)))
            {
                var state = new InstrumentState(instrument);
                _instruments[instrument] = state;
                listener.EnableMeasurementEvents(instrument, state);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out InstrumentState? removed);
        // Each measurement arrives with the state its instrument was enabled with: no lookup per measurement.
        _listener.SetMeasurementEventCallback<long>((_, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>((_, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<double>((_, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<float>((_, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.Start();
    }

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Renders every collected series.</summary>
    public string Collect()
    {
        lock (_collectLock)
        {
            // Observable instruments report their current value now; the callbacks land in Record.
            foreach (var state in _instruments.Values.Where(s => s.IsObservable))
            {
                state.ClearLastValues();
            }

            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var group in _instruments.Values.GroupBy(s => s.MetricName).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var first = group.First();
                text.Append("# HELP ").Append(group.Key).Append(' ').Append(EscapeHelp(first.Instrument.Description ?? first.Instrument.Name)).Append('\n');
                text.Append("# TYPE ").Append(group.Key).Append(' ').Append(first.Kind).Append('\n');
                foreach (var state in group)
                {
                    state.Write(text);
                }
            }

            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    internal static string MetricName(Instrument instrument)
    {
        var name = new StringBuilder();
        foreach (var c in instrument.Name)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':' ? c : '_');
        }

        var suffix = instrument.Unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            _ => "",
        };
        if (suffix.Length > 0 && !name.ToString().EndsWith(suffix, StringComparison.Ordinal))
        {
            name.Append(suffix);
        }

        if (IsCounter(instrument))
        {
            name.Append("_total");
        }

        return name.ToString();
    }

    private static bool IsCounter(Instrument instrument)
    {
        var type = instrument.GetType();
        return type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Counter<>) || type.GetGenericTypeDefinition() == typeof(ObservableCounter<>));
    }

    private static string EscapeHelp(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string EscapeLabel(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string LabelName(string key)
    {
        var name = new StringBuilder();
        foreach (var c in key)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return name.ToString();
    }

    private static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private sealed class InstrumentState(Instrument instrument)
    {
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);

        // Measurements come with the same few tag sets over and over (one per route and status, say): finding the
        // series by a hash of the tags avoids building the label string on every HTTP request.
        private readonly ConcurrentDictionary<int, TaggedSeries[]> _byTags = new();

        // The series of measurements without tags (the runtime's per-call figures): found without hashing.
        private Series? _untagged;

        public Instrument Instrument { get; } = instrument;

        public string MetricName { get; } = PrometheusExporter.MetricName(instrument);

        public bool IsObservable { get; } = instrument.IsObservable;

        public bool IsHistogram { get; } = instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() == typeof(Histogram<>);

        public string Kind => IsHistogram ? "histogram" : IsCounter(Instrument) ? "counter" : "gauge";

        // Counters and up-down counters report increments (summed here); observable instruments and gauges report the
        // current value. Decided once: Record runs on every measurement, e.g. every HTTP request.
        private bool Accumulates { get; } = !instrument.IsObservable && (IsCounter(instrument)
            || instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() == typeof(UpDownCounter<>));

        private double[] Buckets { get; } = instrument.Unit switch
        {
            "s" => SecondsBuckets,
            "ms" => MillisecondsBuckets,
            _ => DefaultBuckets,
        };

        public void ClearLastValues()
        {
            _byTags.Clear();
            _series.Clear();
            _untagged = null;
        }

        // Runs on every measurement (every grain call, every HTTP request), from many threads at once: no lock, only
        // interlocked updates of this processor's stripe of the series. A histogram counts each value in its own
        // bucket; the cumulative buckets are summed when written.
        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var series = tags.Length == 0 ? _untagged ?? (_untagged = Find(tags)) : Find(tags);
            if (IsHistogram)
            {
                var buckets = Buckets;
                var at = 0;
                while (at < buckets.Length && value > buckets[at])
                {
                    at++;
                }

                series.Observe(at, value);
            }
            else if (Accumulates)
            {
                series.Add(value);
            }
            else
            {
                Volatile.Write(ref series.LastValue, value);
            }
        }

        public void Write(StringBuilder text)
        {
            foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                if (!IsHistogram)
                {
                    Line(text, MetricName, labels, Accumulates ? series.Total : Volatile.Read(ref series.LastValue));
                    continue;
                }

                var buckets = Buckets;
                long cumulative = 0;
                for (var i = 0; i < buckets.Length; i++)
                {
                    cumulative += series.Count(i);
                    Line(text, MetricName + "_bucket", Join(labels, $"le=\"{Format(buckets[i])}\""), cumulative);
                }

                // +Inf and _count from the same reads, so they always agree.
                cumulative += series.Count(buckets.Length);
                Line(text, MetricName + "_bucket", Join(labels, "le=\"+Inf\""), cumulative);
                Line(text, MetricName + "_sum", labels, series.Total);
                Line(text, MetricName + "_count", labels, cumulative);
            }
        }

        private static void Line(StringBuilder text, string name, string labels, double value)
        {
            text.Append(name);
            if (labels.Length > 0)
            {
                text.Append('{').Append(labels).Append('}');
            }

            text.Append(' ').Append(Format(value)).Append('\n');
        }

        private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

        private Series Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var code = 0;
            foreach (var (key, value) in tags)
            {
                code = HashCode.Combine(code, QuickHash(key), value is string text ? QuickHash(text) : value?.GetHashCode() ?? 0);
            }

            if (_byTags.TryGetValue(code, out var known))
            {
                foreach (var candidate in known)
                {
                    if (candidate.Matches(tags))
                    {
                        return candidate.Series;
                    }
                }
            }

            var series = _series.GetOrAdd(Labels(tags), _ => new Series(IsHistogram ? Buckets.Length + 1 : 0));
            var entry = new TaggedSeries(tags.ToArray(), series);
            _byTags.AddOrUpdate(code, [entry], (_, existing) => [.. existing, entry]);
            return series;
        }

        // A few characters and the length, not every character: the index only narrows the candidates down, and
        // Matches compares them in full.
        private static int QuickHash(string text) =>
            text.Length == 0 ? 0 : HashCode.Combine(text.Length, text[0], text[text.Length / 2], text[^1], text[(text.Length * 3) / 4]);

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0)
            {
                return "";
            }

            var pairs = new List<string>(tags.Length);
            foreach (var (key, value) in tags)
            {
                pairs.Add($"{LabelName(key)}=\"{EscapeLabel(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")}\"");
            }

            pairs.Sort(StringComparer.Ordinal);
            return string.Join(',', pairs);
        }
    }

    private sealed class TaggedSeries(KeyValuePair<string, object?>[] tags, Series series)
    {
        public Series Series { get; } = series;

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> other)
        {
            if (other.Length != tags.Length)
            {
                return false;
            }

            for (var i = 0; i < tags.Length; i++)
            {
                if (!string.Equals(tags[i].Key, other[i].Key, StringComparison.Ordinal) || !Equals(tags[i].Value, other[i].Value))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// One series' figures. What accumulates (a counter's total, a histogram's sum and bucket counts) is kept in one
    /// stripe per processor, the stripes a few cache lines apart, and summed when read: every grain call and HTTP
    /// request records here from all cores at once, and one shared cell would move between their caches on each.
    /// Bucket i counts values in (bucket i-1, bucket i]; the last one counts values above every bucket.
    /// </summary>
    private sealed class Series
    {
        private const int Spacing = 16; // 128 bytes between stripes of the totals
        private static readonly int Stripes = Math.Clamp(Environment.ProcessorCount, 1, 64);

        private readonly double[] _totals = new double[Stripes * Spacing];
        private readonly long[] _counts;
        private readonly int _countStride;

        public Series(int buckets)
        {
            // At least 64 bytes between the last count of one stripe and the first of the next.
            _countStride = buckets == 0 ? 0 : (buckets + 7) / 8 * 8 + 8;
            _counts = new long[Stripes * _countStride];
        }

        /// <summary>The last value of a gauge or observable instrument.</summary>
        public double LastValue;

        public double Total
        {
            get
            {
                var total = 0.0;
                for (var stripe = 0; stripe < Stripes; stripe++)
                {
                    total += Volatile.Read(ref _totals[stripe * Spacing]);
                }

                return total;
            }
        }

        public long Count(int bucket)
        {
            long count = 0;
            for (var stripe = 0; stripe < Stripes; stripe++)
            {
                count += Volatile.Read(ref _counts[stripe * _countStride + bucket]);
            }

            return count;
        }

        public void Add(double value) => AddTo(ref _totals[Stripe * Spacing], value);

        public void Observe(int bucket, double value)
        {
            var stripe = Stripe;
            Interlocked.Increment(ref _counts[stripe * _countStride + bucket]);
            AddTo(ref _totals[stripe * Spacing], value);
        }

        private static int Stripe => Thread.GetCurrentProcessorId() % Stripes;

        private static void AddTo(ref double target, double value)
        {
            var seen = Volatile.Read(ref target);
            while (true)
            {
                var found = Interlocked.CompareExchange(ref target, seen + value, seen);
                if (found.Equals(seen))
                {
                    return;
                }

                seen = found;
            }
        }
    }
}
