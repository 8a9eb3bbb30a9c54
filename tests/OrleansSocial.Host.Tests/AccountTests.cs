using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>The host with accounts: PostgreSQL (a database of its own) and a fixed signing key.</summary>
public class AccountsFactory : WebApplicationFactory<Program>
{
    /// <summary>Settings a derived factory adds (feature options under test).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public string ConnectionString { get; } = PostgresServer.Instance.CreateDatabase("accounts");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", ConnectionString);
        // Hosts in one test process share in-memory streams per cluster: each gets its own, so user ids of other databases never collide.
        builder.UseSetting("Cluster:ClusterId", "test-" + Guid.NewGuid().ToString("N"));
        builder.UseSetting("Auth:SigningKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        builder.UseSetting("Api:RateLimit:AuthPermitsPerMinutePerIp", "100000");
        builder.UseSetting("Api:RateLimit:PermitsPerMinutePerIp", "100000");
        builder.UseSetting("Api:RateLimit:PermitsPerMinutePerUser", "100000");
        // Users signed up through the API post, follow and message at once; VerifiedEmailTests runs with the default (on).
        builder.UseSetting("Accounts:RequireVerifiedEmail", "false");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

public sealed class AccountTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{

    private static string NewUsername() => "user_" + Guid.NewGuid().ToString("N")[..12];

    private static async Task<HttpResponseMessage> RegisterAsync(HttpClient client, string username, string email, string password) =>
        await client.PostAsJsonAsync(new Uri("/api/v1/accounts", UriKind.Relative), new { username, email, password });

    private static async Task<HttpResponseMessage> LoginAsync(HttpClient client, string login, string password) =>
        await client.PostAsJsonAsync(new Uri("/api/v1/sessions", UriKind.Relative), new { login, password });

    [Fact]
    public async Task A_new_user_registers_logs_in_and_reads_their_account()
    {
        using var client = factory.CreateClient();
        var username = NewUsername();

        var registered = await RegisterAsync(client, username, $"{username}@example.org", "correct horse battery");
        var login = await LoginAsync(client, username, "correct horse battery");
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/v1/accounts/me");
        me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var account = await (await client.SendAsync(me)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(username, account.GetProperty("username").GetString());
        Assert.Equal("user", account.GetProperty("role").GetString());
    }

    [Fact]
    public async Task Usernames_are_unique_regardless_of_case()
    {
        using var client = factory.CreateClient();
        var username = NewUsername();
        await RegisterAsync(client, username, $"{username}@example.org", "correct horse battery");

        var again = await RegisterAsync(client, username.ToUpperInvariant(), $"other-{username}@example.org", "correct horse battery");
        var problem = await again.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        Assert.Equal("username", problem.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("short", "password")]
    [InlineData("qwertyuiop", "password")]
    [InlineData("aaaaaaaaaaaa", "password")]
    public async Task Weak_passwords_are_refused_naming_the_field(string password, string field)
    {
        using var client = factory.CreateClient();
        var username = NewUsername();

        var response = await RegisterAsync(client, username, $"{username}@example.org", password);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Five_failed_logins_lock_the_account_without_revealing_it()
    {
        using var client = factory.CreateClient();
        var username = NewUsername();
        await RegisterAsync(client, username, $"{username}@example.org", "correct horse battery");

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(client, username, "wrong password " + i)).StatusCode);
        }

        var locked = await LoginAsync(client, username, "correct horse battery");
        var unknown = await LoginAsync(client, NewUsername(), "correct horse battery");

        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        Assert.Equal(await unknown.Content.ReadFromJsonAsync<JsonElement>() is var u ? u.GetProperty("title").GetString() : null,
            (await locked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task The_account_endpoint_refuses_requests_without_a_valid_token()
    {
        using var client = factory.CreateClient();
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/api/v1/accounts/me");
        forged.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl");

        var anonymous = await client.GetAsync(new Uri("/api/v1/accounts/me", UriKind.Relative));
        var withForged = await client.SendAsync(forged);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withForged.StatusCode);
    }

    [Fact]
    public async Task Unknown_fields_and_malformed_json_are_400_problems()
    {
        using var client = factory.CreateClient();

        var unknownField = await client.PostAsJsonAsync(new Uri("/api/v1/accounts", UriKind.Relative),
            new { username = NewUsername(), email = "x@example.org", password = "correct horse battery", admin = true });
        using var malformed = new StringContent("{\"username\": ", System.Text.Encoding.UTF8, "application/json");
        var broken = await client.PostAsync(new Uri("/api/v1/accounts", UriKind.Relative), malformed);
        using var text = new StringContent("username=x", System.Text.Encoding.UTF8, "text/plain");
        var wrongType = await client.PostAsync(new Uri("/api/v1/accounts", UriKind.Relative), text);

        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.Equal("application/problem+json", unknownField.Content.Headers.ContentType?.MediaType);
        Assert.Equal("admin", (await unknownField.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Equal("application/problem+json", broken.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        Assert.Equal("application/problem+json", wrongType.Content.Headers.ContentType?.MediaType);
    }
}
