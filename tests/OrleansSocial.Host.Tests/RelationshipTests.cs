using System.Net;
using System.Text.Json;

namespace OrleansSocial.Host.Tests;

public sealed class RelationshipTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private static Task<HttpResponseMessage> ActAsync(HttpClient client, TestUser actor, string action, TestUser target, object? body = null) =>
        client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{target.Id}/{action}", body, actor.AccessToken);

    private static async Task<JsonElement> RelationshipAsync(HttpClient client, TestUser actor, string action, TestUser target, object? body = null)
    {
        var response = await ActAsync(client, actor, action, target, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    private static async Task<JsonElement> AccountAsync(HttpClient client, TestUser viewer, TestUser account) =>
        await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{account.Id}", token: viewer.AccessToken)).JsonAsync();

    private static async Task MakePrivateAsync(HttpClient client, TestUser user) =>
        Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { is_private = true }, user.AccessToken)).StatusCode);

    private static async Task<string[]> UsernamesAsync(HttpClient client, string path, TestUser viewer)
    {
        var response = await client.SendJsonAsync(HttpMethod.Get, path, token: viewer.AccessToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.JsonAsync()).EnumerateArray().Select(a => a.GetProperty("username").GetString()!).ToArray();
    }

    [Fact]
    public async Task Following_a_public_account_takes_effect_at_once_and_repeating_it_changes_nothing()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("rel");
        var bob = await client.NewUserAsync("rel");

        var first = await RelationshipAsync(client, alice, "follow", bob);
        var again = await RelationshipAsync(client, alice, "follow", bob);
        var bobSeen = await AccountAsync(client, alice, bob);
        var aliceSeen = await AccountAsync(client, bob, alice);
        var bobsView = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/relationships?id={alice.Id}", token: bob.AccessToken)).JsonAsync();

        Assert.True(first.GetProperty("following").GetBoolean());
        Assert.False(first.GetProperty("requested").GetBoolean());
        Assert.True(again.GetProperty("following").GetBoolean());
        Assert.Equal(1, bobSeen.GetProperty("followers_count").GetInt64());
        Assert.Equal(1, aliceSeen.GetProperty("following_count").GetInt64());
        Assert.True(bobsView[0].GetProperty("followed_by").GetBoolean());
        Assert.Equal([alice.Username], await UsernamesAsync(client, $"/api/v1/accounts/{bob.Id}/followers", bob));
    }

    [Fact]
    public async Task A_private_account_gets_a_request_it_can_approve_and_only_then_shows_its_followers()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("rel");
        var bob = await client.NewUserAsync("rel");
        await MakePrivateAsync(client, bob);

        var requested = await RelationshipAsync(client, alice, "follow", bob);
        var hiddenBefore = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{bob.Id}/followers", token: alice.AccessToken);
        var requests = await UsernamesAsync(client, "/api/v1/follow_requests", bob);
        var approved = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/follow_requests/{alice.Id}/authorize", token: bob.AccessToken);
        var after = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/relationships?id={bob.Id}", token: alice.AccessToken)).JsonAsync();
        var followers = await UsernamesAsync(client, $"/api/v1/accounts/{bob.Id}/followers", alice);

        Assert.True(requested.GetProperty("requested").GetBoolean());
        Assert.False(requested.GetProperty("following").GetBoolean());
        Assert.Equal(HttpStatusCode.Forbidden, hiddenBefore.StatusCode);
        Assert.Equal("application/problem+json", hiddenBefore.Content.Headers.ContentType?.MediaType);
        Assert.Equal([alice.Username], requests);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.True(after[0].GetProperty("following").GetBoolean());
        Assert.False(after[0].GetProperty("requested").GetBoolean());
        Assert.Equal([alice.Username], followers);
        Assert.Empty(await UsernamesAsync(client, "/api/v1/follow_requests", bob));
        Assert.Equal(1, (await AccountAsync(client, alice, bob)).GetProperty("followers_count").GetInt64());
    }

    [Fact]
    public async Task A_requester_can_withdraw_and_the_owner_can_reject_a_follow_request()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("rel");
        var carol = await client.NewUserAsync("rel");
        var bob = await client.NewUserAsync("rel");
        await MakePrivateAsync(client, bob);
        await RelationshipAsync(client, alice, "follow", bob);
        await RelationshipAsync(client, carol, "follow", bob);

        var withdrawn = await RelationshipAsync(client, alice, "unfollow", bob);
        var rejected = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/follow_requests/{carol.Id}/reject", token: bob.AccessToken);
        var rejectAgain = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/follow_requests/{carol.Id}/reject", token: bob.AccessToken);
        var carolNow = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/relationships?id={bob.Id}", token: carol.AccessToken)).JsonAsync();

        Assert.False(withdrawn.GetProperty("requested").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, rejectAgain.StatusCode);
        Assert.False(carolNow[0].GetProperty("requested").GetBoolean());
        Assert.False(carolNow[0].GetProperty("following").GetBoolean());
        Assert.Empty(await UsernamesAsync(client, "/api/v1/follow_requests", bob));
    }

    [Fact]
    public async Task Following_yourself_is_a_bad_request_naming_the_id_and_a_missing_account_is_not_found()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("rel");

        var self = await ActAsync(client, alice, "follow", alice);
        var missing = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{long.MaxValue}/follow", token: alice.AccessToken);

        Assert.Equal(HttpStatusCode.BadRequest, self.StatusCode);
        Assert.True((await self.JsonAsync()).GetProperty("errors").TryGetProperty("id", out _));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Blocking_ends_follows_both_ways_and_requests_and_the_blocked_side_can_neither_follow_nor_see_the_profile()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("rel");
        var bob = await client.NewUserAsync("rel");
        await RelationshipAsync(client, alice, "follow", bob);
        await RelationshipAsync(client, bob, "follow", alice);

        var blocked = await RelationshipAsync(client, alice, "block", bob);
        var bobFollows = await ActAsync(client, bob, "follow", alice);
        var bobSeesAlice = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{alice.Id}", token: bob.AccessToken);
        var bobSeesFollowers = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{alice.Id}/followers", token: bob.AccessToken);
        var bobsView = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/relationships?id={alice.Id}", token: bob.AccessToken)).JsonAsync();

        Assert.True(blocked.GetProperty("blocking").GetBoolean());
        Assert.False(blocked.GetProperty("following").GetBoolean());
        Assert.False(blocked.GetProperty("followed_by").GetBoolean());
        Assert.Equal(HttpStatusCode.Forbidden, bobFollows.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobSeesAlice.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobSeesFollowers.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{bob.Id}", token: alice.AccessToken)).StatusCode);
        Assert.True(bobsView[0].GetProperty("blocked_by").GetBoolean());
        Assert.Equal([bob.Username], await UsernamesAsync(client, "/api/v1/blocks", alice));
        var aliceCounts = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{alice.Id}", token: alice.AccessToken)).JsonAsync();
        Assert.Equal(0, aliceCounts.GetProperty("followers_count").GetInt64());
        Assert.Equal(0, aliceCounts.GetProperty("following_count").GetInt64());

        await RelationshipAsync(client, alice, "unblock", bob);
        Assert.Equal(HttpStatusCode.OK, (await ActAsync(client, bob, "follow", alice)).StatusCode);
    }

    [Fact]
    public async Task Muting_changes_nothing_but_the_mute_and_can_expire()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("rel");
        var bob = await client.NewUserAsync("rel");
        await RelationshipAsync(client, alice, "follow", bob);

        var muted = await RelationshipAsync(client, alice, "mute", bob, new { duration = 3600 });
        var mutes = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/mutes", token: alice.AccessToken)).JsonAsync();
        var badDuration = await ActAsync(client, alice, "mute", bob, new { duration = -5 });
        var unmuted = await RelationshipAsync(client, alice, "unmute", bob);

        Assert.True(muted.GetProperty("muting").GetBoolean());
        Assert.True(muted.GetProperty("following").GetBoolean());
        var expires = muted.GetProperty("muting_expires_at").GetDateTimeOffset();
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddMinutes(55), DateTimeOffset.UtcNow.AddMinutes(65));
        Assert.Equal(bob.Username, mutes[0].GetProperty("username").GetString());
        Assert.Equal(expires, mutes[0].GetProperty("mute_expires_at").GetDateTimeOffset());
        Assert.Equal(HttpStatusCode.BadRequest, badDuration.StatusCode);
        Assert.True((await badDuration.JsonAsync()).GetProperty("errors").TryGetProperty("duration", out _));
        Assert.False(unmuted.GetProperty("muting").GetBoolean());
        Assert.True(unmuted.GetProperty("following").GetBoolean());
    }

    [Fact]
    public async Task Relationships_are_answered_for_each_id_and_bad_ids_are_named()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("rel");
        var bob = await client.NewUserAsync("rel");
        var carol = await client.NewUserAsync("rel");
        await RelationshipAsync(client, alice, "follow", carol);

        var both = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/relationships?id={carol.Id}&id={bob.Id}", token: alice.AccessToken)).JsonAsync();
        var bad = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/relationships?id=abc", token: alice.AccessToken);
        var tooMany = await client.SendJsonAsync(HttpMethod.Get,
            "/api/v1/accounts/relationships?" + string.Join('&', Enumerable.Range(1, 41).Select(i => $"id={i}")), token: alice.AccessToken);
        var anonymous = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/relationships?id={bob.Id}");

        Assert.Equal([carol.Id.ToString(), bob.Id.ToString()], both.EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.True(both[0].GetProperty("following").GetBoolean());
        Assert.False(both[1].GetProperty("following").GetBoolean());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Follower_lists_page_newest_first_through_the_link_header_without_gaps_or_repeats()
    {
        using var client = factory.CreateClient();
        var star = await client.NewUserAsync("rel");
        var fans = new List<TestUser>();
        for (var i = 0; i < 5; i++)
        {
            var fan = await client.NewUserAsync("fan");
            await RelationshipAsync(client, fan, "follow", star);
            fans.Add(fan);
        }

        var first = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{star.Id}/followers?limit=2", token: star.AccessToken);
        var seen = (await first.JsonAsync()).EnumerateArray().Select(a => a.GetProperty("username").GetString()).ToList();
        var next = first.Headers.GetValues("Link").Single().Split(',')[0].Trim().TrimStart('<').Split('>')[0];
        while (true)
        {
            var page = await client.SendJsonAsync(HttpMethod.Get, new Uri(next).PathAndQuery, token: star.AccessToken);
            var names = (await page.JsonAsync()).EnumerateArray().Select(a => a.GetProperty("username").GetString()).ToList();
            if (names.Count == 0)
            {
                break;
            }

            seen.AddRange(names);
            next = page.Headers.GetValues("Link").Single().Split(',')[0].Trim().TrimStart('<').Split('>')[0];
        }

        Assert.Equal(fans.Select(f => f.Username).Reverse(), seen);
    }

    [Fact]
    public async Task Twenty_accounts_following_at_once_leave_exactly_twenty_followers()
    {
        using var client = factory.CreateClient();
        var star = await client.NewUserAsync("rel");
        var fans = new List<TestUser>();
        for (var i = 0; i < 20; i++)
        {
            fans.Add(await client.NewUserAsync("fan"));
        }

        var responses = await Task.WhenAll(fans.Select(f => ActAsync(client, f, "follow", star)));
        var again = await Task.WhenAll(fans.Take(5).Select(f => ActAsync(client, f, "follow", star)));
        var seen = await AccountAsync(client, fans[0], star);

        Assert.All(responses.Concat(again), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(20, seen.GetProperty("followers_count").GetInt64());
        Assert.Equal(20, (await UsernamesAsync(client, $"/api/v1/accounts/{star.Id}/followers?limit=40", star)).Length);
    }
}
