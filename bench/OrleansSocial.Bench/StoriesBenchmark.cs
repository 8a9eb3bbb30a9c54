using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansSocial.Bench;

/// <summary>
/// <c>./build.sh bench stories</c>, against one silo + PostgreSQL + the local media store (<see cref="FrontendBenchServer"/>
/// in its own process): story trays of readers who each follow 200 accounts, 50 of them with live stories (two each),
/// against a bare Kestrel endpoint in the same run; then story views — every reader viewing every story, each view a
/// <c>POST /api/v1/stories/{id}/view</c> — per second.
/// </summary>
internal static class StoriesBenchmark
{
    private const int Followed = 200;
    private const int WithStories = 50;
    private const int StoriesEach = 2;
    private const int Readers = 400;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Measure = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync()
    {
        var store = Directory.CreateTempSubdirectory("bench-stories-").FullName;
        var temp = Directory.CreateTempSubdirectory("bench-story-uploads-").FullName;
        try
        {
            using var server = await BenchServerProcess.StartAsync("stories_bench", new Dictionary<string, string>
            {
                ["Media__LocalPath"] = store,
                ["Media__TempDirectory"] = temp,
                ["Api__RateLimit__UploadsPerMinutePerUser"] = "100000000",
            });
            var http = server.Http;
            var users = await server.CreateUsersAsync(Followed + Readers);
            var (authors, readers) = (users.Ids[..Followed], users.Ids[Followed..]);
            (await http.PostAsJsonAsync(new Uri(server.Api, "/bench/graph"), new BenchFollows(
                [.. readers.SelectMany(r => Enumerable.Repeat(r, Followed))], [.. readers.SelectMany(_ => authors)]))).EnsureSuccessStatusCode();

            var clock = Stopwatch.StartNew();
            var photo = MediaBenchmark.Photo(720, 1280, seed: 7);
            var stories = new string[WithStories * StoriesEach];
            await Parallel.ForEachAsync(Enumerable.Range(0, stories.Length), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                var token = users.Tokens[i / StoriesEach * (Followed / WithStories)]; // every fourth followed account
                var media = await MediaBenchmark.ProcessedAsync(server, token, await MediaBenchmark.UploadAsync(server, token, photo));
                using var posted = await http.SendAsync(server.Authorized(HttpMethod.Post, "/api/v1/stories", token,
                    new { media_id = media.GetProperty("id").GetString(), caption = $"story {i}" }), ct);
                if (posted.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"POST /stories answered {(int)posted.StatusCode}: {await posted.Content.ReadAsStringAsync(ct)}");
                }

                stories[i] = (await posted.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!;
            });
            Console.Error.WriteLine($"[bench] {Readers} readers following {Followed} accounts, {stories.Length} stories by {WithStories} of them, in {clock.Elapsed.TotalSeconds:F0} s");

            using (var check = await http.SendAsync(server.Authorized(HttpMethod.Get, "/api/v1/stories/tray", users.Tokens[Followed])))
            {
                var tray = await check.Content.ReadFromJsonAsync<JsonElement>();
                if (tray.GetArrayLength() != WithStories || tray.EnumerateArray().Any(e => e.GetProperty("stories").GetArrayLength() != StoriesEach))
                {
                    throw new InvalidOperationException($"A reader's tray has {tray.GetArrayLength()} accounts, not {WithStories} with {StoriesEach} stories each.");
                }
            }

            var helloUri = new Uri(server.Hello, "/hello");
            HttpRequestMessage Hello(int _) => new(HttpMethod.Get, helloUri);
            HttpRequestMessage Tray(int i) => server.Authorized(HttpMethod.Get, "/api/v1/stories/tray", users.Tokens[Followed + i % Readers]);
            var (helloRps, trayRps) = await FrontendBenchmark.CompareRpsAsync(http, Hello, Tray, Warmup, Measure);

            // Reader i % Readers views story (i / Readers) % stories; the measured run starts half-way through the pairs, so
            // most of its views are first views (a repeat costs the same path and records nothing).
            HttpRequestMessage View(int i) => server.Authorized(HttpMethod.Post, $"/api/v1/stories/{stories[i / Readers % stories.Length]}/view",
                users.Tokens[Followed + i % Readers]);
            await FrontendBenchmark.MeasureRpsAsync(http, View, Warmup);
            var viewsPerSecond = await FrontendBenchmark.MeasureRpsAsync(http, i => View(i + Readers * stories.Length / 2), Measure);
            using var counted = await http.SendAsync(server.Authorized(HttpMethod.Get, $"/api/v1/stories/{stories[0]}", users.Tokens[0]));
            var views = (await counted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("views_count").GetInt64();

            Console.WriteLine($"story-tray-rps: {trayRps:F0}     # {WithStories} of {Followed} followed accounts with {StoriesEach} live stories each; {trayRps / helloRps:F2} x hello");
            Console.WriteLine($"story-tray-ratio: {trayRps / helloRps:F2}     # (target >= 0.2)");
            Console.WriteLine($"http-hello-rps: {helloRps:F0}");
            Console.WriteLine($"story-views-per-sec: {viewsPerSecond:F0}     # POST /stories/{{id}}/view by followers, {Readers} readers x {stories.Length} stories (target >= 3000)");
            Console.Error.WriteLine($"[bench] the first story counts {views.ToString(CultureInfo.InvariantCulture)} views (at most {Readers})");
            return 0;
        }
        finally
        {
            Directory.Delete(store, recursive: true);
            Directory.Delete(temp, recursive: true);
        }
    }
}
