using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Bench;

/// <summary>
/// The front-end benchmark of issue 4. This process is the load client; the server (<see cref="FrontendBenchServer"/>)
/// is another process on loopback. Prints requests per second for a bare Kestrel endpoint and for an authenticated
/// <c>GET /api/v1/accounts/me</c> (JWT validation, middleware, a UserGrain call) in the same run, and the delivery
/// latency of grain-published events to 1,000 SignalR connections (the real JavaScript client under node).
/// </summary>
internal static class FrontendBenchmark
{
    private const int Users = 1_000;
    internal const int Concurrency = 64;
    private const int FanoutRounds = 5;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Measure = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync()
    {
        using var server = await BenchServerProcess.StartAsync("frontend_bench");
        var (api, hello, http) = (server.Api, server.Hello, server.Http);
        var tokens = (await server.CreateUsersAsync(Users)).Tokens.ToArray();

        var helloUri = new Uri(hello, "/hello");
        var meUri = new Uri(api, "/api/v1/accounts/me");
        HttpRequestMessage Hello(int _) => new(HttpMethod.Get, helloUri);
        HttpRequestMessage Me(int i)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, meUri);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[i % tokens.Length]);
            return request;
        }

        var (helloRps, meRps) = await CompareRpsAsync(http, Hello, Me, Warmup, Measure);
        Console.WriteLine($"http-hello-rps: {helloRps:F0}");
        Console.WriteLine($"http-grain-read-rps: {meRps:F0}     # {meRps / helloRps:F2} x hello (target >= 0.5)");

        var p99 = await FanoutAsync(http, api, tokens);
        Console.WriteLine($"signalr-fanout-p99-ms: {p99}     # {Users} connections, {FanoutRounds} rounds (target <= 100)");

        // The split topology: the product's executable as a front-end process calling a silo process through its gateway.
        await using var split = await HostDeployment.StartAsync("frontend_split_bench", silos: 1);
        var splitToken = await split.SignUpAsync("split");
        var splitMeUri = new Uri(split.FrontEnd.BaseAddress, "/api/v1/accounts/me");
        HttpRequestMessage SplitMe(int _)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, splitMeUri);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", splitToken);
            return request;
        }

        var (splitHello, splitRps) = await CompareRpsAsync(http, Hello, SplitMe, Warmup, Measure);
        Console.WriteLine($"http-grain-read-split-rps: {splitRps:F0}     # {splitRps / splitHello:F2} x hello; front-end process -> silo process through its gateway (no target; the co-hosted figure above is the one with a target)");
        return 0;
    }

    /// <summary>
    /// Requests per second of a bare endpoint and of the endpoint compared with it: both warmed up, then measured in
    /// alternating rounds, so a change in the machine's speed during the run (a shared 2-core VM) weighs on both alike.
    /// </summary>
    internal static async Task<(double Baseline, double Subject)> CompareRpsAsync(HttpClient http, Func<int, HttpRequestMessage> baseline,
        Func<int, HttpRequestMessage> subject, TimeSpan warmup, TimeSpan measure, int rounds = 5)
    {
        await MeasureRpsAsync(http, baseline, warmup);
        await MeasureRpsAsync(http, subject, warmup);
        var (baselineRps, subjectRps) = (0.0, 0.0);
        for (var round = 0; round < rounds; round++)
        {
            baselineRps += await MeasureRpsAsync(http, baseline, measure / rounds);
            subjectRps += await MeasureRpsAsync(http, subject, measure / rounds);
        }

        return (baselineRps / rounds, subjectRps / rounds);
    }

    internal static async Task<double> MeasureRpsAsync(HttpClient http, Func<int, HttpRequestMessage> request, TimeSpan duration)
    {
        long done = 0;
        long failed = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; clock.Elapsed < duration; i += Concurrency)
            {
                using var message = request(i);
                using var response = await http.SendAsync(message);
                await response.Content.LoadIntoBufferAsync();
                Interlocked.Increment(ref response.IsSuccessStatusCode ? ref done : ref failed);
            }
        })));
        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} requests failed.");
        }

        return done / clock.Elapsed.TotalSeconds;
    }

    private static async Task<string> FanoutAsync(HttpClient http, Uri api, string[] tokens)
    {
        var tokensFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokensFile, System.Text.Json.JsonSerializer.Serialize(tokens));
        var clientDirectory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../tests/signalr-client"));
        var info = new ProcessStartInfo("node") { WorkingDirectory = clientDirectory, UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in new[] { "fanout.mjs", new Uri(api, "/hubs/events").ToString(), tokensFile, FanoutRounds.ToString(CultureInfo.InvariantCulture), "120000" })
        {
            info.ArgumentList.Add(argument);
        }

        using var node = Process.Start(info)!;
        try
        {
            var connected = await node.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(90));
            if (connected?.StartsWith("connected", StringComparison.Ordinal) != true)
            {
                throw new InvalidOperationException($"The SignalR clients did not connect: {connected}");
            }

            // Round 0 warms the path up (grain activations, first-call compilation) and is not measured.
            for (var round = 0; round <= FanoutRounds; round++)
            {
                await Task.Delay(1000);
                (await http.PostAsync(new Uri(api, $"/bench/fanout?round={round}"), null)).EnsureSuccessStatusCode();
            }

            var result = await node.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var parts = result?.Split(' ') ?? [];
            return parts.Length == 5 && parts[0] == "latency"
                ? $"{parts[2]}     # p50 {parts[1]} ms, max {parts[3]} ms, {parts[4]} events;"
                : throw new InvalidOperationException($"Unexpected fan-out result: {result}");
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill();
            }

            File.Delete(tokensFile);
        }
    }
}

/// <summary>
/// The benchmark server (<see cref="FrontendBenchServer"/>) as a process of its own on loopback, with its own database,
/// and an HTTP client sized for the load; stopped (stdin closed) when disposed.
/// </summary>
internal sealed class BenchServerProcess : IDisposable
{
    private readonly Process _process;

    private BenchServerProcess(Process process, string connectionString, Uri api, Uri hello)
    {
        _process = process;
        ConnectionString = connectionString;
        Api = api;
        Hello = hello;
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = FrontendBenchmark.Concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            Timeout = TimeSpan.FromSeconds(120),
        };
    }

    public string ConnectionString { get; }

    /// <summary>The server's operating-system process id (for its resident memory).</summary>
    public int ProcessId => _process.Id;

    public Uri Api { get; }

    public Uri Hello { get; }

    public HttpClient Http { get; }

    /// <summary>A request to the API signed in with <paramref name="token"/>, with <paramref name="body"/> as JSON when given.</summary>
    public HttpRequestMessage Authorized(HttpMethod method, string path, string token, object? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(Api, path));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    /// <summary>How the fan-out of <paramref name="post"/> went (deliveries, milliseconds), once it has finished.</summary>
    public async Task<(int Deliveries, double Ms)> FanoutResultAsync(Guid post, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(60)))
        {
            using var response = await Http.GetAsync(new Uri(Api, $"/bench/fanout-result?post={post}"));
            if (response.StatusCode == System.Net.HttpStatusCode.OK)
            {
                var result = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
                return (result.GetProperty("deliveries").GetInt32(), result.GetProperty("ms").GetDouble());
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"The fan-out of post {post} did not finish.");
    }

    /// <summary>
    /// Waits until every fan-out the server accepted has finished (none queued, running or turned away by the full queue):
    /// with the queue bounded, posts that overflow are fanned out later than newer ones, so no single post's result says
    /// that all are done.
    /// </summary>
    public async Task FannedOutAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var response = await Http.GetAsync(new Uri(Api, "/bench/fanout-idle"));
            response.EnsureSuccessStatusCode();
            if (await response.Content.ReadFromJsonAsync<bool>())
            {
                return;
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException("The server's fan-outs did not finish within five minutes.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Creates accounts on the server and returns their ids and access tokens.</summary>
    public async Task<BenchUsers> CreateUsersAsync(int count)
    {
        var created = await Http.PostAsync(new Uri(Api, $"/bench/users?count={count}"), null);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<BenchUsers>())!;
    }

    /// <summary>
    /// Opens <paramref name="count"/> direct conversations over the API: conversation i is started by user 2i with user
    /// 2i + 1. Returns their ids in that order.
    /// </summary>
    public async Task<string[]> CreateConversationsAsync(BenchUsers users, int count, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(users);
        var conversations = new string[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, ct) =>
        {
            using var response = await Http.SendAsync(Authorized(HttpMethod.Post, "/api/v1/conversations", users.Tokens[2 * i],
                new { participant_ids = new[] { users.Ids[2 * i + 1].ToString(CultureInfo.InvariantCulture) } }), ct);
            response.EnsureSuccessStatusCode();
            conversations[i] = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct)).GetProperty("id").GetString()!;
        });
        return conversations;
    }

    /// <summary>The server's resident memory now, in MB.</summary>
    public double RssMb()
    {
        var line = File.ReadLines($"/proc/{ProcessId}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>
    /// Starts the server on a database of its own, with the product's default connection budget; <paramref name="settings"/>
    /// are more configuration, as environment variables.
    /// </summary>
    public static async Task<BenchServerProcess> StartAsync(string database, IReadOnlyDictionary<string, string>? settings = null)
    {
        var postgres = PostgresServer.Instance.CreateDatabase(database);
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(typeof(FrontendBenchmark).Assembly.Location);
        info.ArgumentList.Add("frontend-server");
        info.Environment["ConnectionStrings__Postgres"] = postgres;
        // The host project is a web project and so runs Server GC (ServerGarbageCollection); this console process is set to match.
        info.Environment["DOTNET_gcServer"] = "1";
        info.Environment["Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        ServerProcess.CleanUpAfterExit($"kill -9 {process.Id} 2>/dev/null");
        // Logs may come first: the server announces itself with "ready <api> <hello>".
        string[]? ready = null;
        while (ready is null)
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))
                ?? throw new InvalidOperationException("The benchmark server did not start.");
            ready = line.StartsWith("ready ", StringComparison.Ordinal) ? line.Split(' ') : null;
        }

        return new BenchServerProcess(process, postgres, new Uri(ready[1]), new Uri(ready[2]));
    }

    public void Dispose()
    {
        Http.Dispose();
        _process.StandardInput.Close();
        if (!_process.WaitForExit(10_000))
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
