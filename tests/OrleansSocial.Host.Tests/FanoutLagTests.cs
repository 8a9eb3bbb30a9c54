using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansSocial.Grains.Timelines;

namespace OrleansSocial.Host.Tests;

/// <summary>Readiness degrades after one second of fan-out lag; the queue holds two posts.</summary>
public sealed class FanoutLagFactory : AccountsFactory
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Timelines:FanoutLagDegradedSeconds"] = "1",
        ["Timelines:FanoutQueue"] = "2",
    };
}

/// <summary>
/// The fan-out's lag as operators see it (metric, readiness), its bounded queue, and the sweeper's respect for work in
/// flight. The fan-out is held up for real: a transaction holding <c>timeline_entries</c> in SHARE mode makes its inserts
/// wait (reads go on; the sweep's resumption writes none).
/// </summary>
public sealed class FanoutLagTests(FanoutLagFactory factory) : IClassFixture<FanoutLagFactory>
{
    private TimelineFanout Fanout => factory.Services.GetRequiredService<TimelineFanout>();

    // Holds timeline_entries against writes until disposed.
    private async Task<IAsyncDisposable> HoldTimelinesAsync()
    {
        var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        var tx = await connection.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("LOCK TABLE timeline_entries IN SHARE MODE", connection, tx))
        {
            await hold.ExecuteNonQueryAsync();
        }

        return new Held(connection, tx);
    }

    private sealed class Held(NpgsqlConnection connection, NpgsqlTransaction tx) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await tx.RollbackAsync();
            await connection.DisposeAsync();
        }
    }

    // Whether a fan-out is blocked by the hold (an insert into timeline_entries waits for its lock).
    private async Task<bool> WaitingOnTheHoldAsync()
    {
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        await using var waiting = db.CreateCommand("SELECT count(*) FROM pg_locks WHERE relation = 'timeline_entries'::regclass AND NOT granted");
        return (long)(await waiting.ExecuteScalarAsync())! > 0;
    }

    private static async Task<string> PostAsync(HttpClient client, TestUser author, string text)
    {
        var response = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text }, author.AccessToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<(HttpStatusCode Status, string Body, string FanoutCheck)> ReadyAsync(HttpClient client)
    {
        var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var fanout = body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "fanout");
        return (response.StatusCode, body.GetProperty("status").GetString()!, fanout.GetProperty("status").GetString()!);
    }

    private async Task<double> MetricAsync(string name)
    {
        var metrics = await MetricsTests.MetricsFromAsync(factory, IPAddress.Loopback);
        Assert.Equal(HttpStatusCode.OK, metrics.Status);
        return PrometheusText.Sum(PrometheusText.Parse(metrics.Body), name);
    }

    private Task<double> LagMetricAsync() => MetricAsync("social_fanout_lag_milliseconds");

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_held_up_fan_out_shows_as_lag_in_metrics_and_degrades_readiness_until_it_catches_up()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("lag");
        Assert.Equal((HttpStatusCode.OK, "ready", "Healthy"), await ReadyAsync(client));

        await using (await HoldTimelinesAsync())
        {
            await PostAsync(client, author, "stuck behind a lock"); // accepted at once: fan-out is off the request path
            await Task.Delay(1_500);

            Assert.Equal((HttpStatusCode.OK, "degraded", "Degraded"), await ReadyAsync(client));
            Assert.True(await LagMetricAsync() >= 1_000);
        }

        await UntilAsync(async () => Fanout.Lag == TimeSpan.Zero, "the fan-out caught up");
        Assert.Equal((HttpStatusCode.OK, "ready", "Healthy"), await ReadyAsync(client));
        Assert.Equal(0, await LagMetricAsync());
    }

    [Fact]
    public async Task A_post_that_finds_the_queue_full_is_accepted_and_fanned_out_by_the_sweeper_later()
    {
        using var client = factory.CreateClient();
        var (reader, author) = (await client.NewUserAsync("ov"), await client.NewUserAsync("ov"));
        Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: reader.AccessToken)).StatusCode);

        var overflowsBefore = await MetricAsync("social_fanout_overflowed_total");
        string overflowed;
        await using (await HoldTimelinesAsync())
        {
            await PostAsync(client, author, "first, queued");
            await UntilAsync(WaitingOnTheHoldAsync, "a worker took the first post and waits on the held table");
            await PostAsync(client, author, "second, queued");
            overflowed = await PostAsync(client, author, "third, turned away by the full queue");
            Assert.Equal(2, Fanout.Queued);
            Assert.Equal(overflowsBefore + 1, await MetricAsync("social_fanout_overflowed_total"));
        }

        await UntilAsync(async () => Fanout.Queued == 0, "the queued fan-outs finished");

        // At once, not after the sweep delay: the silo knows what it turned away. (Its own sweep loop, which runs every
        // second while posts are owed, may get there first.) The wait below is shorter than the sweep delay after which any
        // unfinished row is handed back, so only the silo's record of what it turned away can deliver the post in time.
        await Fanout.SweepAsync();
        await UntilAsync(async () =>
        {
            var home = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: reader.AccessToken)).JsonAsync();
            return home.EnumerateArray().Any(i => i.GetProperty("post").GetProperty("id").GetString() == overflowed);
        }, "the turned-away post reached the follower");
        await UntilAsync(async () => Fanout.Lag == TimeSpan.Zero, "nothing is owed any more");
    }

    [Fact]
    public async Task The_sweeper_does_not_run_again_a_fan_out_its_silo_still_holds()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("fl");

        await using (await HoldTimelinesAsync())
        {
            var post = await PostAsync(client, author, "in flight for a while");
            await using (var db = NpgsqlDataSource.Create(factory.ConnectionString))
            await using (var age = db.CreateCommand("UPDATE posts SET created_at = created_at - interval '1 minute' WHERE id = $1"))
            {
                age.Parameters.Add(new NpgsqlParameter { Value = Guid.Parse(post) });
                await age.ExecuteNonQueryAsync(); // unfinished for longer than the sweeper waits
            }

            Assert.Equal(0, await Fanout.SweepAsync());
            Assert.Equal(1, Fanout.Queued);
        }

        await UntilAsync(async () => Fanout.Queued == 0, "the fan-out finished");
        Assert.Equal(0, await Fanout.SweepAsync()); // and it was marked done
    }
}
