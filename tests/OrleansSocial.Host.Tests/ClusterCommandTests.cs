using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>
/// `./build.sh cluster 2`: PostgreSQL, Redis, two silos and a front end as processes. A third silo joins and then leaves
/// gracefully while requests run through the front end; every request succeeds, and the command stops everything.
/// </summary>
public sealed class ClusterCommandTests
{
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "build.sh")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("build.sh not found above the test directory");
    }

    private static async Task WaitForSilosAsync(HttpClient http, int silos)
    {
        var expected = $"\"{silos} active silos\"";
        for (var i = 0; i < 240; i++)
        {
            var ready = await http.GetStringAsync(new Uri("/health/ready", UriKind.Relative));
            if (ready.Contains(expected, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"the front end never saw {silos} active silos");
    }

    private static async Task<bool> ListensAsync(int port)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>`./build.sh cluster 2` on free ports and a data directory of its own; ready when it prints its URL.</summary>
    private sealed class ClusterCommand : IAsyncDisposable
    {
        public string Data { get; } = Directory.CreateTempSubdirectory("cluster-").FullName;
        public int[] Ports { get; } = ServerProcess.FreePorts(3);
        public ConcurrentQueue<string> Output { get; } = new();
        public Process Script { get; }
        public Task<string> Url => _url.Task;
        private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ClusterCommand()
        {
            var bases = ServerProcess.FreePorts(3);
            var info = new ProcessStartInfo("bash") { WorkingDirectory = RepositoryRoot(), RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "build.sh", "cluster", "2", "--urls", $"http://127.0.0.1:{Ports[0]}" })
            {
                info.ArgumentList.Add(argument);
            }

            info.Environment["ORLEANSSOCIAL_DATA"] = Data;
            info.Environment["Api__RateLimit__PermitsPerMinutePerUser"] = "1000000";
            info.Environment["Api__RateLimit__PermitsPerMinutePerIp"] = "1000000";
            info.Environment["ORLEANSSOCIAL_PG_PORT"] = Ports[1].ToString(CultureInfo.InvariantCulture);
            info.Environment["ORLEANSSOCIAL_REDIS_PORT"] = Ports[2].ToString(CultureInfo.InvariantCulture);
            // Silo i uses base + i: free ports well apart, so base + 1 and base + 2 are almost surely free too.
            info.Environment["ORLEANSSOCIAL_SILO_PORT"] = bases[0].ToString(CultureInfo.InvariantCulture);
            info.Environment["ORLEANSSOCIAL_GATEWAY_PORT"] = bases[1].ToString(CultureInfo.InvariantCulture);
            info.Environment["ORLEANSSOCIAL_SILO_HTTP_PORT"] = bases[2].ToString(CultureInfo.InvariantCulture);
            Script = Process.Start(info)!;
            ServerProcess.CleanUpAfterExit($"kill -TERM {Script.Id} 2>/dev/null");
            Script.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    Output.Enqueue(line);
                    if (line.StartsWith("cluster ready: ", StringComparison.Ordinal))
                    {
                        _url.TrySetResult(line.Split(' ')[2]);
                    }
                }
            };
            Script.ErrorDataReceived += (_, e) => Output.Enqueue(e.Data ?? "");
            Script.BeginOutputReadLine();
            Script.BeginErrorReadLine();
        }

        public async ValueTask DisposeAsync()
        {
            using (var term = Process.Start("kill", ["-TERM", Script.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term!.WaitForExitAsync();
            }

            await Script.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Script.Dispose();
            try
            {
                Directory.Delete(Data, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left for the temp directory's own cleanup.
            }
        }
    }

    [Fact]
    public async Task A_silo_joins_and_leaves_a_cluster_started_by_the_cluster_command_while_every_request_succeeds()
    {
        var cluster = new ClusterCommand();
        HostProcess? extra = null;
        try
        {
            var url = await cluster.Url.WaitAsync(TimeSpan.FromMinutes(5));
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            var user = await http.NewUserAsync("cl");
            var statuses = new ConcurrentBag<HttpStatusCode>();
            using var stop = new CancellationTokenSource();
            var traffic = Task.Run(async () =>
            {
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    statuses.Add((await http.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: user.AccessToken)).StatusCode);
                    statuses.Add((await http.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = $"post {n}" }, user.AccessToken)).StatusCode);
                }
            });

            // A third silo joins with the settings the command wrote, and leaves again with SIGTERM.
            var settings = File.ReadAllLines(Path.Combine(cluster.Data, "cluster", "env"))
                .Select(l => l.Split('=', 2)).ToDictionary(p => p[0].Replace("__", ":", StringComparison.Ordinal), p => p[1]);
            extra = await HostProcess.StartAsync("silo", settings);
            await WaitForSilosAsync(http, 3);
            await Task.Delay(1000);
            Assert.Equal(0, await extra.StopAsync(TimeSpan.FromSeconds(60)));
            await WaitForSilosAsync(http, 2);
            await Task.Delay(1000);
            await stop.CancelAsync();
            await traffic;

            Assert.True(statuses.Count > 20, $"only {statuses.Count} requests were made");
            Assert.All(statuses, s => Assert.True((int)s is >= 200 and < 300, $"a request answered {s}"));
        }
        finally
        {
            if (extra is not null)
            {
                await extra.DisposeAsync();
            }

            await cluster.DisposeAsync();
        }

        // Everything the command started is gone with it: the front end, Redis and PostgreSQL no longer listen.
        foreach (var port in cluster.Ports)
        {
            Assert.False(await ListensAsync(port), $"port {port} still listens after the command stopped:\n{string.Join('\n', cluster.Output.TakeLast(20))}");
        }
    }

    [Fact]
    public async Task After_redis_restarts_empty_the_silos_restart_themselves_and_the_cluster_serves_again_within_a_minute()
    {
        await using var cluster = new ClusterCommand();
        var url = await cluster.Url.WaitAsync(TimeSpan.FromMinutes(5));
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        var user = await http.NewUserAsync("rf");

        using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.Ports[2]},allowAdmin=true"))
        {
            await redis.GetServers()[0].FlushAllDatabasesAsync();
        }

        var lost = Stopwatch.StartNew();
        HttpStatusCode ready = 0, post = 0;
        while (lost.Elapsed < TimeSpan.FromSeconds(90) && (ready != HttpStatusCode.OK || post != HttpStatusCode.Created))
        {
            await Task.Delay(1000);
            ready = (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode;
            post = ready == HttpStatusCode.OK
                ? (await http.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "after the flush" }, user.AccessToken)).StatusCode
                : 0;
        }

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Created), (ready, post));
        Assert.True(lost.Elapsed < TimeSpan.FromSeconds(60), $"serving resumed only after {lost.Elapsed.TotalSeconds:F0} s");
        var siloLogs = string.Concat(Directory.GetFiles(Path.Combine(cluster.Data, "cluster"), "silo*.log").Select(File.ReadAllText));
        Assert.Contains("exited with code 75; starting it again", siloLogs, StringComparison.Ordinal); // the silos restarted, as designed
    }
}
