using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;

namespace OrleansSocial.Bench;

/// <summary>
/// The sustained mixed load of issue 20, against one process (silo and front end, <see cref="FrontendBenchServer"/>)
/// with PostgreSQL and this load generator on the same machine. The data set: 1,000 accounts, about 55,000 follows
/// (five popular accounts followed by everyone else, every account following 50 others), 3,000 posts fanned out, 500
/// direct conversations; every account connected to the hub with the .NET SignalR client. Then a fixed rate of
/// requests (50 % home timeline, 15 % post by id, 10 % like, 8 % new post — 5 % of them by the popular accounts — 7 %
/// comment, 5 % DM, 5 % notifications) for a set time, each request's latency taken from the moment it was due (an open
/// loop: a slow server does not slow the offered rate down). The fan-out lag of a post is from its request being sent
/// to the last of its author's followers receiving its <c>update</c> event. Afterwards rising rates, a minute each, find
/// the highest whose fan-out keeps up. <c>MIXED_RATE</c>, <c>MIXED_MINUTES</c>, <c>MIXED_STEP_SECONDS</c> and
/// <c>MIXED_STEPS</c> change the run.
/// </summary>
internal static class MixedBenchmark
{
    private const int Accounts = 1_000;
    private const int Popular = 5;
    private const int FollowsEach = 50;
    private const int SeedPosts = 3_000;
    private const int Conversations = 500;
    private const int ReadWindow = 2_000;
    private const double LagBound = 5_000;
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync()
    {
        var rate = Setting("MIXED_RATE", 400.0);
        var duration = TimeSpan.FromMinutes(Setting("MIXED_MINUTES", 10.0));
        var step = TimeSpan.FromSeconds(Setting("MIXED_STEP_SECONDS", 60.0));
        var steps = (Environment.GetEnvironmentVariable("MIXED_STEPS") ?? "500,600,700,800,1000")
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();

        using var server = await BenchServerProcess.StartAsync("mixed_bench");
        var setup = Stopwatch.StartNew();
        var users = await server.CreateUsersAsync(Accounts);
        var followers = await FollowAsync(server, users.Ids);
        var seeded = (await (await server.Http.PostAsync(new Uri(server.Api, $"/bench/posts?count={SeedPosts}&authors={Accounts}"), null))
            .Content.ReadFromJsonAsync<Guid[]>())!;
        await server.FannedOutAsync();
        var conversations = await server.CreateConversationsAsync(users, Conversations, parallelism: 16);
        Console.Error.WriteLine($"[bench] {Accounts} accounts, {followers.Sum(f => f.Count)} follows, {SeedPosts} posts fanned out, {Conversations} conversations in {setup.Elapsed.TotalSeconds:F0} s");

        var events = new HubEvents();
        var hubs = await ConnectAsync(server, users, events);
        Console.Error.WriteLine($"[bench] {hubs.Count} SignalR connections ready");
        using var sampler = new ServerSampler(server);
        await sampler.StartAsync();
        var rssStart = sampler.RssMb();

        var load = new LoadRun(server, users, followers, conversations, events, [.. seeded.Select(p => p.ToString())], sampler.RssMb);
        var cpuStart = (Server: sampler.ServerCpuSeconds(), Postgres: sampler.PostgresCpuSeconds, At: Stopwatch.GetTimestamp());
        var main = await load.RunAsync(rate, duration, "main");
        var cpuSeconds = Stopwatch.GetElapsedTime(cpuStart.At).TotalSeconds;
        var (serverCpu, postgresCpu) = ((sampler.ServerCpuSeconds() - cpuStart.Server) / cpuSeconds, (sampler.PostgresCpuSeconds - cpuStart.Postgres) / cpuSeconds);
        await events.DrainAsync(main.Posts, Drain);
        var rssEnd = sampler.RssMb();

        var maxRps = 0.0;
        foreach (var offered in steps)
        {
            var run = await load.RunAsync(offered, step, $"step {offered:F0}");
            await events.DrainAsync(run.Posts, TimeSpan.FromSeconds(10));
            var lag = events.Lag(run.Posts);
            var kept = run.Errors == 0 && lag.Unfinished == 0 && lag.P99 <= LagBound;
            Console.Error.WriteLine($"[bench] step {offered:F0}/s: achieved {run.Achieved:F0}/s, p99 {run.P99:F0} ms, errors {run.Errors}, fan-out lag p99 {lag.P99:F0} ms, {lag.Unfinished} posts unfinished 10 s after -> {(kept ? "kept up" : "fell behind")}");
            if (!kept)
            {
                break;
            }

            maxRps = run.Achieved;
        }

        await sampler.StopAsync();
        foreach (var hub in hubs)
        {
            await hub.DisposeAsync();
        }

        var mainLag = events.Lag(main.Posts);
        Console.WriteLine($"mixed-rps: {main.Achieved:F0}     # offered {rate:F0}/s for {duration.TotalMinutes:F0} min");
        Console.WriteLine($"mixed-p50-ms: {main.P50:F1}");
        Console.WriteLine($"mixed-p99-ms: {main.P99:F1}     # every operation, from the moment it was due (target <= 150); {main.ByOperation} (ms)");
        Console.WriteLine($"mixed-slowest-ms: {main.Max:F0}     # (target < 1000)");
        Console.WriteLine($"mixed-errors: {main.Errors}     # {main.ErrorsByOperation} (target 0)");
        foreach (var minute in main.Minutes)
        {
            var lag = events.Lag(main.Posts.Where(p => p.Minute == minute.Index));
            Console.WriteLine($"mixed-minute-{minute.Index + 1}: p50 {minute.P50:F1} ms, p99 {minute.P99:F1} ms, slowest {minute.Max:F0} ms, {minute.Count} requests, fan-out lag p99 {lag.P99:F0} ms, server {main.RssByMinute.ElementAtOrDefault(minute.Index):F0} MB");
        }

        Console.WriteLine($"fanout-lag-p99-ms: {mainLag.P99:F0}     # p50 {mainLag.P50:F0} ms, {main.Posts.Count} posts; sent -> every follower's update event (target <= 5000, not growing)");
        Console.WriteLine($"hub-events-missed: {mainLag.Missed + events.MessagesMissed}     # update events of posts not received {Drain.TotalSeconds:F0} s after the run, and message events (target 0)");
        Console.WriteLine($"pg-connections-max: {sampler.MaxConnections}     # client connections to the server's database (autovacuum workers are not), sampled twice a second: {sampler.AtMax} (target <= 30)");
        Console.WriteLine($"server-cpu-percent: {serverCpu * 100:F0}     # of one core, during the main run");
        Console.WriteLine($"postgres-cpu-percent: {postgresCpu * 100:F0}     # of one core, every PostgreSQL process of the benchmark's server, during the main run");
        Console.WriteLine($"rss-mb-start: {rssStart:F0}");
        Console.WriteLine($"rss-mb-end: {rssEnd:F0}");
        Console.WriteLine($"mixed-max-rps: {maxRps:F0}     # the highest rate of {string.Join(", ", steps)} whose fan-out kept up for {step.TotalSeconds:F0} s (target >= 600)");
        return 0;
    }

    private static double Setting(string name, double fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

    // Everyone follows the popular accounts; every account follows 50 others that are not popular. Returns each
    // account's followers (by index).
    private static async Task<List<int>[]> FollowAsync(BenchServerProcess server, long[] ids)
    {
        var random = new Random(20);
        var followers = Enumerable.Range(0, ids.Length).Select(_ => new List<int>()).ToArray();
        var (from, to) = (new List<long>(), new List<long>());
        for (var a = 0; a < ids.Length; a++)
        {
            var followed = new HashSet<int>();
            for (var p = 0; p < Popular; p++)
            {
                if (p != a)
                {
                    followed.Add(p);
                }
            }

            while (followed.Count < FollowsEach + (a < Popular ? Popular - 1 : Popular))
            {
                var other = random.Next(Popular, ids.Length);
                if (other != a)
                {
                    followed.Add(other);
                }
            }

            foreach (var b in followed)
            {
                from.Add(ids[a]);
                to.Add(ids[b]);
                followers[b].Add(a);
            }
        }

        (await server.Http.PostAsJsonAsync(new Uri(server.Api, "/bench/graph"), new BenchFollows([.. from], [.. to]))).EnsureSuccessStatusCode();
        return followers;
    }

    // Conversation i is between accounts 2i and 2i + 1.
    private static async Task<List<HubConnection>> ConnectAsync(BenchServerProcess server, BenchUsers users, HubEvents events)
    {
        var hubs = new HubConnection[users.Tokens.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, users.Tokens.Count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var token = users.Tokens[i];
            var hub = new HubConnectionBuilder()
                .WithUrl(new Uri(server.Api, "/hubs/events"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                .Build();
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            hub.On<JsonElement>("ready", _ => ready.TrySetResult());
            hub.On<JsonElement>("update", e => events.Update(e.GetProperty("post").GetProperty("id").GetString()!));
            hub.On<JsonElement>("message", _ => events.Message());
            hub.Closed += _ =>
            {
                Interlocked.Increment(ref events.Disconnects);
                return Task.CompletedTask;
            };
            await hub.StartAsync(ct);
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            hubs[i] = hub;
        });
        return [.. hubs];
    }

    /// <summary>What the hub connections received: <c>update</c> events per post, <c>message</c> events.</summary>
    internal sealed class HubEvents
    {
        private readonly ConcurrentDictionary<string, PostTrack> _posts = new();
        private long _messages;
        private long _messagesExpected;
        public int Disconnects;

        public void Update(string postId)
        {
            var track = _posts.GetOrAdd(postId, _ => new PostTrack());
            Volatile.Write(ref track.LastAt, Stopwatch.GetTimestamp());
            Interlocked.Increment(ref track.Received);
        }

        public void Message() => Interlocked.Increment(ref _messages);

        public void MessageSent(int recipients) => Interlocked.Add(ref _messagesExpected, recipients);

        public long MessagesMissed => Math.Max(0, Interlocked.Read(ref _messagesExpected) - Interlocked.Read(ref _messages));

        public PostTrack Track(string postId) => _posts.GetOrAdd(postId, _ => new PostTrack());

        public async Task DrainAsync(IReadOnlyCollection<SentPost> posts, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < timeout && (posts.Any(p => Track(p.Id).Received < p.Expected) || MessagesMissed > 0))
            {
                await Task.Delay(200);
            }
        }

        public (double P50, double P99, int Unfinished, long Missed) Lag(IEnumerable<SentPost> posts)
        {
            var lags = new List<double>();
            var (unfinished, missed) = (0, 0L);
            foreach (var post in posts)
            {
                var track = Track(post.Id);
                var received = Volatile.Read(ref track.Received);
                if (received < post.Expected)
                {
                    unfinished++;
                    missed += post.Expected - received;
                    lags.Add(double.PositiveInfinity);
                }
                else
                {
                    lags.Add(Stopwatch.GetElapsedTime(post.SentAt, Volatile.Read(ref track.LastAt)).TotalMilliseconds);
                }
            }

            lags.Sort();
            return (Percentile(lags, 0.5), Percentile(lags, 0.99), unfinished, missed);
        }
    }

    internal sealed class PostTrack
    {
        public int Received;
        public long LastAt;
    }

    internal sealed record SentPost(string Id, long SentAt, int Expected, int Minute);

    internal sealed record MinuteFigures(int Index, double P50, double P99, double Max, int Count);

    internal sealed record RunFigures(double Achieved, double P50, double P99, double Max, long Errors, string ErrorsByOperation,
        List<MinuteFigures> Minutes, List<SentPost> Posts, string ByOperation, List<double> RssByMinute);

    /// <summary>The open-loop load: requests issued at their due times whatever the server does.</summary>
    private sealed class LoadRun(BenchServerProcess server, BenchUsers users, List<int>[] followers, string[] conversations, HubEvents events,
        List<string> posts, Func<double> rssOf)
    {
        private static readonly string[] Operations = ["home", "post", "like", "new-post", "comment", "dm", "notifications"];
        private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

        private readonly Random _random = new(7);
        private int _sequence;

        public async Task<RunFigures> RunAsync(double rate, TimeSpan duration, string name)
        {
            var samples = new ConcurrentBag<(int Minute, double Ms, int Operation, bool Ok)>();
            var rss = new List<double>();
            var sent = new ConcurrentBag<SentPost>();
            var tasks = new List<Task>();
            var start = Stopwatch.GetTimestamp();
            var total = (long)(rate * duration.TotalSeconds);
            var lastReport = 0;
            for (long k = 0; k < total; k++)
            {
                var due = TimeSpan.FromSeconds(k / rate);
                var wait = due - Stopwatch.GetElapsedTime(start);
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait);
                }

                var dueAt = start + (long)(due.TotalSeconds * Stopwatch.Frequency);
                var minute = (int)due.TotalMinutes;
                if (minute > lastReport)
                {
                    rss.Add(rssOf());
                    lastReport = minute;
                    Report(name, samples, minute - 1);
                }

                tasks.Add(OneAsync(dueAt, minute, samples, sent));
            }

            await Task.WhenAll(tasks);
            rss.Add(rssOf());
            var elapsed = Stopwatch.GetElapsedTime(start);
            var all = samples.ToList();
            var latencies = all.Select(s => s.Ms).Order().ToList();
            var errors = all.Where(s => !s.Ok).GroupBy(s => Operations[s.Operation]).Select(g => $"{g.Key} {g.Count()}").ToList();
            var minutes = all.GroupBy(s => s.Minute).OrderBy(g => g.Key).Select(g =>
            {
                var ms = g.Select(s => s.Ms).Order().ToList();
                return new MinuteFigures(g.Key, Percentile(ms, 0.5), Percentile(ms, 0.99), ms[^1], ms.Count);
            }).ToList();
            var byOperation = string.Join(", ", all.GroupBy(s => s.Operation).OrderBy(g => g.Key).Select(g =>
            {
                var ms = g.Select(s => s.Ms).Order().ToList();
                return $"{Operations[g.Key]} p50 {Percentile(ms, 0.5):F1} p99 {Percentile(ms, 0.99):F0} max {ms[^1]:F0}";
            }));
            return new RunFigures(all.Count(s => s.Ok) / elapsed.TotalSeconds, Percentile(latencies, 0.5), Percentile(latencies, 0.99), latencies.Count == 0 ? 0 : latencies[^1],
                all.Count(s => !s.Ok), errors.Count == 0 ? "none" : string.Join(", ", errors), minutes, [.. sent], byOperation, rss);
        }

        private void Report(string name, ConcurrentBag<(int Minute, double Ms, int Operation, bool Ok)> samples, int minute)
        {
            var ms = samples.Where(s => s.Minute == minute).Select(s => s.Ms).Order().ToList();
            Console.Error.WriteLine($"[bench] {name} minute {minute + 1}: {ms.Count} requests, p50 {Percentile(ms, 0.5):F1} ms, p99 {Percentile(ms, 0.99):F1} ms, errors {samples.Count(s => s.Minute == minute && !s.Ok)}, hub disconnects {events.Disconnects}");
        }

        private async Task OneAsync(long dueAt, int minute, ConcurrentBag<(int, double, int, bool)> samples, ConcurrentBag<SentPost> sent)
        {
            int operation, user;
            string? post;
            lock (_random)
            {
                var dice = _random.NextDouble() * 100;
                operation = dice switch { < 50 => 0, < 65 => 1, < 75 => 2, < 83 => 3, < 90 => 4, < 95 => 5, _ => 6 };
                user = operation == 3 && _random.NextDouble() < 0.05 ? _random.Next(Popular) : _random.Next(Popular, Accounts);
                if (operation == 5)
                {
                    user = _random.Next(Conversations * 2);
                }

                lock (posts)
                {
                    post = posts[posts.Count - 1 - _random.Next(Math.Min(ReadWindow, posts.Count))];
                }
            }

            var token = users.Tokens[user];
            var n = Interlocked.Increment(ref _sequence);
            using var request = operation switch
            {
                0 => server.Authorized(HttpMethod.Get, "/api/v1/timelines/home?limit=20", token),
                1 => server.Authorized(HttpMethod.Get, $"/api/v1/posts/{post}", token),
                2 => server.Authorized(HttpMethod.Post, $"/api/v1/posts/{post}/like", token),
                3 => server.Authorized(HttpMethod.Post, "/api/v1/posts", token, new { text = $"mixed post {n} #mixed" }),
                4 => server.Authorized(HttpMethod.Post, $"/api/v1/posts/{post}/comments", token, new { text = $"mixed comment {n}" }),
                5 => server.Authorized(HttpMethod.Post, $"/api/v1/conversations/{conversations[user / 2]}/messages", token,
                    new { client_id = $"m{n}", text = $"mixed message {n}" }),
                _ => server.Authorized(HttpMethod.Get, "/api/v1/notifications?limit=20", token),
            };
            var sentAt = Stopwatch.GetTimestamp();
            var ok = false;
            try
            {
                using var response = await _http.SendAsync(request);
                var body = await response.Content.ReadAsByteArrayAsync();
                ok = response.IsSuccessStatusCode;
                if (ok && operation == 3)
                {
                    var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
                    sent.Add(new SentPost(id, sentAt, followers[user].Count + 1, minute));
                    lock (posts)
                    {
                        posts.Add(id);
                    }
                }
                else if (ok && operation == 5)
                {
                    events.MessageSent(2); // the recipient's connection and the sender's own
                }
                else if (!ok)
                {
                    Console.Error.WriteLine($"[bench] {Operations[operation]} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)[..Math.Min(200, body.Length)]}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Console.Error.WriteLine($"[bench] {Operations[operation]} failed: {e.Message}");
            }

            samples.Add((minute, Stopwatch.GetElapsedTime(dueAt).TotalMilliseconds, operation, ok));
        }
    }

    /// <summary>Samples the server's database connections and resident memory while the load runs.</summary>
    private sealed class ServerSampler(BenchServerProcess server) : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task? _loop;

        public long MaxConnections { get; private set; }

        /// <summary>The connections by application name when there were most.</summary>
        public string AtMax { get; private set; } = "";

        public async Task StartAsync()
        {
            var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync();
            _loop = Task.Run(async () =>
            {
                await using (connection)
                {
                    await using var command = new NpgsqlCommand("""
                        SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                        GROUP BY 1 ORDER BY 1
                        """, connection);
                    while (!_stop.IsCancellationRequested)
                    {
                        var (total, names) = (0L, new List<string>());
                        await using (var reader = await command.ExecuteReaderAsync())
                        {
                            while (await reader.ReadAsync())
                            {
                                total += reader.GetInt64(1);
                                names.Add($"{(reader.GetString(0) is { Length: > 0 } name ? name : "unnamed")} {reader.GetInt64(1)}");
                            }
                        }

                        if (total > MaxConnections)
                        {
                            (MaxConnections, AtMax) = (total, string.Join(", ", names));
                        }

                        SamplePostgresCpu();

                        try
                        {
                            await Task.Delay(500, _stop.Token);
                        }
                        catch (OperationCanceledException)
                        {
                        }
                    }
                }
            });
        }

        public double RssMb() => server.RssMb();

        /// <summary>CPU time the server process used so far (user and system).</summary>
        public double ServerCpuSeconds() => CpuSeconds(server.ProcessId);

        // Per PostgreSQL process: its CPU time when first seen and when last seen (a process born while sampling counts from 0).
        private readonly Dictionary<int, (double First, double Last)> _postgres = [];
        private bool _sampledOnce;

        /// <summary>
        /// CPU time PostgreSQL's processes used since sampling began, from their figures sampled twice a second (a
        /// connection that closes loses at most its last half second).
        /// </summary>
        public double PostgresCpuSeconds
        {
            get
            {
                lock (_postgres)
                {
                    return _postgres.Values.Sum(p => p.Last - p.First);
                }
            }
        }

        private void SamplePostgresCpu()
        {
            var running = Directory.EnumerateDirectories("/proc")
                .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
                .Where(pid => pid > 0 && IsPostgres(pid))
                .Select(pid => (Pid: pid, Cpu: CpuSeconds(pid)));
            lock (_postgres)
            {
                foreach (var (pid, cpu) in running)
                {
                    _postgres[pid] = _postgres.TryGetValue(pid, out var known) ? (known.First, cpu) : (_sampledOnce ? 0 : cpu, cpu);
                }

                _sampledOnce = true;
            }
        }

        private static bool IsPostgres(int pid)
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/comm").Trim() == "postgres";
            }
            catch (IOException)
            {
                return false;
            }
        }

        // utime and stime (fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name), in clock ticks.
        private static double CpuSeconds(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
            }
            catch (IOException)
            {
                return 0;
            }
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            if (_loop is not null)
            {
                await _loop;
            }
        }

        public void Dispose() => _stop.Dispose();
    }

    /// <summary>The <paramref name="p"/> quantile of ascending <paramref name="sorted"/> (nearest rank); 0 when empty.</summary>
    internal static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(sorted.Count * p) - 1, 0, sorted.Count - 1)];
}
