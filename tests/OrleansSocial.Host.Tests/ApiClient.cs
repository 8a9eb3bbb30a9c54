using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace OrleansSocial.Host.Tests;

/// <summary>A signed-up, signed-in test user.</summary>
public sealed record TestUser(long Id, string Username, string Email, string Password, string AccessToken, string RefreshToken);

/// <summary>Calls the REST API the way an app does.</summary>
public static partial class ApiClient
{
    public const string Password = "correct horse battery";

    public static async Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string path, object? body = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await client.SendAsync(request);
    }

    /// <summary>The body as JSON; an empty object for an empty body.</summary>
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
    }

    /// <summary>Registers a fresh account and signs it in.</summary>
    public static async Task<TestUser> NewUserAsync(this HttpClient client, string prefix = "u")
    {
        var username = prefix + "_" + Guid.NewGuid().ToString("N")[..12];
        var email = $"{username}@example.org";
        var created = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts", new { username, email, password = Password });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = long.Parse((await created.JsonAsync()).GetProperty("id").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var tokens = await SignInAsync(client, username, Password);
        return new TestUser(id, username, email, Password, tokens.Access, tokens.Refresh);
    }

    /// <summary>
    /// Many accounts at once, created in the store with tokens issued directly: a real sign-up hashes the password
    /// (PBKDF2), which would make hundreds of users take minutes. They cannot log in with a password.
    /// </summary>
    public static async Task<IReadOnlyList<TestUser>> QuickUsersAsync(this IServiceProvider services, int count, string prefix = "q")
    {
        var store = services.GetRequiredService<OrleansSocial.Api.Accounts.AccountStore>();
        var tokens = services.GetRequiredService<OrleansSocial.Api.Accounts.TokenService>();
        var batch = Guid.NewGuid().ToString("N")[..8];
        var users = new List<TestUser>();
        for (var i = 0; i < count; i++)
        {
            var (account, _) = await store.CreateAsync($"{prefix}{batch}_{i}", $"{prefix}{batch}_{i}@example.org", "not-a-usable-hash", default);
            await store.MarkEmailVerifiedAsync(account!.Id, account.Email, default); // confirmed, as active users are
            users.Add(new TestUser(account.Id, account.Username, account.Email, "", tokens.IssueAccessToken(account with { EmailVerified = true }, Guid.NewGuid()), ""));
        }

        return users;
    }

    public static async Task<(string Access, string Refresh)> SignInAsync(this HttpClient client, string login, string password)
    {
        var response = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login, password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        return (body.GetProperty("access_token").GetString()!, body.GetProperty("refresh_token").GetString()!);
    }

    /// <summary>
    /// Waits for the newest development-outbox mail to <paramref name="to"/> whose subject contains
    /// <paramref name="subject"/> and returns the token in its link.
    /// </summary>
    public static async Task<string> WaitForEmailedTokenAsync(string connectionString, string to, string subject, int previous = 0)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            await using var command = db.CreateCommand("SELECT body FROM email_outbox WHERE to_address = $1 AND subject LIKE $2 ORDER BY id");
            command.Parameters.Add(new NpgsqlParameter { Value = to });
            command.Parameters.Add(new NpgsqlParameter { Value = $"%{subject}%" });
            var bodies = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    bodies.Add(reader.GetString(0));
                }
            }

            if (bodies.Count > previous)
            {
                return TokenInLink(bodies[^1]);
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No '{subject}' email to {to} in the outbox.");
    }

    public static string TokenInLink(string body) => LinkToken().Match(body) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"No token in: {body}");

    [GeneratedRegex(@"\?token=([A-Za-z0-9_-]+)")]
    private static partial Regex LinkToken();
}
