using System.Net;

namespace OrleansSocial.Host.Tests;

/// <summary>
/// Every post visibility × the viewer's relationship to the author × author privacy × endpoint (and the profile and
/// search lists): the outcome is what the
/// policy says, written out here by hand (not computed with the policy under test).
/// </summary>
public sealed class VisibilityMatrixTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private static bool Expected(bool privateAccount, string visibility, string viewer) => viewer switch
    {
        "self" => true,
        "blocked" or "blocking" => false,
        "follower" => visibility is "public" or "followers",
        "stranger" or "anonymous" => visibility == "public" && !privateAccount,
        _ => throw new ArgumentOutOfRangeException(nameof(viewer)),
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_endpoint_shows_a_post_exactly_to_the_viewers_the_policy_allows(bool privateAccount)
    {
        using var client = factory.CreateClient();
        var users = await factory.Services.QuickUsersAsync(5, "vm");
        var (author, follower, stranger, blocked, blocking) = (users[0], users[1], users[2], users[3], users[4]);
        if (privateAccount)
        {
            await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { is_private = true }, author.AccessToken);
        }

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        if (privateAccount)
        {
            Assert.Equal(HttpStatusCode.OK,
                (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/follow_requests/{follower.Id}/authorize", token: author.AccessToken)).StatusCode);
        }

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{blocked.Id}/block", token: author.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/block", token: blocking.AccessToken);
        var viewers = new Dictionary<string, TestUser?>
        {
            ["self"] = author, ["follower"] = follower, ["stranger"] = stranger, ["blocked"] = blocked, ["blocking"] = blocking, ["anonymous"] = null,
        };

        var failures = new List<string>();
        foreach (var visibility in new[] { "public", "followers", "private" })
        {
            var word = "mx" + Guid.NewGuid().ToString("N")[..10];
            var created = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = $"a {visibility} post {word}", visibility }, author.AccessToken)).JsonAsync();
            var post = created.GetProperty("id").GetString();
            foreach (var (name, viewer) in viewers)
            {
                var expected = Expected(privateAccount, visibility, name) ? HttpStatusCode.OK : HttpStatusCode.NotFound;
                var token = viewer?.AccessToken;
                var checks = new List<(string Endpoint, HttpMethod Method, string Path)>
                {
                    ("get", HttpMethod.Get, $"/api/v1/posts/{post}"),
                    ("liked_by", HttpMethod.Get, $"/api/v1/posts/{post}/liked_by"),
                    ("reposted_by", HttpMethod.Get, $"/api/v1/posts/{post}/reposted_by"),
                    ("history", HttpMethod.Get, $"/api/v1/posts/{post}/history"),
                    ("comments", HttpMethod.Get, $"/api/v1/posts/{post}/comments"),
                };
                if (viewer is not null)
                {
                    checks.Add(("like", HttpMethod.Post, $"/api/v1/posts/{post}/like"));
                    checks.Add(("bookmark", HttpMethod.Post, $"/api/v1/posts/{post}/bookmark"));
                    checks.Add(("comment", HttpMethod.Post, $"/api/v1/posts/{post}/comments"));
                }

                foreach (var (endpoint, method, path) in checks)
                {
                    var body = endpoint == "comment" ? new { text = "hello" } : null;
                    var status = (await client.SendJsonAsync(method, path, body, token)).StatusCode;
                    if (status == HttpStatusCode.Created)
                    {
                        status = HttpStatusCode.OK;
                    }

                    if (status != expected)
                    {
                        failures.Add($"{(privateAccount ? "private" : "public")} account, {visibility} post, {name}, {endpoint}: {status}, expected {expected}");
                    }
                }

                // Lists: the post is in the author's profile timeline and in search results exactly when the viewer may see it.
                var lists = new (string Endpoint, string Path, Func<System.Text.Json.JsonElement, IEnumerable<System.Text.Json.JsonElement>> Items)[]
                {
                    ("profile posts", $"/api/v1/accounts/{author.Id}/posts", body => body.EnumerateArray()),
                    ("search", $"/api/v1/search?type=posts&q={word}", body => body.GetProperty("posts").EnumerateArray()),
                };
                foreach (var (endpoint, path, items) in lists)
                {
                    var response = await client.SendJsonAsync(HttpMethod.Get, path, null, token);
                    var shown = response.StatusCode == HttpStatusCode.OK
                        && items(await response.JsonAsync()).Any(i => i.GetProperty("post").GetProperty("id").GetString() == post);
                    if (shown != (expected == HttpStatusCode.OK))
                    {
                        failures.Add($"{(privateAccount ? "private" : "public")} account, {visibility} post, {name}, {endpoint}: shown {shown}, status {response.StatusCode}");
                    }
                }
            }
        }

        Assert.Empty(failures);
    }
}
