using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansSocial.Bench;

/// <summary>
/// The feeds benchmark of issue 6, against one silo + PostgreSQL (<see cref="FrontendBenchServer"/> in its own process):
/// fan-out of one post to 10,000 followers (rows written and timeline grains told, from the post accepted by its grain
/// to the last follower), the p99 of accepting a post from that author while earlier fan-outs run, and home timeline
/// reads (20 entries, warm) by 1,000 readers who each follow 20 of 100 authors, against a bare Kestrel endpoint.
/// </summary>
internal static class FeedsBenchmark
{
    private const int Authors = 100;
    private const int Readers = 1_000;
    private const int PerReader = 20;
    private const int AuthorPosts = 1_000;
    private const int Followers = 10_000;
    private const int AcceptSamples = 100;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Measure = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync()
    {
        using var server = await BenchServerProcess.StartAsync("feeds_bench");
        var http = server.Http;
        var users = await server.CreateUsersAsync(Authors + Readers + 1);
        var big = Authors + Readers;
        (await http.PostAsync(new Uri(server.Api, $"/bench/follow?perReader={PerReader}&readers={Readers}&authors={Authors}"), null)).EnsureSuccessStatusCode();
        (await http.PostAsync(new Uri(server.Api, $"/bench/followers?author={users.Ids[big]}&count={Followers}"), null)).EnsureSuccessStatusCode();
        var clock = Stopwatch.StartNew();
        var posts = (await (await http.PostAsync(new Uri(server.Api, $"/bench/posts?count={AuthorPosts}&authors={Authors}"), null))
            .Content.ReadFromJsonAsync<Guid[]>())!;
        await server.FannedOutAsync();

        Console.Error.WriteLine($"[bench] {AuthorPosts} posts by {Authors} authors fanned out to {Readers} readers in {clock.Elapsed.TotalSeconds:F1} s");

        async Task<(Guid Id, double Ms)> PostAsync(string text)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(server.Authorized(HttpMethod.Post, "/api/v1/posts", users.Tokens[big], new { text }));
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"POST /posts answered {response.StatusCode}");
            }

            return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid(), ms);
        }

        // One post to 10,000 followers whose timeline grains are not active yet, then one more now that they are.
        var cold = await server.FanoutResultAsync((await PostAsync("to ten thousand followers")).Id);
        var warm = await server.FanoutResultAsync((await PostAsync("to ten thousand followers, again")).Id);

        var accept = new List<double>(AcceptSamples);
        Guid last = default;
        for (var i = 0; i < AcceptSamples; i++)
        {
            var (id, ms) = await PostAsync($"post {i} to many");
            accept.Add(ms);
            last = id;
        }

        accept.Sort();
        var p99 = accept[(int)Math.Ceiling(accept.Count * 0.99) - 1];
        var backlog = Stopwatch.StartNew();
        await server.FanoutResultAsync(last, TimeSpan.FromMinutes(5));
        Console.Error.WriteLine($"[bench] the fan-outs of {AcceptSamples} posts to {Followers} followers drained {backlog.Elapsed.TotalSeconds:F1} s after the last was accepted");

        var helloUri = new Uri(server.Hello, "/hello");
        HttpRequestMessage Hello(int _) => new(HttpMethod.Get, helloUri);
        HttpRequestMessage Home(int i) => server.Authorized(HttpMethod.Get, "/api/v1/timelines/home?limit=20", users.Tokens[Authors + i % Readers]);
        var (helloRps, homeRps) = await FrontendBenchmark.CompareRpsAsync(http, Hello, Home, Warmup, Measure);

        Console.WriteLine($"fanout-10k-followers-ms: {cold.Ms:F0}     # timeline grains not yet active; {warm.Ms:F0} once active (target <= 2000)");
        Console.WriteLine($"fanout-deliveries-per-sec: {cold.Deliveries / (cold.Ms / 1000):F0}     # {warm.Deliveries / (warm.Ms / 1000):F0} once active");
        Console.WriteLine($"home-timeline-read-rps: {homeRps:F0}     # {homeRps / helloRps:F2} x hello (target >= 0.3)");
        Console.WriteLine($"http-hello-rps: {helloRps:F0}");
        Console.WriteLine($"post-accept-p99-ms: {p99:F1}     # {AcceptSamples} posts one after another while their fan-outs run (target <= 50)");
        return 0;
    }
}
