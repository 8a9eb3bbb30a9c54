using System.Diagnostics;
using System.Net.Http.Json;
using Npgsql;

namespace OrleansSocial.Bench;

/// <summary>
/// The social benchmark of issue 5, against one silo + PostgreSQL (<see cref="FrontendBenchServer"/> in its own
/// process): likes over HTTP on 10,000 posts by 100 authors from 1,000 users (every request a new (user, post) pair, so
/// each one inserts a like row, bumps the counter and notifies the author), the same like rows inserted by a plain
/// Npgsql loop at the same concurrency (the limit), reads of posts hot in their grains, and a bare Kestrel endpoint.
/// </summary>
internal static class SocialBenchmark
{
    private const int Users = 1_000;
    private const int Posts = 10_000;
    private const int Authors = 100;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Measure = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync()
    {
        using var server = await BenchServerProcess.StartAsync("social_bench");
        var http = server.Http;
        var users = await server.CreateUsersAsync(Users);
        var clock = Stopwatch.StartNew();
        var postsResponse = await http.PostAsync(new Uri(server.Api, $"/bench/posts?count={Posts}&authors={Authors}"), null);
        postsResponse.EnsureSuccessStatusCode();
        var posts = (await postsResponse.Content.ReadFromJsonAsync<Guid[]>())!;
        Console.Error.WriteLine($"[bench] {Posts} posts created through their grains in {clock.Elapsed.TotalSeconds:F1} s");
        // Their fan-outs (to their authors' profile timelines) run after the posts are accepted: the measurements start
        // once they are done, so that what is measured is reads and likes, not the rest of the setup.
        await server.FannedOutAsync();
        Console.Error.WriteLine($"[bench] and fanned out {clock.Elapsed.TotalSeconds:F1} s after the first was created");

        var helloUri = new Uri(server.Hello, "/hello");
        HttpRequestMessage Hello(int _) => new(HttpMethod.Get, helloUri);
        // Pair n is (post n % 10,000, user n / 10,000 % 1,000): consecutive requests go to different posts, and pairs are
        // unique for ten million requests. Warm-up and measurement use
        // separate ranges, and the raw loop a third, so every request inserts a new row.
        var next = 0L;
        HttpRequestMessage Like(int _)
        {
            var n = Interlocked.Increment(ref next);
            return server.Authorized(HttpMethod.Post, $"/api/v1/posts/{posts[n % Posts]}/like", users.Tokens[(int)(n / Posts % Users)]);
        }

        HttpRequestMessage Read(int i) => server.Authorized(HttpMethod.Get, $"/api/v1/posts/{posts[i * 7919 % Posts]}", users.Tokens[i % Users]);

        var (helloRps, readRps) = await FrontendBenchmark.CompareRpsAsync(http, Hello, Read, Warmup, Measure);
        await FrontendBenchmark.MeasureRpsAsync(http, Like, Warmup);
        var likeRps = await FrontendBenchmark.MeasureRpsAsync(http, Like, Measure);
        var rawRps = await RawInsertsAsync(server.ConnectionString, users.Ids, posts, start: 5_000_000);

        Console.WriteLine($"like-rps: {likeRps:F0}     # {likeRps / rawRps:F2} x pg-insert (target >= 0.5)");
        Console.WriteLine($"pg-insert-rps: {rawRps:F0}");
        Console.WriteLine($"post-read-rps: {readRps:F0}     # {readRps / helloRps:F2} x hello (target >= 0.5)");
        Console.WriteLine($"http-hello-rps: {helloRps:F0}");
        return 0;
    }

    // The same rows a like writes, by a plain loop: one INSERT per like, 64 at a time, pool of 64.
    private static async Task<double> RawInsertsAsync(string connectionString, long[] userIds, Guid[] posts, long start)
    {
        await using var db = NpgsqlDataSource.Create(connectionString + $";Maximum Pool Size={FrontendBenchmark.Concurrency}");
        var next = start;
        long done = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, FrontendBenchmark.Concurrency).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < Measure)
            {
                var n = Interlocked.Increment(ref next);
                await using var command = db.CreateCommand("INSERT INTO likes (post_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING");
                command.Parameters.Add(new NpgsqlParameter { Value = posts[n % posts.Length] });
                command.Parameters.Add(new NpgsqlParameter { Value = userIds[n / posts.Length % userIds.Length] });
                await command.ExecuteNonQueryAsync();
                Interlocked.Increment(ref done);
            }
        })));
        return done / clock.Elapsed.TotalSeconds;
    }
}
