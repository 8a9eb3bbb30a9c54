using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace OrleansSocial.Host.Tests;

/// <summary>A front end on a real port, reading revocations often, with a signing key a second front end can share.</summary>
public sealed class RevocationFactory : AccountsFactory
{
    public static readonly string SharedKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public RevocationFactory() => UseKestrel(0);

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Auth:SigningKey"] = SharedKey,
        ["Auth:RevocationPollInterval"] = "00:00:00.200",
    };
}

/// <summary>Another front end on the same database and key: a token signed out on the first must stop working here too.</summary>
public sealed class PeerFrontEnd(string connectionString) : AccountsFactory
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["ConnectionStrings:Postgres"] = connectionString,
        ["Auth:SigningKey"] = RevocationFactory.SharedKey,
        ["Auth:RevocationPollInterval"] = "00:00:00.200",
    };
}

public sealed class RevocationTests : IClassFixture<RevocationFactory>
{
    private static readonly string ClientDirectory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../signalr-client"));
    private readonly RevocationFactory _factory;

    public RevocationTests(RevocationFactory factory)
    {
        _factory = factory;
        _factory.StartServer();
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, HttpMethod method, string path, string token) =>
        (await client.SendJsonAsync(method, path, token: token)).StatusCode;

    private static async Task<string> SessionIdAsync(HttpClient client, string token) =>
        (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/sessions", token: token)).JsonAsync()).EnumerateArray()
        .Single(s => s.GetProperty("current").GetBoolean()).GetProperty("id").GetString()!;

    [Fact]
    public async Task Logout_revoke_revoke_others_password_change_and_refresh_reuse_stop_those_access_tokens_at_once()
    {
        using var client = _factory.CreateClient();
        var user = await client.NewUserAsync("rv");
        var sessions = new List<(string Access, string Refresh)> { (user.AccessToken, user.RefreshToken) };
        for (var i = 0; i < 5; i++)
        {
            sessions.Add(await client.SignInAsync(user.Username, user.Password));
        }

        var (main, loggedOut, revoked, other, reused, spare) = (sessions[0], sessions[1], sessions[2], sessions[3], sessions[4], sessions[5]);
        foreach (var session in sessions)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, HttpMethod.Get, "/api/v1/accounts/me", session.Access));
        }

        // Logout: the token can no longer read, nor list or revoke sessions.
        Assert.Equal(HttpStatusCode.NoContent, await StatusAsync(client, HttpMethod.Delete, "/api/v1/sessions/current", loggedOut.Access));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, HttpMethod.Get, "/api/v1/accounts/me", loggedOut.Access));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, HttpMethod.Get, "/api/v1/sessions", loggedOut.Access));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, HttpMethod.Post, "/api/v1/sessions/revoke_others", loggedOut.Access));

        // One session revoked from another.
        var revokedId = await SessionIdAsync(client, revoked.Access);
        Assert.Equal(HttpStatusCode.NoContent, await StatusAsync(client, HttpMethod.Delete, $"/api/v1/sessions/{revokedId}", main.Access));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, HttpMethod.Get, "/api/v1/accounts/me", revoked.Access));

        // A refresh token presented twice signs its session out, access token included.
        var rotated = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/refresh", new { refresh_token = reused.Refresh });
        var replayed = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/refresh", new { refresh_token = reused.Refresh });
        var rotatedAccess = (await rotated.JsonAsync()).GetProperty("access_token").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, HttpMethod.Get, "/api/v1/accounts/me", reused.Access));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, HttpMethod.Get, "/api/v1/accounts/me", rotatedAccess));

        // A password change keeps the session that made it and signs out the others.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, HttpMethod.Get, "/api/v1/accounts/me", other.Access));
        var changed = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/password",
            new { current_password = user.Password, new_password = "another horse battery staple" }, main.Access);
        Assert.True(changed.IsSuccessStatusCode, await changed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, HttpMethod.Get, "/api/v1/accounts/me", main.Access));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, HttpMethod.Get, "/api/v1/accounts/me", other.Access));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, HttpMethod.Get, "/api/v1/accounts/me", spare.Access));
    }

    [Fact]
    public async Task A_session_signed_out_on_one_front_end_stops_working_on_another_within_seconds()
    {
        await using var peer = new PeerFrontEnd(_factory.ConnectionString);
        using var here = _factory.CreateClient();
        using var there = peer.CreateClient();
        var user = await here.NewUserAsync("rp");
        var kept = await here.SignInAsync(user.Username, user.Password);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(there, HttpMethod.Get, "/api/v1/accounts/me", user.AccessToken));

        Assert.Equal(HttpStatusCode.NoContent, await StatusAsync(here, HttpMethod.Delete, "/api/v1/sessions/current", user.AccessToken));
        var elapsed = Stopwatch.StartNew();
        var status = HttpStatusCode.OK;
        while (elapsed.Elapsed < TimeSpan.FromSeconds(10) && (status = await StatusAsync(there, HttpMethod.Get, "/api/v1/accounts/me", user.AccessToken)) == HttpStatusCode.OK)
        {
            await Task.Delay(50);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(there, HttpMethod.Get, "/api/v1/accounts/me", kept.Access));
    }

    [Fact]
    public async Task A_signed_out_sessions_javascript_signalr_connection_is_closed()
    {
        using var client = _factory.CreateClient();
        var user = await client.NewUserAsync("rh");
        var info = new ProcessStartInfo("node") { WorkingDirectory = ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "closed.mjs", new Uri(_factory.ClientOptions.BaseAddress, "/hubs/events").ToString(), user.AccessToken, "20000" })
        {
            info.ArgumentList.Add(argument);
        }

        using var js = Process.Start(info)!;
        Assert.Equal("connected", await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        await client.SendJsonAsync(HttpMethod.Delete, "/api/v1/sessions/current", token: user.AccessToken);
        var line = await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(line == "closed", await js.StandardError.ReadToEndAsync());
    }
}
