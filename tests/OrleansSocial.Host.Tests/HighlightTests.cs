using System.Globalization;
using System.Net;
using System.Text.Json;

namespace OrleansSocial.Host.Tests;

internal static class HighlightApi
{
    public static Task<HttpResponseMessage> HighlightAsync(this HttpClient client, TestUser owner, string title, params string[] stories) =>
        client.SendJsonAsync(HttpMethod.Post, "/api/v1/highlights", new { title, story_ids = stories }, owner.AccessToken);

    public static async Task<HttpResponseMessage> HighlightsAsync(this HttpClient client, TestUser viewer, TestUser owner) =>
        await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{owner.Id}/highlights", token: viewer.AccessToken);

    public static string[] Stories(JsonElement highlight) => [.. highlight.GetProperty("stories").EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
}

public sealed class HighlightTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task Highlights_follow_the_accounts_privacy_and_close_friends_stories_in_them_stay_with_close_friends()
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("hl");
        var follower = await client.NewUserAsync("hl");
        var friend = await client.NewUserAsync("hl");
        var stranger = await client.NewUserAsync("hl");
        var blocked = await client.NewUserAsync("hl");
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { is_private = true }, owner.AccessToken);
        foreach (var user in new[] { follower, friend })
        {
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{owner.Id}/follow", token: user.AccessToken);
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/follow_requests/{user.Id}/authorize", token: owner.AccessToken);
        }

        await client.SendJsonAsync(HttpMethod.Put, "/api/v1/lists/close_friends/accounts",
            new { account_ids = new[] { friend.Id.ToString(CultureInfo.InvariantCulture) } }, owner.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{blocked.Id}/block", token: owner.AccessToken);
        var open = await client.NewStoryAsync(owner);
        var close = await client.NewStoryAsync(owner, "close_friends");
        var mixed = await (await client.HighlightAsync(owner, "Summer", close, open)).JsonAsync();
        var onlyClose = await (await client.HighlightAsync(owner, "Us", close)).JsonAsync();

        var byOwner = await (await client.HighlightsAsync(owner, owner)).JsonAsync();
        var byFriend = await (await client.HighlightsAsync(friend, owner)).JsonAsync();
        var byFollower = await (await client.HighlightsAsync(follower, owner)).JsonAsync();
        var byStranger = await client.HighlightsAsync(stranger, owner);
        var byBlocked = await client.HighlightsAsync(blocked, owner);
        var picture = await client.GetRawAsync(byFollower[0].GetProperty("stories")[0].GetProperty("media").GetProperty("url").GetString()!);

        Assert.Equal([onlyClose.GetProperty("id").GetString()!, mixed.GetProperty("id").GetString()!],
            byOwner.EnumerateArray().Select(h => h.GetProperty("id").GetString()!).ToArray()); // newest first
        Assert.Equal([close, open], HighlightApi.Stories(byOwner[1])); // the highlight's order
        Assert.Equal("Summer", byOwner[1].GetProperty("title").GetString());
        Assert.Equal(2, byFriend.GetArrayLength());
        Assert.Equal([close, open], HighlightApi.Stories(byFriend[1]));
        var seen = Assert.Single(byFollower.EnumerateArray()); // the close-friends-only highlight is not theirs at all
        Assert.Equal([open], HighlightApi.Stories(seen));
        Assert.Equal(HttpStatusCode.OK, picture.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byStranger.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byBlocked.StatusCode);
    }

    [Fact]
    public async Task Bad_highlights_get_a_4xx_naming_the_field_and_only_the_owner_changes_a_highlight()
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("hl");
        var other = await client.NewUserAsync("hl");
        var mine = await client.NewStoryAsync(owner);
        var theirs = await client.NewStoryAsync(other);
        var deleted = await client.NewStoryAsync(owner);
        await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/stories/{deleted}", token: owner.AccessToken);
        var highlight = (await (await client.HighlightAsync(owner, "Keep", mine)).JsonAsync()).GetProperty("id").GetString();

        async Task AssertNames(HttpResponseMessage response, string field)
        {
            var problem = await response.JsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{field}: {(int)response.StatusCode} {problem}");
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }

        await AssertNames(await client.HighlightAsync(owner, " ", mine), "title");
        await AssertNames(await client.HighlightAsync(owner, new string('t', 51), mine), "title");
        await AssertNames(await client.HighlightAsync(owner, "Empty"), "story_ids");
        await AssertNames(await client.HighlightAsync(owner, "Theirs", theirs), "story_ids");
        await AssertNames(await client.HighlightAsync(owner, "Gone", deleted), "story_ids");
        await AssertNames(await client.HighlightAsync(owner, "Junk", "not-a-story"), "story_ids");
        var byOther = await client.SendJsonAsync(HttpMethod.Put, $"/api/v1/highlights/{highlight}", new { title = "Mine now", story_ids = new[] { theirs } }, other.AccessToken);
        var deleteByOther = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/highlights/{highlight}", token: other.AccessToken);
        var renamed = await client.SendJsonAsync(HttpMethod.Put, $"/api/v1/highlights/{highlight}", new { title = "Kept", story_ids = new[] { mine } }, owner.AccessToken);

        Assert.Equal(HttpStatusCode.NotFound, byOther.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, deleteByOther.StatusCode);
        Assert.Equal("Kept", (await renamed.JsonAsync()).GetProperty("title").GetString());
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM highlights WHERE owner_id = $1", owner.Id));
    }

    [Fact]
    public async Task Deleting_a_highlighted_story_takes_it_out_of_its_highlights_and_an_emptied_highlight_goes()
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("hl");
        var first = await client.NewStoryAsync(owner);
        var second = await client.NewStoryAsync(owner);
        await client.HighlightAsync(owner, "Both", first, second);
        await client.HighlightAsync(owner, "One", first);
        var before = await (await client.HighlightsAsync(owner, owner)).JsonAsync();

        await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/stories/{first}", token: owner.AccessToken);
        var after = await (await client.HighlightsAsync(owner, owner)).JsonAsync();

        Assert.Equal(2, before.GetArrayLength());
        var left = Assert.Single(after.EnumerateArray());
        Assert.Equal("Both", left.GetProperty("title").GetString());
        Assert.Equal([second], HighlightApi.Stories(left));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM media WHERE story_id = $1 AND deleted_at IS NULL", Guid.Parse(first)));
    }
}

public sealed class HighlightExpiryTests(ShortStoriesFactory factory) : IClassFixture<ShortStoriesFactory>
{
    private async Task WaitEndedAsync(params string[] stories)
    {
        for (var i = 0; i < 120; i++)
        {
            if (await factory.ScalarAsync("SELECT count(*) FROM stories WHERE id = ANY($1) AND ended_at IS NOT NULL", stories.Select(Guid.Parse).ToArray()) == stories.Length)
            {
                return;
            }

            await Task.Delay(500);
        }

        Assert.Fail("The stories did not end.");
    }

    private Task<long> LiveMediaAsync(string story) =>
        factory.ScalarAsync("SELECT count(*) FROM media WHERE story_id = $1 AND deleted_at IS NULL", Guid.Parse(story));

    [Fact]
    public async Task A_highlighted_story_keeps_its_media_past_expiry_until_it_leaves_its_last_highlight()
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("hx");
        var follower = await client.NewUserAsync("hx");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{owner.Id}/follow", token: follower.AccessToken);
        var kept = await client.NewStoryAsync(owner);
        var dropped = await client.NewStoryAsync(owner);
        var unhighlighted = await client.NewStoryAsync(owner);
        var highlight = (await (await client.HighlightAsync(owner, "Trip", kept, dropped)).JsonAsync()).GetProperty("id").GetString();
        await client.HighlightAsync(owner, "Best", kept);

        await WaitEndedAsync(kept, dropped, unhighlighted);
        var expiredStory = await client.SeeAsync(follower, kept);
        var shown = await (await client.HighlightsAsync(follower, owner)).JsonAsync();
        var picture = await client.GetRawAsync(shown[1].GetProperty("stories")[1].GetProperty("media").GetProperty("url").GetString()!);
        var (keptAtExpiry, droppedAtExpiry, unhighlightedAtExpiry) = (await LiveMediaAsync(kept), await LiveMediaAsync(dropped), await LiveMediaAsync(unhighlighted));
        var reHighlight = await client.HighlightAsync(owner, "Late", unhighlighted); // its media are gone: it cannot be kept any more

        await client.SendJsonAsync(HttpMethod.Put, $"/api/v1/highlights/{highlight}", new { title = "Trip", story_ids = new[] { kept } }, owner.AccessToken);
        var droppedAfterEdit = await LiveMediaAsync(dropped);
        await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/highlights/{highlight}", token: owner.AccessToken);
        var keptByTheOther = await LiveMediaAsync(kept);
        var best = (await (await client.HighlightsAsync(owner, owner)).JsonAsync())[0].GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/highlights/{best}", token: owner.AccessToken);

        Assert.Equal(HttpStatusCode.NotFound, expiredStory);
        Assert.Equal([kept, dropped], HighlightApi.Stories(shown[1]));
        Assert.Equal(HttpStatusCode.OK, picture.StatusCode);
        Assert.Equal((1L, 1L, 0L), (keptAtExpiry, droppedAtExpiry, unhighlightedAtExpiry));
        Assert.Equal(HttpStatusCode.BadRequest, reHighlight.StatusCode);
        Assert.Equal(0, droppedAfterEdit);
        Assert.Equal(1, keptByTheOther);
        Assert.Equal(0, await LiveMediaAsync(kept));
        Assert.Empty((await (await client.HighlightsAsync(owner, owner)).JsonAsync()).EnumerateArray());
    }
}
