using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansSocial.Api;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Grains;
using OrleansSocial.Realtime;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Bench;

/// <summary>Users the benchmark server created: their access tokens and ids, in the same order.</summary>
public sealed record BenchUsers(List<string> Tokens, long[] Ids);

/// <summary>Follow pairs: <c>Followers[i]</c> follows <c>Followees[i]</c>.</summary>
public sealed record BenchFollows(long[] Followers, long[] Followees);

/// <summary>Publishes one event on its user's stream, stamped with the time it was published (Unix ms).</summary>
public interface IBenchNotifierGrain : IGrainWithIntegerKey
{
    Task NotifyAsync(int round);
}

public sealed class BenchNotifierGrain : Grain, IBenchNotifierGrain
{
    public Task NotifyAsync(int round) =>
        UserEvents.PublishAsync(ServiceProvider, this.GetPrimaryKeyLong(), new UserEvent("bench",
            JsonSerializer.SerializeToElement(new { round, sent_at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() })));
}

/// <summary>
/// The server side of <c>bench frontend</c>, run as its own process: the real front end (every middleware, JWT auth,
/// rate limiting, metrics) over an in-process silo with PostgreSQL, plus, on a second port, a bare Kestrel endpoint
/// returning a constant — the ceiling the API is compared with. Bench-only endpoints create users with tokens and
/// make grains publish one event to each user.
/// </summary>
internal static class FrontendBenchServer
{
    public static async Task<int> RunAsync()
    {
        var postgres = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") ?? throw new InvalidOperationException("ConnectionStrings__Postgres is not set.");
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["Api:RateLimit:PermitsPerMinutePerUser"] = "100000000";
        builder.Configuration["Api:RateLimit:PermitsPerMinutePerIp"] = "100000000";
        builder.Configuration["Api:RateLimit:AuthPermitsPerMinutePerIp"] = "100000000";
        // The load clients keep the tokens they were given for the whole run (a real client refreshes them every 15 minutes).
        builder.Configuration["Auth:AccessTokenLifetime"] = "02:00:00";
        var ports = ServerProcess.FreePorts(2);
        builder.UseOrleans(silo => silo.UseLocalhostClustering(ports[0], ports[1]).AddSocialGrains(postgres));
        builder.AddOrleansSocialApi();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.UseOrleansSocialApi();
        var users = new List<long>();
        app.MapPost("/bench/users", async (int count, AccountStore store, IPasswordHasher<Account> hasher, TokenService tokens, CancellationToken ct) =>
        {
            var hash = hasher.HashPassword(null!, "bench password 123");
            var issued = new List<string>(count);
            for (var i = 0; i < count; i++)
            {
                var name = "b" + Guid.NewGuid().ToString("N")[..16];
                var (account, _) = await store.CreateAsync(name, name + "@bench.invalid", hash, ct);
                await store.MarkEmailVerifiedAsync(account!.Id, account.Email, ct); // active users have confirmed their address
                users.Add(account.Id);
                issued.Add(tokens.IssueAccessToken(account with { EmailVerified = true }, Guid.NewGuid()));
            }

            return TypedResults.Ok(new BenchUsers(issued, users.ToArray()));
        });
        app.MapPost("/bench/posts", async (int count, int authors, IGrainFactory grains) =>
        {
            var ids = new Guid[count];
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
                ids[i] = await grains.GetGrain<OrleansSocial.Posts.IPostGrain>(Guid.CreateVersion7()).CreateAsync(
                    new OrleansSocial.Posts.NewPost(users[i % Math.Min(authors, users.Count)], $"bench post {i} #bench", OrleansSocial.Posts.PostVisibility.Public, null, null)));
            return TypedResults.Ok(ids);
        });
        app.MapPost("/bench/fanout", async (int round, IGrainFactory grains) =>
        {
            await Task.WhenAll(users.Select(id => grains.GetGrain<IBenchNotifierGrain>(id).NotifyAsync(round)));
            return TypedResults.NoContent();
        });

        // Feeds: followers made in bulk (rows and counters, as if each had followed), and how a post's fan-out went.
        app.MapPost("/bench/followers", async (long author, int count) =>
        {
            await using var db = Npgsql.NpgsqlDataSource.Create(postgres);
            await using var command = db.CreateCommand("""
                WITH made AS (
                    INSERT INTO accounts (username, email, password_hash)
                    SELECT 'f' || $1 || '_' || g, 'f' || $1 || '_' || g || '@bench.invalid', 'x' FROM generate_series(1, $2) g
                    RETURNING id),
                followed AS (INSERT INTO follows (follower_id, followee_id) SELECT id, $1 FROM made RETURNING follower_id),
                counted AS (UPDATE accounts SET following_count = 1 WHERE id IN (SELECT follower_id FROM followed) RETURNING 1)
                UPDATE accounts SET followers_count = followers_count + (SELECT count(*) FROM counted) WHERE id = $1
                """);
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = author });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = count });
            await command.ExecuteNonQueryAsync();
            return TypedResults.NoContent();
        });
        app.MapPost("/bench/follow", async (int perReader, int readers, int authors) =>
        {
            // The first `authors` users (those /bench/posts posts as) are followed by the next `readers`, `perReader` each.
            var (authorIds, readerIds) = (users.Take(authors).ToArray(), users.Skip(authors).Take(readers).ToArray());
            await using var db = Npgsql.NpgsqlDataSource.Create(postgres);
            await using var command = db.CreateCommand("""
                WITH pairs AS (
                    SELECT r.id AS follower, a.id AS followee FROM unnest($1::bigint[]) WITH ORDINALITY r(id, i)
                    JOIN unnest($2::bigint[]) WITH ORDINALITY a(id, j) ON (a.j + r.i) % (cardinality($2::bigint[]) / $3) = 0),
                inserted AS (INSERT INTO follows (follower_id, followee_id) SELECT follower, followee FROM pairs ON CONFLICT DO NOTHING RETURNING follower_id, followee_id)
                UPDATE accounts a SET following_count = following_count + (SELECT count(*) FROM inserted WHERE follower_id = a.id),
                                      followers_count = followers_count + (SELECT count(*) FROM inserted WHERE followee_id = a.id)
                WHERE a.id = ANY($1) OR a.id = ANY($2)
                """);
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = readerIds });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = authorIds });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = perReader });
            await command.ExecuteNonQueryAsync();
            return TypedResults.NoContent();
        });
        app.MapPost("/bench/graph", async (BenchFollows graph) =>
        {
            // Follow pairs loaded in one statement, with the counters they imply (the mixed benchmark's social graph).
            await using var db = Npgsql.NpgsqlDataSource.Create(postgres);
            await using var command = db.CreateCommand("""
                WITH inserted AS (
                    INSERT INTO follows (follower_id, followee_id) SELECT * FROM unnest($1::bigint[], $2::bigint[])
                    ON CONFLICT DO NOTHING RETURNING follower_id, followee_id),
                following AS (SELECT follower_id AS id, count(*) AS n FROM inserted GROUP BY follower_id),
                followers AS (SELECT followee_id AS id, count(*) AS n FROM inserted GROUP BY followee_id)
                UPDATE accounts a SET following_count = following_count + coalesce((SELECT n FROM following f WHERE f.id = a.id), 0),
                                      followers_count = followers_count + coalesce((SELECT n FROM followers f WHERE f.id = a.id), 0)
                WHERE a.id IN (SELECT id FROM following UNION SELECT id FROM followers)
                """);
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = graph.Followers });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = graph.Followees });
            await command.ExecuteNonQueryAsync();
            return TypedResults.NoContent();
        });
        // Analytics: counting switched on and off within one run, and how many impressions the silo has counted.
        app.MapPost("/bench/analytics", (bool enabled, OrleansSocial.Analytics.AnalyticsOptions options) =>
        {
            options.Enabled = enabled;
            return TypedResults.NoContent();
        });
        app.MapGet("/bench/analytics", (OrleansSocial.Grains.Analytics.AnalyticsBuffer buffer) => buffer.ImpressionsCounted);
        app.MapGet("/bench/fanout-idle", (OrleansSocial.Grains.Timelines.TimelineFanout fanout) => fanout.Lag == TimeSpan.Zero);
        app.MapGet("/bench/fanout-result", (Guid post, OrleansSocial.Grains.Timelines.TimelineFanout fanout) =>
            fanout.ResultOf(post) is { } result ? Results.Ok(new { deliveries = result.Deliveries, ms = result.Duration.TotalMilliseconds }) : Results.NotFound());

        var helloBuilder = WebApplication.CreateSlimBuilder();
        helloBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        helloBuilder.Logging.ClearProviders();
        var hello = helloBuilder.Build();
        hello.MapGet("/hello", () => "hello");
        if (Environment.GetEnvironmentVariable("Bench__StaticRoot") is { Length: > 0 } staticRoot)
        {
            // The media benchmark's yardstick: ASP.NET Core's own static files over the local media store's directory.
            hello.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(staticRoot),
                RequestPath = "/static",
            });
        }

        await app.StartAsync();
        await hello.StartAsync();
        Console.WriteLine($"ready {app.Urls.First()} {hello.Urls.First()}");
        await Console.In.ReadLineAsync(); // the benchmark closes stdin when it is done
        await hello.StopAsync();
        await app.StopAsync();
        return 0;
    }
}
