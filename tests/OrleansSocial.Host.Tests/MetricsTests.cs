using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>The sum of the series of <paramref name="metric"/> that carry every one of <paramref name="labels"/> (other labels may be present).</summary>
    public static double Sum(Dictionary<string, double> samples, string metric, params (string Name, string Value)[] labels) =>
        samples.Where(s => (s.Key == metric || s.Key.StartsWith(metric + "{", StringComparison.Ordinal))
                && labels.All(l => s.Key.Contains($"{l.Name}=\"{l.Value}\"", StringComparison.Ordinal)))
            .Sum(s => s.Value);

    [GeneratedRegex("""^(?<series>(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})?) (?<value>[-+0-9.eE]+|\+Inf|NaN)( -?[0-9]+)?$""")]
    private static partial Regex Sample();
}

public sealed class MetricsTests(SocialFactory factory) : IClassFixture<SocialFactory>
{
    // A request to /metrics from a client at <paramref name="remote"/> (null: no address, as through a Unix socket).
    internal static async Task<(HttpStatusCode Status, string? ContentType, string Body)> MetricsFromAsync(WebApplicationFactory<Program> host, IPAddress? remote)
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
        Assert.True(PrometheusText.Sum(samples, "orleans_activations_active") > 0, "the silo's activation gauge should be exported");
    }

    [Fact]
    public async Task Our_meters_and_orleans_meters_are_served_under_their_prometheus_names_with_escaped_labels()
    {
        // A meter of the product's own (OrleansSocial.*), made through the host's meter factory as the product's are.
        var meter = factory.Services.GetRequiredService<IMeterFactory>().Create("OrleansSocial.MetricsTest");
        var counter = meter.CreateCounter<long>("test.jobs.done", "{job}", "Jobs finished");
        var upDown = meter.CreateUpDownCounter<int>("test.queue.length");
        var histogram = meter.CreateHistogram<double>("test.job.duration", "ms", "Job time");
        var gaugeValue = 7;
        meter.CreateObservableGauge("test.temperature", () => gaugeValue);
        counter.Add(2, new KeyValuePair<string, object?>("kind", "say \"hi\"\n"));
        counter.Add(3, new KeyValuePair<string, object?>("kind", "say \"hi\"\n"));
        upDown.Add(5);
        upDown.Add(-2);
        histogram.Record(3);
        histogram.Record(200);
        histogram.Record(20_000);
        using var client = factory.CreateClient();
        await client.GetAsync(new Uri("/health/ready", UriKind.Relative)); // the silo is up and has activated grains

        var (status, _, text) = await MetricsFromAsync(factory, IPAddress.Loopback);
        var samples = PrometheusText.Parse(text);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, PrometheusText.Sum(samples, "test_jobs_done_total", ("kind", "say \\\"hi\\\"\\n")));
        Assert.Equal(3, PrometheusText.Sum(samples, "test_queue_length"));
        Assert.Equal(7, PrometheusText.Sum(samples, "test_temperature"));
        Assert.Equal(1, PrometheusText.Sum(samples, "test_job_duration_milliseconds_bucket", ("le", "5")));
        Assert.Equal(2, PrometheusText.Sum(samples, "test_job_duration_milliseconds_bucket", ("le", "250")));
        Assert.Equal(3, PrometheusText.Sum(samples, "test_job_duration_milliseconds_bucket", ("le", "+Inf")));
        Assert.Equal(3, PrometheusText.Sum(samples, "test_job_duration_milliseconds_count"));
        Assert.Equal(20_203, PrometheusText.Sum(samples, "test_job_duration_milliseconds_sum"), 6);
        Assert.True(PrometheusText.Sum(samples, "orleans_activations_active") > 0, "the product's activation gauge should be exported");
        Assert.Contains(samples.Keys, k => k.StartsWith("orleans_grain_", StringComparison.Ordinal) || k.StartsWith("orleans_catalog_", StringComparison.Ordinal));
        Assert.Contains(samples.Keys, k => k.StartsWith("process_runtime_dotnet_", StringComparison.Ordinal) || k.StartsWith("dotnet_", StringComparison.Ordinal));
    }
}
