using System.Net;

namespace OrleansSocial.Host.Tests;

/// <summary>The host with the production default: an unconfirmed email address holds back what reaches other people.</summary>
public sealed class VerifiedEmailFactory : AccountsFactory
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Accounts:RequireVerifiedEmail"] = "true",
    };
}

public sealed class VerifiedEmailTests(VerifiedEmailFactory factory) : IClassFixture<VerifiedEmailFactory>
{
    [Fact]
    public async Task An_unverified_account_signs_in_and_reads_but_cannot_post_repost_comment_message_or_follow_until_it_confirms()
    {
        using var client = factory.CreateClient();
        var other = (await factory.Services.QuickUsersAsync(1, "ve"))[0];
        var otherPost = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "hello from a confirmed account" }, other.AccessToken))
            .JsonAsync()).GetProperty("id").GetString();
        var user = await client.NewUserAsync("unv");
        var otherId = other.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var held = new (string Action, HttpMethod Method, string Path, object? Body)[]
        {
            ("post", HttpMethod.Post, "/api/v1/posts", new { text = "first!" }),
            ("repost", HttpMethod.Post, $"/api/v1/posts/{otherPost}/repost", null),
            ("comment", HttpMethod.Post, $"/api/v1/posts/{otherPost}/comments", new { text = "nice" }),
            ("start a conversation", HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { otherId } }),
            ("follow", HttpMethod.Post, $"/api/v1/accounts/{otherId}/follow", null),
        };

        // Reading works.
        Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: user.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{otherPost}", token: user.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: user.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{otherPost}/like", token: user.AccessToken)).StatusCode);
        foreach (var (action, method, path, body) in held)
        {
            var refused = await client.SendJsonAsync(method, path, body, user.AccessToken);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{action}: {refused.StatusCode}");
            Assert.Equal("email_unverified", (await refused.JsonAsync()).GetProperty("reason").GetString());
        }

        // A message in a conversation someone else started is held too.
        var started = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations",
            new { participant_ids = new[] { user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, other.AccessToken)).JsonAsync()).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{started}/messages",
            new { client_id = "c1", text = "hi" }, user.AccessToken)).StatusCode);
        Assert.Empty((await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{user.Id}/posts")).JsonAsync()).EnumerateArray());

        // A new link, then the confirmation: the same (older) access token may act at once.
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/verify_email", token: user.AccessToken)).StatusCode);
        var token = await ApiClient.WaitForEmailedTokenAsync(factory.ConnectionString, user.Email, "Confirm", previous: 1);
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/verify_email", new { token })).StatusCode);
        foreach (var (action, method, path, body) in held)
        {
            var allowed = await client.SendJsonAsync(method, path, body, user.AccessToken);
            Assert.True(allowed.IsSuccessStatusCode, $"{action} after confirming: {allowed.StatusCode} {await allowed.Content.ReadAsStringAsync()}");
        }
    }
}
