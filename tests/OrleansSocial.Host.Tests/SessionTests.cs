using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansSocial.Host.Tests;

public sealed class SessionTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private sealed record Tokens(string Access, string Refresh);

    private static async Task<(string Username, Tokens Tokens)> NewUserAsync(HttpClient client)
    {
        var username = "s_" + Guid.NewGuid().ToString("N")[..12];
        var registered = await client.PostAsJsonAsync(new Uri("/api/v1/accounts", UriKind.Relative),
            new { username, email = $"{username}@example.org", password = "correct horse battery" });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        return (username, await SignInAsync(client, username));
    }

    private static async Task<Tokens> SignInAsync(HttpClient client, string username)
    {
        var response = await client.PostAsJsonAsync(new Uri("/api/v1/sessions", UriKind.Relative), new { login = username, password = "correct horse battery" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Read(await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static Tokens Read(JsonElement body) =>
        new(body.GetProperty("access_token").GetString()!, body.GetProperty("refresh_token").GetString()!);

    private static Task<HttpResponseMessage> RefreshAsync(HttpClient client, string refreshToken) =>
        client.PostAsJsonAsync(new Uri("/api/v1/sessions/refresh", UriKind.Relative), new { refresh_token = refreshToken });

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string accessToken)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task A_refresh_rotates_the_token_and_the_old_one_stops_working()
    {
        using var client = factory.CreateClient();
        var (_, first) = await NewUserAsync(client);

        var rotated = await RefreshAsync(client, first.Refresh);
        var second = Read(await rotated.Content.ReadFromJsonAsync<JsonElement>());
        var me = await SendAsync(client, HttpMethod.Get, "/api/v1/accounts/me", second.Access);

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.NotEqual(first.Refresh, second.Refresh);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }

    [Fact]
    public async Task Reusing_a_rotated_refresh_token_signs_the_whole_session_out()
    {
        using var client = factory.CreateClient();
        var (_, first) = await NewUserAsync(client);
        var second = Read(await (await RefreshAsync(client, first.Refresh)).Content.ReadFromJsonAsync<JsonElement>());

        var replay = await RefreshAsync(client, first.Refresh);
        var legitimate = await RefreshAsync(client, second.Refresh);

        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, legitimate.StatusCode);
    }

    [Fact]
    public async Task Logging_out_stops_the_refresh_token()
    {
        using var client = factory.CreateClient();
        var (_, tokens) = await NewUserAsync(client);

        var logout = await SendAsync(client, HttpMethod.Delete, "/api/v1/sessions/current", tokens.Access);
        var refresh = await RefreshAsync(client, tokens.Refresh);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
    }

    [Fact]
    public async Task Sessions_are_listed_and_revoking_the_others_keeps_only_the_current_one()
    {
        using var client = factory.CreateClient();
        var (username, phone) = await NewUserAsync(client);
        var laptop = await SignInAsync(client, username);

        var listed = await (await SendAsync(client, HttpMethod.Get, "/api/v1/sessions", laptop.Access)).Content.ReadFromJsonAsync<JsonElement>();
        var revoked = await (await SendAsync(client, HttpMethod.Post, "/api/v1/sessions/revoke_others", laptop.Access)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(2, listed.GetArrayLength());
        Assert.Equal(1, listed.EnumerateArray().Count(s => s.GetProperty("current").GetBoolean()));
        Assert.Equal(1, revoked.GetProperty("revoked").GetInt32());
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(client, phone.Refresh)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(client, laptop.Refresh)).StatusCode);
    }

    [Fact]
    public async Task Nobody_can_revoke_another_accounts_session()
    {
        using var client = factory.CreateClient();
        var (_, victim) = await NewUserAsync(client);
        var (_, attacker) = await NewUserAsync(client);
        var victimSessions = await (await SendAsync(client, HttpMethod.Get, "/api/v1/sessions", victim.Access)).Content.ReadFromJsonAsync<JsonElement>();
        var victimSession = victimSessions[0].GetProperty("id").GetString();

        var attempt = await SendAsync(client, HttpMethod.Delete, $"/api/v1/sessions/{victimSession}", attacker.Access);

        Assert.Equal(HttpStatusCode.NotFound, attempt.StatusCode);
        Assert.Equal("application/problem+json", attempt.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(client, victim.Refresh)).StatusCode);
    }

    [Fact]
    public async Task An_unknown_refresh_token_is_refused()
    {
        using var client = factory.CreateClient();

        var response = await RefreshAsync(client, "not-a-real-token");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

public sealed class PasswordChangeTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private static async Task<JsonElement> PostJsonAsync(HttpClient client, string path, object body, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var response = await client.SendAsync(request);
        return response.Content.Headers.ContentLength == 0
            ? JsonDocument.Parse($"{{\"status\":{(int)response.StatusCode}}}").RootElement
            : await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Changing_the_password_needs_the_current_one_and_signs_out_other_sessions()
    {
        using var client = factory.CreateClient();
        var username = "p_" + Guid.NewGuid().ToString("N")[..12];
        await PostJsonAsync(client, "/api/v1/accounts", new { username, email = $"{username}@example.org", password = "correct horse battery" });
        var phone = await PostJsonAsync(client, "/api/v1/sessions", new { login = username, password = "correct horse battery" });
        var laptop = await PostJsonAsync(client, "/api/v1/sessions", new { login = username, password = "correct horse battery" });
        var laptopToken = laptop.GetProperty("access_token").GetString();

        var wrong = await PostJsonAsync(client, "/api/v1/accounts/me/password",
            new { current_password = "not my password", new_password = "a brand new secret" }, laptopToken);
        var changed = await PostJsonAsync(client, "/api/v1/accounts/me/password",
            new { current_password = "correct horse battery", new_password = "a brand new secret" }, laptopToken);
        var phoneRefresh = await client.PostAsJsonAsync(new Uri("/api/v1/sessions/refresh", UriKind.Relative),
            new { refresh_token = phone.GetProperty("refresh_token").GetString() });
        var laptopRefresh = await client.PostAsJsonAsync(new Uri("/api/v1/sessions/refresh", UriKind.Relative),
            new { refresh_token = laptop.GetProperty("refresh_token").GetString() });
        var oldLogin = await client.PostAsJsonAsync(new Uri("/api/v1/sessions", UriKind.Relative), new { login = username, password = "correct horse battery" });
        var newLogin = await client.PostAsJsonAsync(new Uri("/api/v1/sessions", UriKind.Relative), new { login = username, password = "a brand new secret" });

        Assert.True(wrong.GetProperty("errors").TryGetProperty("current_password", out _));
        Assert.Equal(204, changed.GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.Unauthorized, phoneRefresh.StatusCode);
        Assert.Equal(HttpStatusCode.OK, laptopRefresh.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, oldLogin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, newLogin.StatusCode);
    }
}

/// <summary>The host configured with a first administrator.</summary>
public class AdminFactory : SocialFactory
{
    private readonly string _connectionString = OrleansSocial.TestInfrastructure.PostgresServer.Instance.CreateDatabase("admin");

    public const string AdminPassword = "an admin passphrase";

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("ConnectionStrings:Postgres", _connectionString);
        // Hosts in one test process share in-memory streams per cluster: each gets its own, so user ids of other databases never collide.
        builder.UseSetting("Cluster:ClusterId", "test-" + Guid.NewGuid().ToString("N"));
        builder.UseSetting("Auth:SigningKey", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        builder.UseSetting("Auth:Admin:Username", "root_admin");
        builder.UseSetting("Auth:Admin:Email", "admin@example.org");
        builder.UseSetting("Auth:Admin:Password", AdminPassword);
    }
}

public sealed class AdminTests(AdminFactory factory) : IClassFixture<AdminFactory>
{
    [Fact]
    public async Task The_first_admin_comes_from_configuration_and_registration_never_makes_one()
    {
        using var client = factory.CreateClient();
        var login = await client.PostAsJsonAsync(new Uri("/api/v1/sessions", UriKind.Relative), new { login = "root_admin", password = AdminFactory.AdminPassword });
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/v1/accounts/me");
        me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var admin = await (await client.SendAsync(me)).Content.ReadFromJsonAsync<JsonElement>();
        var sneaky = await client.PostAsJsonAsync(new Uri("/api/v1/accounts", UriKind.Relative),
            new { username = "wannabe_admin", email = "w@example.org", password = "correct horse battery", role = "admin" });

        Assert.Equal("admin", admin.GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, sneaky.StatusCode);
    }
}
