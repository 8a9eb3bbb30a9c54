using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Bench;

/// <summary>
/// The product's own executable deployed as processes, the way operators run it: silos (role <c>silo</c>) and a front
/// end (role <c>frontend</c>, an Orleans client finding the gateways in Redis), over a database of its own.
/// </summary>
internal sealed class HostDeployment : IAsyncDisposable
{
    private HostDeployment(List<HostProcess> silos, HostProcess frontEnd)
    {
        (Silos, FrontEnd) = (silos, frontEnd);
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = FrontendBenchmark.Concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = frontEnd.BaseAddress,
            Timeout = TimeSpan.FromSeconds(20),
        };
    }

    public IReadOnlyList<HostProcess> Silos { get; }

    public HostProcess FrontEnd { get; }

    public HttpClient Http { get; }

    public static async Task<HostDeployment> StartAsync(string name, int silos)
    {
        var host = Environment.GetEnvironmentVariable("ORLEANSSOCIAL_HOST_DLL")
            ?? throw new InvalidOperationException("ORLEANSSOCIAL_HOST_DLL names the Host assembly (./build.sh bench sets it).");
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = PostgresServer.Instance.CreateDatabase(name),
            ["ConnectionStrings:Redis"] = RedisServer.Instance.Configuration,
            ["Cluster:ClusterId"] = name + "-" + Guid.NewGuid().ToString("N")[..8],
            ["Auth:SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Accounts:RequireVerifiedEmail"] = "false",
            ["Api:RateLimit:PermitsPerMinutePerIp"] = "100000000",
            ["Api:RateLimit:AuthPermitsPerMinutePerIp"] = "100000000",
            ["Api:RateLimit:PermitsPerMinutePerUser"] = "100000000",
        };
        var started = new List<HostProcess>();
        try
        {
            for (var i = 0; i < silos; i++)
            {
                started.Add(await HostProcess.StartAsync("silo", settings, assemblyPath: host));
            }

            return new HostDeployment(started, await HostProcess.StartAsync("frontend", settings, assemblyPath: host));
        }
        catch
        {
            foreach (var silo in started)
            {
                await silo.DisposeAsync();
            }

            throw;
        }
    }

    public static HttpRequestMessage Request(HttpMethod method, string path, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = Request(method, path, token, body);
        return await Http.SendAsync(request);
    }

    /// <summary>Signs a new account up through the API and returns its access token.</summary>
    public async Task<string> SignUpAsync(string prefix)
    {
        var username = prefix + "_" + Guid.NewGuid().ToString("N")[..8];
        const string Password = "correct horse battery staple 42";
        using (var created = await SendAsync(HttpMethod.Post, "/api/v1/accounts", null, new { username, email = $"{username}@example.org", password = Password }))
        {
            created.EnsureSuccessStatusCode();
        }

        using var session = await SendAsync(HttpMethod.Post, "/api/v1/sessions", null, new { login = username, password = Password });
        session.EnsureSuccessStatusCode();
        return (await session.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await FrontEnd.DisposeAsync();
        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }
    }
}
