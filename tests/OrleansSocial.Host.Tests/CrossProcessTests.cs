using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>The deployment an operator runs: a silo process and a front-end process sharing PostgreSQL and Redis.</summary>
public sealed class CrossProcessTests
{
    private static readonly string ClientDirectory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../signalr-client"));

    /// <summary>A silo process and a front-end process sharing PostgreSQL, Redis, a cluster id and a signing key.</summary>
    private sealed class Deployment : IAsyncDisposable
    {
        private Deployment(HostProcess silo, HostProcess frontEnd)
        {
            (Silo, FrontEnd) = (silo, frontEnd);
            ViaSilo = new HttpClient { BaseAddress = silo.BaseAddress };
            ViaFrontEnd = new HttpClient { BaseAddress = frontEnd.BaseAddress };
        }

        public HostProcess Silo { get; }

        public HostProcess FrontEnd { get; }

        public HttpClient ViaSilo { get; }

        public HttpClient ViaFrontEnd { get; }

        public static async Task<Deployment> StartAsync()
        {
            var settings = Settings();
            var silo = await HostProcess.StartAsync("silo", settings);
            try
            {
                return new Deployment(silo, await HostProcess.StartAsync("frontend", settings));
            }
            catch
            {
                await silo.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            ViaSilo.Dispose();
            ViaFrontEnd.Dispose();
            await FrontEnd.DisposeAsync();
            await Silo.DisposeAsync();
        }
    }

    private static Dictionary<string, string> Settings() => new()
    {
        ["ConnectionStrings:Postgres"] = PostgresServer.Instance.CreateDatabase("xproc"),
        ["ConnectionStrings:Redis"] = RedisServer.Instance.Configuration,
        ["Cluster:ClusterId"] = "xproc-" + Guid.NewGuid().ToString("N")[..8],
        ["Auth:SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["Accounts:RequireVerifiedEmail"] = "false", // users sign up and post at once (VerifiedEmailTests covers the rule)
    };

    private static Process StartJsClient(Uri frontEnd, string token, string eventName)
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "client.mjs", new Uri(frontEnd, "/hubs/events").ToString(), token, eventName, "1", "30000" })
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info)!;
    }

    [Fact]
    public async Task An_event_from_a_grain_on_the_silo_process_reaches_a_javascript_client_connected_to_the_front_end_process()
    {
        await using var deployment = await Deployment.StartAsync();
        var (silo, frontEnd, viaSilo, viaFrontEnd) = (deployment.Silo, deployment.FrontEnd, deployment.ViaSilo, deployment.ViaFrontEnd);
        var user = await viaFrontEnd.NewUserAsync("xp");
        using var js = StartJsClient(frontEnd.BaseAddress, user.AccessToken, "account_updated");
        var connected = await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("connected", connected);

        // The UserGrain lives on the silo process (the front end is only a client): the edit made there is published on
        // the user's Redis stream and relayed by the front end to the connection it holds.
        var patched = await viaSilo.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { display_name = "Across processes" }, user.AccessToken);
        var line = await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await js.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.True(line is not null, $"No event. Silo:{Environment.NewLine}{silo.Log}{Environment.NewLine}Front end:{Environment.NewLine}{frontEnd.Log}");
        var payload = JsonDocument.Parse(line).RootElement;
        Assert.Equal("Across processes", payload.GetProperty("display_name").GetString());
        Assert.Equal(user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), payload.GetProperty("id").GetString());
        Assert.Equal(0, js.ExitCode);
    }

    [Fact]
    public async Task A_like_taken_by_one_process_notifies_the_author_over_signalr_on_another()
    {
        await using var deployment = await Deployment.StartAsync();
        var (silo, frontEnd, viaSilo, viaFrontEnd) = (deployment.Silo, deployment.FrontEnd, deployment.ViaSilo, deployment.ViaFrontEnd);
        var author = await viaFrontEnd.NewUserAsync("xn");
        var fan = await viaSilo.NewUserAsync("xn");
        var post = (await (await viaFrontEnd.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "like me from afar" }, author.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();
        using var js = StartJsClient(frontEnd.BaseAddress, author.AccessToken, "notification");
        Assert.Equal("connected", await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));

        var liked = await viaSilo.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: fan.AccessToken);
        var line = await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, liked.StatusCode);
        Assert.True(line is not null, "No notification arrived.");
        var payload = JsonDocument.Parse(line).RootElement;
        Assert.Equal("like", payload.GetProperty("type").GetString());
        Assert.Equal(post, payload.GetProperty("post_id").GetString());
        Assert.Equal(fan.Username, payload.GetProperty("actor").GetProperty("username").GetString());
        Assert.Equal(fan.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), payload.GetProperty("actor").GetProperty("id").GetString());
        Assert.Equal(1, payload.GetProperty("unread_count").GetInt64());
    }

    [Fact]
    public async Task A_front_end_process_serves_the_api_from_grains_on_the_silo_process()
    {
        await using var deployment = await Deployment.StartAsync();
        var client = deployment.ViaFrontEnd;
        var user = await client.NewUserAsync("xp");

        var patched = await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { bio = "served by the silo" }, user.AccessToken);
        var me = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: user.AccessToken)).JsonAsync();
        var ready = await (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).JsonAsync();

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("served by the silo", me.GetProperty("bio").GetString());
        Assert.Equal("ready", ready.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Presence_holds_while_any_front_end_has_a_connection_and_ends_when_the_last_front_end_holding_one_is_killed()
    {
        var settings = Settings();
        settings["Presence:LeaseSeconds"] = "2";
        settings["Presence:RenewSeconds"] = "0.5";
        await using var silo = await HostProcess.StartAsync("silo", settings);
        await using var first = await HostProcess.StartAsync("frontend", settings);
        await using var second = await HostProcess.StartAsync("frontend", settings);
        using var viaSilo = new HttpClient { BaseAddress = silo.BaseAddress };
        var (user, partner) = (await viaSilo.NewUserAsync("pr"), await viaSilo.NewUserAsync("pr"));
        await viaSilo.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations",
            new { participant_ids = new[] { partner.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, user.AccessToken);
        async Task<JsonElement> PresenceAsync() =>
            await (await viaSilo.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{user.Id}/presence", token: partner.AccessToken)).JsonAsync();
        async Task<JsonElement> WaitForAsync(bool online)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var presence = await PresenceAsync();
                if (presence.GetProperty("online").GetBoolean() == online || deadline.Elapsed > TimeSpan.FromSeconds(30))
                {
                    return presence;
                }

                await Task.Delay(100);
            }
        }

        using var onFirst = StartJsClient(first.BaseAddress, user.AccessToken, "never_sent");
        using var onSecond = StartJsClient(second.BaseAddress, user.AccessToken, "never_sent");
        Assert.Equal("connected", await onFirst.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("connected", await onSecond.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        var online = await WaitForAsync(online: true);

        // The first front end dies without a word: the connection the second one holds keeps the user online, past
        // the first one's lease.
        first.Kill();
        await Task.Delay(TimeSpan.FromSeconds(4));
        var afterFirstDied = await PresenceAsync();

        // Then the second: its lease runs out and the user is offline, last seen.
        second.Kill();
        var killedAt = DateTimeOffset.UtcNow;
        var offline = await WaitForAsync(online: false);
        var detectedAfter = DateTimeOffset.UtcNow - killedAt;

        Assert.True(online.GetProperty("online").GetBoolean());
        Assert.True(afterFirstDied.GetProperty("online").GetBoolean(), "one front end still holds a connection");
        Assert.False(offline.GetProperty("online").GetBoolean(), $"still online {detectedAfter} after the last front end died");
        Assert.True(offline.GetProperty("last_seen_at").GetDateTimeOffset() > killedAt.AddSeconds(-1));
    }
}
