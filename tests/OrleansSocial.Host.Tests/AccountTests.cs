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
/// <summary>
/// The whole product in this test process (role <c>all</c>: a one-silo localhost cluster and the front end), on ports of
/// its own so that test classes run side by side.
/// </summary>
public class SocialFactory : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var ports = ServerProcess.FreePorts(2);
        builder.UseSetting("Silo:Port", ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Silo:GatewayPort", ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public class AccountsFactory : SocialFactory
{
    /// <summary>Settings a derived factory adds (feature options under test).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public string ConnectionString { get; } = PostgresServer.Instance.CreateDatabase("accounts");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
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

    // A sign-in from a client at <paramref name="ip"/>.
    private async Task<(HttpStatusCode Status, JsonElement Body)> LoginFromAsync(string ip, string login, string password)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { login, password });
        var context = await factory.Server.SendAsync(c =>
        {
            c.Request.Method = "POST";
            c.Request.Path = "/api/v1/sessions";
            c.Request.ContentType = "application/json";
            c.Request.ContentLength = body.Length;
            c.Request.Body = new MemoryStream(body);
            c.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>(new HasBody());
            c.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(ip);
        });
        using var reader = new StreamReader(context.Response.Body);
        var text = await reader.ReadToEndAsync();
        return ((HttpStatusCode)context.Response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone());
    }

    private sealed class HasBody : Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => true;
    }

    private async Task<(int Failures, TimeSpan Delay)> FailuresAsync(string username, string source)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(factory.ConnectionString);
        await using var command = db.CreateCommand("""
            SELECT f.failures, f.locked_until - f.last_failed_at FROM login_failures f JOIN accounts a ON a.id = f.account_id
            WHERE a.username = $1 AND f.source = $2
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = username });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = source });
        await using var r = await command.ExecuteReaderAsync();
        return await r.ReadAsync() ? (r.GetInt32(0), r.IsDBNull(1) ? TimeSpan.Zero : r.GetFieldValue<TimeSpan>(1)) : (0, TimeSpan.Zero);
    }

    [Fact]
    public async Task Failed_sign_ins_hold_back_only_their_source_with_growing_delays_and_the_owner_gets_a_link_that_lifts_them()
    {
        using var client = factory.CreateClient();
        var username = NewUsername();
        var email = $"{username}@example.org";
        await RegisterAsync(client, username, email, "correct horse battery");
        const string Attacker = "203.0.113.9";
        const string Owner = "198.51.100.4";

        for (var i = 0; i < 5; i++)
        {
            var failed = await LoginFromAsync(Attacker, username, "wrong password " + i);
            Assert.True(failed.Status == HttpStatusCode.Unauthorized, failed.Body.ToString());
        }

        var attackerRight = await LoginFromAsync(Attacker, username, "correct horse battery");
        var ownerRight = await LoginFromAsync(Owner, username, "correct horse battery");
        var afterFive = await FailuresAsync(username, Attacker);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await LoginFromAsync(Attacker, username, "wrong password 5");
        var afterSix = await FailuresAsync(username, Attacker);
        var link = await ApiClient.WaitForEmailedTokenAsync(factory.ConnectionString, email, "Sign in");
        var signedIn = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/link", new { token = link });
        var again = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/link", new { token = link });
        var attackerAfterLink = await LoginFromAsync(Attacker, username, "correct horse battery");

        Assert.Equal(HttpStatusCode.Unauthorized, attackerRight.Status); // held back, whatever the password
        Assert.Equal(HttpStatusCode.OK, ownerRight.Status);              // the owner, elsewhere, is not
        Assert.Equal((5, TimeSpan.FromSeconds(1)), afterFive);
        Assert.Equal((6, TimeSpan.FromSeconds(2)), afterSix);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.False(string.IsNullOrEmpty((await signedIn.JsonAsync()).GetProperty("access_token").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, attackerAfterLink.Status);
    }

    [Fact]
    public async Task Five_failed_logins_hold_back_their_source_without_revealing_it()
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
