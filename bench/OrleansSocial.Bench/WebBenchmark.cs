using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Bench;

/// <summary>
/// <c>./build.sh bench web</c>: the web client's budget, in Debian's Chromium (playwright-core) against the product's
/// own executable (silo and front end in one process) serving the built client on loopback. A reader follows an author
/// with 1,000 posts; <c>web/e2e/bench.mjs</c> prints the gzipped JavaScript of the first load, the time from navigation to
/// the home timeline's first post (p50 of 15 loads), and the rendering of the 50th page of that timeline (1,000 posts)
/// with its longest main-thread task.
/// </summary>
internal static class WebBenchmark
{
    private const int Posts = 1_000;
    private const string Password = "correct horse battery";

    public static async Task<int> RunAsync()
    {
        var hostDll = Environment.GetEnvironmentVariable("ORLEANSSOCIAL_HOST_DLL")
            ?? throw new InvalidOperationException("ORLEANSSOCIAL_HOST_DLL names the Host assembly (./build.sh bench sets it).");
        var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = PostgresServer.Instance.CreateDatabase("web_bench"),
            ["Cluster:ClusterId"] = "web-" + Guid.NewGuid().ToString("N")[..8],
            ["Auth:SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Accounts:RequireVerifiedEmail"] = "false",
            ["Api:RateLimit:PermitsPerMinutePerIp"] = "100000000",
            ["Api:RateLimit:AuthPermitsPerMinutePerIp"] = "100000000",
            ["Api:RateLimit:PermitsPerMinutePerUser"] = "100000000",
            ["Web:Root"] = Path.Combine(root, "web", "dist"),
            ["Timelines:Capacity"] = Posts.ToString(System.Globalization.CultureInfo.InvariantCulture), // a home timeline keeps 800 by default
        };
        await using var host = await HostProcess.StartAsync("all", settings, assemblyPath: hostDll);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        var author = await SignUpAsync(http, "author");
        var reader = await SignUpAsync(http, "reader");
        (await http.SendAsync(HostDeployment.Request(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", reader.Token))).EnsureSuccessStatusCode();
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, Posts, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var posted = await http.SendAsync(HostDeployment.Request(HttpMethod.Post, "/api/v1/posts", author.Token,
                new { text = $"Post number {i} of the long timeline, with a #benchmark tag and some words to lay out." }), ct);
            posted.EnsureSuccessStatusCode();
        });
        await WaitForHomeAsync(http, reader.Token);
        Console.Error.WriteLine($"[bench] {Posts} posts in the reader's home timeline in {clock.Elapsed.TotalSeconds:F1} s");

        var info = new ProcessStartInfo("node") { WorkingDirectory = Path.Combine(root, "web"), RedirectStandardOutput = true };
        var url = new UriBuilder(host.BaseAddress) { Host = "localhost" }.Uri.ToString();
        foreach (var argument in new[] { "e2e/bench.mjs", url, reader.Username, Password })
        {
            info.ArgumentList.Add(argument);
        }

        using var node = Process.Start(info)!;
        var output = await node.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(5));
        await node.WaitForExitAsync();
        Console.Write(output);
        return node.ExitCode;
    }

    private sealed record Person(string Id, string Username, string Token);

    private static async Task<Person> SignUpAsync(HttpClient http, string prefix)
    {
        var username = $"{prefix}_{Guid.NewGuid().ToString("N")[..8]}";
        (await http.PostAsJsonAsync("/api/v1/accounts", new { username, email = $"{username}@bench.invalid", password = Password })).EnsureSuccessStatusCode();
        using var signedIn = await http.PostAsJsonAsync("/api/v1/sessions", new { login = username, password = Password });
        var token = (await signedIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        using var me = await http.SendAsync(HostDeployment.Request(HttpMethod.Get, "/api/v1/accounts/me", token));
        return new Person((await me.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!, username, token);
    }

    // The fan-out to the reader's timeline runs after each post is acknowledged: wait until the oldest post is there.
    private static async Task WaitForHomeAsync(HttpClient http, string token)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var seen = 0;
            string? cursor = null;
            do
            {
                using var page = await http.SendAsync(HostDeployment.Request(HttpMethod.Get, $"/api/v1/timelines/home?limit=40{(cursor is null ? "" : "&max_id=" + cursor)}", token));
                var items = await page.Content.ReadFromJsonAsync<JsonElement>();
                seen += items.GetArrayLength();
                cursor = items.GetArrayLength() == 40 ? items[39].GetProperty("id").GetString() : null;
            }
            while (cursor is not null);

            if (seen >= Posts)
            {
                return;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException("The reader's home timeline did not fill.");
    }
}
