using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansSocial.Bench;

/// <summary>
/// <c>./build.sh bench analytics</c>, against one silo + PostgreSQL (<see cref="FrontendBenchServer"/> in its own
/// process, analytics written every second): home timeline pages (20 posts) read by 3,000 readers who each follow 10 of
/// 100 authors, alternately with impression counting off and on (five rounds of each). Every counted read is of a page
/// its reader was not shown before, so each of its 20 posts is a new impression that the viewer's grain records and the
/// silo's buffer writes behind. Prints the impressions recorded per second while counting, and the read rate with
/// counting on over off.
/// </summary>
internal static class AnalyticsBenchmark
{
    private const int Authors = 100;
    private const int Readers = 3_000;
    private const int PerReader = 10;
    private const int PostsEach = 80;
    private const int PageSize = 20;
    private const int Rounds = 5;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan CountingWarmup = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Measure = TimeSpan.FromSeconds(1.5);

    public static async Task<int> RunAsync()
    {
        using var server = await BenchServerProcess.StartAsync("analytics_bench", new Dictionary<string, string> { ["Analytics__FlushInterval"] = "00:00:01" });
        var http = server.Http;
        var users = await server.CreateUsersAsync(Authors + Readers);
        (await http.PostAsync(new Uri(server.Api, $"/bench/follow?perReader={PerReader}&readers={Readers}&authors={Authors}"), null)).EnsureSuccessStatusCode();
        var clock = Stopwatch.StartNew();
        (await http.PostAsync(new Uri(server.Api, $"/bench/posts?count={Authors * PostsEach}&authors={Authors}"), null)).EnsureSuccessStatusCode();
        await server.FannedOutAsync();
        Console.Error.WriteLine($"[bench] {Authors * PostsEach} posts by {Authors} authors fanned out to {Readers} readers in {clock.Elapsed.TotalSeconds:F1} s");

        // Each reader's page cursors, read with counting off (which also loads every timeline grain).
        await SetCountingAsync(server, false);
        clock.Restart();
        var cursors = new string?[Readers][];
        await Parallel.ForEachAsync(Enumerable.Range(0, Readers), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (r, ct) =>
        {
            var pages = new List<string?> { null };
            while (true)
            {
                var path = "/api/v1/timelines/home?limit=" + PageSize + (pages[^1] is { } max ? "&max_id=" + max : "");
                using var response = await http.SendAsync(server.Authorized(HttpMethod.Get, path, users.Tokens[Authors + r]), ct);
                var items = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                if (items.GetArrayLength() < PageSize)
                {
                    break;
                }

                pages.Add(items[PageSize - 1].GetProperty("id").GetString());
            }

            cursors[r] = [.. pages];
        });
        var pool = cursors.Sum(c => c.Length);
        Console.Error.WriteLine($"[bench] {pool} pages of {PageSize} ({pool * PageSize} reader-post pairs) in {clock.Elapsed.TotalSeconds:F1} s");

        HttpRequestMessage Page(int i)
        {
            var reader = i % Readers;
            var pages = cursors[reader];
            var cursor = pages[i / Readers % pages.Length];
            return server.Authorized(HttpMethod.Get, "/api/v1/timelines/home?limit=" + PageSize + (cursor is null ? "" : "&max_id=" + cursor), users.Tokens[Authors + reader]);
        }

        // Counting off: any pages (nothing is recorded). Counting on: pages in order from the first, each shown to its reader
        // for the first time — the reads never run past the pool, or repeats would be counted as cheap.
        var fresh = 0;
        HttpRequestMessage FreshPage(int _) => Page(Interlocked.Increment(ref fresh) - 1);
        await FrontendBenchmark.MeasureRpsAsync(http, Page, Warmup);
        await SetCountingAsync(server, true);
        await FrontendBenchmark.MeasureRpsAsync(http, FreshPage, CountingWarmup);
        var (offRps, onRps, counted, countingTime) = (0.0, 0.0, 0L, TimeSpan.Zero);
        for (var round = 0; round < Rounds; round++)
        {
            await SetCountingAsync(server, false);
            offRps += await FrontendBenchmark.MeasureRpsAsync(http, Page, Measure);
            await SetCountingAsync(server, true);
            var before = await CountedAsync(server);
            var timer = Stopwatch.StartNew();
            onRps += await FrontendBenchmark.MeasureRpsAsync(http, FreshPage, Measure);
            countingTime += timer.Elapsed;
            counted += await CountedAsync(server) - before;
        }

        if (fresh > pool)
        {
            throw new InvalidOperationException($"The counted reads ({fresh}) ran past the {pool} fresh pages: make the pool larger.");
        }

        (offRps, onRps) = (offRps / Rounds, onRps / Rounds);
        Console.WriteLine($"impressions-per-sec: {counted / countingTime.TotalSeconds:F0}     # new impressions recorded while home timelines are read, {PageSize} posts a page (target >= 20000)");
        Console.WriteLine($"timeline-with-impressions-ratio: {onRps / offRps:F2}     # {onRps:F0} home reads/s counting vs {offRps:F0} not (target >= 0.8)");
        Console.Error.WriteLine($"[bench] {fresh} of {pool} fresh pages read while counting");
        return 0;
    }

    private static async Task SetCountingAsync(BenchServerProcess server, bool enabled) =>
        (await server.Http.PostAsync(new Uri(server.Api, $"/bench/analytics?enabled={enabled}"), null)).EnsureSuccessStatusCode();

    private static async Task<long> CountedAsync(BenchServerProcess server) =>
        await server.Http.GetFromJsonAsync<long>(new Uri(server.Api, "/bench/analytics"));
}
