using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Api.Infrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>A strict reader of the Prometheus text format, enough to check what /metrics serves.</summary>
internal static partial class PrometheusText
{
    public static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram" });
                Assert.True(types.TryAdd(parts[2], parts[3]), $"TYPE given twice for {parts[2]}");
                continue;
            }

            if (line.StartsWith('#'))
            {
                Assert.StartsWith("# HELP ", line, StringComparison.Ordinal);
                continue;
            }

            var match = Sample().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            Assert.True(types.Keys.Any(t => match.Groups["name"].Value.StartsWith(t, StringComparison.Ordinal)), $"no TYPE before {line}");
            samples[match.Groups["series"].Value] = match.Groups["value"].Value == "+Inf"
                ? double.PositiveInfinity
                : double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return samples;
    }

    [GeneratedRegex("""^(?<series>(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})?) (?<value>[-+0-9.eE]+|\+Inf|NaN)$""")]
    private static partial Regex Sample();
}

public sealed class MetricsTests(SocialFactory factory) : IClassFixture<SocialFactory>
{
    // A request to /metrics from a client at <paramref name="remote"/> (null: no address, as through a Unix socket).
    private static async Task<(HttpStatusCode Status, string? ContentType, string Body)> MetricsFromAsync(WebApplicationFactory<Program> host, IPAddress? remote)
    {
        var context = await host.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = "/metrics";
            c.Connection.RemoteIpAddress = remote;
        });
        using var reader = new StreamReader(context.Response.Body);
        return ((HttpStatusCode)context.Response.StatusCode, context.Response.ContentType, await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Metrics_are_served_only_to_clients_of_the_allowed_networks()
    {
        await using var operatorNetwork = factory.WithWebHostBuilder(b => b.UseSetting("Api:MetricsAllowedNetworks:0", "10.0.0.0/8"));

        var outsider = await MetricsFromAsync(factory, IPAddress.Parse("203.0.113.7"));
        var noAddress = await MetricsFromAsync(factory, null);
        var mappedLoopback = await MetricsFromAsync(factory, IPAddress.Loopback.MapToIPv6());
        var prometheus = await MetricsFromAsync(operatorNetwork, IPAddress.Parse("10.1.2.3"));
        var loopbackNoLongerListed = await MetricsFromAsync(operatorNetwork, IPAddress.Loopback);

        Assert.Equal(HttpStatusCode.NotFound, outsider.Status);
        Assert.DoesNotContain("http_server", outsider.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, noAddress.Status);
        Assert.Equal(HttpStatusCode.OK, mappedLoopback.Status);
        Assert.Equal(HttpStatusCode.OK, prometheus.Status);
        Assert.Equal(HttpStatusCode.NotFound, loopbackNoLongerListed.Status);
    }

    [Fact]
    public async Task Metrics_parse_as_prometheus_text_and_count_http_requests_by_route_and_status()
    {
        using var client = factory.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        }

        var (status, contentType, text) = await MetricsFromAsync(factory, IPAddress.Loopback);
        var samples = PrometheusText.Parse(text);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/plain", contentType?.Split(';')[0]);
        var liveCount = samples.Where(s => s.Key.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal)
            && s.Key.Contains("http_route=\"/health/live\"", StringComparison.Ordinal)
            && s.Key.Contains("http_response_status_code=\"200\"", StringComparison.Ordinal)).Sum(s => s.Value);
        Assert.True(liveCount >= 3, $"expected at least 3 requests to /health/live, metrics said {liveCount}:\n{text}");
        Assert.True(samples.ContainsKey("orleans_activations_active"), "the runtime's gauge should be exported");
    }

    [Fact]
    public void The_exporter_renders_counters_gauges_and_histograms_with_escaped_labels()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusExporter(meterFactory, ["Test"]);
        var meter = meterFactory.Create("Test.Meter");
        var counter = meter.CreateCounter<long>("jobs.done", "{job}", "Jobs finished");
        var upDown = meter.CreateUpDownCounter<int>("queue.length");
        var histogram = meter.CreateHistogram<double>("job.duration", "s", "Job time");
        var gaugeValue = 7;
        meter.CreateObservableGauge("temperature", () => gaugeValue);

        counter.Add(2, new KeyValuePair<string, object?>("kind", "say \"hi\"\n"));
        counter.Add(3, new KeyValuePair<string, object?>("kind", "say \"hi\"\n"));
        upDown.Add(5);
        upDown.Add(-2);
        histogram.Record(0.003);
        histogram.Record(0.2);
        histogram.Record(20);
        var samples = PrometheusText.Parse(exporter.Collect());

        Assert.Equal(5, samples["jobs_done_total{kind=\"say \\\"hi\\\"\\n\"}"]);
        Assert.Equal(3, samples["queue_length"]);
        Assert.Equal(7, samples["temperature"]);
        Assert.Equal(1, samples["job_duration_seconds_bucket{le=\"0.005\"}"]);
        Assert.Equal(2, samples["job_duration_seconds_bucket{le=\"0.25\"}"]);
        Assert.Equal(3, samples["job_duration_seconds_bucket{le=\"+Inf\"}"]);
        Assert.Equal(3, samples["job_duration_seconds_count"]);
        Assert.Equal(20.203, samples["job_duration_seconds_sum"], 6);
    }

    [Fact]
    public void Tag_values_alike_in_length_and_most_characters_are_kept_as_separate_series()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusExporter(meterFactory, ["Test"]);
        var counter = meterFactory.Create("Test.Meter").CreateCounter<long>("requests");

        // The series index looks at a few characters of each tag: these differ only where it does not look.
        foreach (var route in new[] { "aXbcd", "aYbcd", "aXbcd", "aZbcd", "aXbcd" })
        {
            counter.Add(1, new KeyValuePair<string, object?>("route", route));
        }

        var samples = PrometheusText.Parse(exporter.Collect());

        Assert.Equal(3, samples["requests_total{route=\"aXbcd\"}"]);
        Assert.Equal(1, samples["requests_total{route=\"aYbcd\"}"]);
        Assert.Equal(1, samples["requests_total{route=\"aZbcd\"}"]);
    }

    [Fact]
    public void Measurements_recorded_from_many_threads_at_once_are_all_counted()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusExporter(meterFactory, ["Test"]);
        var meter = meterFactory.Create("Test.Meter");
        var counter = meter.CreateCounter<long>("calls");
        var histogram = meter.CreateHistogram<double>("call.duration", "ms");

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counter.Add(1);
                histogram.Record(i % 2 == 0 ? 0.5 : 3);
            }
        });
        var samples = PrometheusText.Parse(exporter.Collect());

        Assert.Equal(80_000, samples["calls_total"]);
        Assert.Equal(80_000, samples["call_duration_milliseconds_count"]);
        Assert.Equal(40_000, samples["call_duration_milliseconds_bucket{le=\"1\"}"]);
        Assert.Equal(80_000, samples["call_duration_milliseconds_bucket{le=\"5\"}"]);
        Assert.Equal(40_000 * 0.5 + 40_000 * 3, samples["call_duration_milliseconds_sum"], 6);
    }
}
