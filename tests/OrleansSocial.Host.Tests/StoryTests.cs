using System.Net;
using System.Text.Json;
using Npgsql;
using OrleansSocial.Media;

namespace OrleansSocial.Host.Tests;

/// <summary>Stories that live a few seconds, and at most three an hour: expiry and limits within a test.</summary>
public sealed class ShortStoriesFactory : MediaFactory
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Stories:Lifetime"] = "00:00:04",
        ["Stories:MaxPerHour"] = "3",
    };
}

internal static class StoryApi
{
    public static async Task<HttpResponseMessage> PostStoryAsync(this HttpClient client, TestUser author, string? audience = null, string? caption = null,
        string? link = null, string? mediaId = null)
    {
        mediaId ??= (await client.UploadProcessedAsync(author.AccessToken, TestMedia.Jpeg(90, 160))).GetProperty("id").GetString();
        return await client.SendJsonAsync(HttpMethod.Post, "/api/v1/stories", new { media_id = mediaId, caption, link_url = link, audience }, author.AccessToken);
    }

    public static async Task<string> NewStoryAsync(this HttpClient client, TestUser author, string? audience = null)
    {
        var response = await client.PostStoryAsync(author, audience, caption: "a story");
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).GetProperty("id").GetString()!;
    }

    public static async Task<HttpStatusCode> SeeAsync(this HttpClient client, TestUser viewer, string story) =>
        (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{story}", token: viewer.AccessToken)).StatusCode;

    public static async Task<string[]> AccountStoriesAsync(this HttpClient client, TestUser viewer, TestUser author)
    {
        var response = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}/stories", token: viewer.AccessToken);
        return response.StatusCode == HttpStatusCode.NotFound ? ["404"]
            : [.. (await response.JsonAsync()).EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }
}

public sealed class StoryTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task A_followers_story_reaches_followers_and_its_author_and_nobody_else_by_id_or_by_account()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("st");
        var follower = await client.NewUserAsync("st");
        var stranger = await client.NewUserAsync("st");
        var blocked = await client.NewUserAsync("st");
        var muter = await client.NewUserAsync("st");
        foreach (var user in new[] { follower, blocked, muter })
        {
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: user.AccessToken);
        }

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/mute", token: muter.AccessToken);
        var created = await client.PostStoryAsync(author, caption: "morning #coffee", link: "https://example.org/menu");
        var story = await created.JsonAsync();
        var id = story.GetProperty("id").GetString()!;
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{blocked.Id}/block", token: author.AccessToken);

        var seen = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{id}", token: follower.AccessToken)).JsonAsync();
        var picture = await client.GetRawAsync(seen.GetProperty("media").GetProperty("url").GetString()!);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("followers", story.GetProperty("audience").GetString());
        Assert.Equal("https://example.org/menu", story.GetProperty("link_url").GetString());
        Assert.Equal(story.GetProperty("created_at").GetDateTimeOffset().AddHours(24), story.GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal("morning #coffee", seen.GetProperty("caption").GetString());
        Assert.Contains("signature=", seen.GetProperty("media").GetProperty("url").GetString()!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, picture.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await client.SeeAsync(author, id));
        Assert.Equal(HttpStatusCode.OK, await client.SeeAsync(muter, id)); // a mute hides trays, not the story itself
        Assert.Equal(HttpStatusCode.NotFound, await client.SeeAsync(stranger, id));
        Assert.Equal(HttpStatusCode.NotFound, await client.SeeAsync(blocked, id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{id}")).StatusCode);
        Assert.Equal([id], await client.AccountStoriesAsync(follower, author));
        Assert.Equal([id], await client.AccountStoriesAsync(author, author));
        Assert.Empty(await client.AccountStoriesAsync(stranger, author));
        Assert.Equal(["404"], await client.AccountStoriesAsync(blocked, author));
    }

    [Fact]
    public async Task A_close_friends_story_reaches_only_those_on_the_list_whether_or_not_they_follow()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("st");
        var friend = await client.NewUserAsync("st");
        var follower = await client.NewUserAsync("st");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        await client.SendJsonAsync(HttpMethod.Put, "/api/v1/lists/close_friends/accounts", new { account_ids = new[] { friend.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
            author.AccessToken);

        var id = await client.NewStoryAsync(author, "close_friends");
        var forAll = await client.NewStoryAsync(author);

        Assert.Equal(HttpStatusCode.OK, await client.SeeAsync(friend, id));
        Assert.Equal(HttpStatusCode.NotFound, await client.SeeAsync(follower, id));
        Assert.Equal([forAll], await client.AccountStoriesAsync(follower, author));
        Assert.Equal([id], await client.AccountStoriesAsync(friend, author)); // not a follower: the followers' story is not theirs
        Assert.Equal([id, forAll], await client.AccountStoriesAsync(author, author));
    }

    [Fact]
    public async Task A_public_story_of_a_public_account_is_for_everyone_signed_in_and_a_private_account_cannot_post_one()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("st");
        var stranger = await client.NewUserAsync("st");
        var quiet = await client.NewUserAsync("st");
        var requester = await client.NewUserAsync("st");
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { is_private = true }, quiet.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{quiet.Id}/follow", token: requester.AccessToken); // a request, not a follow

        var open = await client.NewStoryAsync(author, "public");
        var refused = await client.PostStoryAsync(quiet, "public");
        var privateStory = await client.NewStoryAsync(quiet);

        Assert.Equal(HttpStatusCode.OK, await client.SeeAsync(stranger, open));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.JsonAsync()).GetProperty("errors").TryGetProperty("audience", out _));
        Assert.Equal(HttpStatusCode.NotFound, await client.SeeAsync(requester, privateStory));
        Assert.Equal(HttpStatusCode.NotFound, await client.SeeAsync(stranger, privateStory));
    }

    [Fact]
    public async Task Bad_story_input_gets_a_4xx_naming_the_field_and_a_storys_media_cannot_be_used_again()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("st");
        var other = await client.NewUserAsync("st");
        var othersUpload = (await client.UploadProcessedAsync(other.AccessToken, TestMedia.Png(8, 8))).GetProperty("id").GetString();
        var mine = (await client.UploadProcessedAsync(author.AccessToken, TestMedia.Png(8, 8))).GetProperty("id").GetString();

        var noMedia = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/stories", new { caption = "no picture" }, author.AccessToken);
        var someoneElses = await client.PostStoryAsync(author, mediaId: othersUpload);
        var badLink = await client.PostStoryAsync(author, link: "javascript:alert(1)");
        var badAudience = await client.PostStoryAsync(author, audience: "everyone");
        var longCaption = await client.PostStoryAsync(author, caption: new string('x', 2201));
        var first = await client.PostStoryAsync(author, mediaId: mine);
        var again = await client.PostStoryAsync(author, mediaId: mine);
        var onAPost = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "reuse", media_ids = new[] { mine } }, author.AccessToken);

        async Task AssertNames(HttpResponseMessage response, HttpStatusCode status, string field)
        {
            var problem = await response.JsonAsync();
            Assert.True(response.StatusCode == status, $"{field}: {(int)response.StatusCode} {problem}");
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }

        await AssertNames(noMedia, HttpStatusCode.BadRequest, "media_id");
        await AssertNames(someoneElses, HttpStatusCode.UnprocessableEntity, "media_id");
        await AssertNames(badLink, HttpStatusCode.BadRequest, "link_url");
        await AssertNames(badAudience, HttpStatusCode.BadRequest, "audience");
        await AssertNames(longCaption, HttpStatusCode.BadRequest, "caption");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await AssertNames(again, HttpStatusCode.UnprocessableEntity, "media_id");
        await AssertNames(onAPost, HttpStatusCode.UnprocessableEntity, "media_ids");
        Assert.Single(await client.AccountStoriesAsync(author, author));
    }

    [Fact]
    public async Task Views_count_once_per_viewer_even_sent_at_once_and_only_the_author_sees_the_count_and_who_viewed()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("st");
        var first = await client.NewUserAsync("st");
        var second = await client.NewUserAsync("st");
        var stranger = await client.NewUserAsync("st");
        foreach (var user in new[] { first, second })
        {
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: user.AccessToken);
        }

        var id = await client.NewStoryAsync(author);
        var burst = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{id}/view", token: first.AccessToken)));
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{id}/view", token: second.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{id}/view", token: author.AccessToken);
        var strangersView = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{id}/view", token: stranger.AccessToken);

        var asAuthor = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{id}", token: author.AccessToken)).JsonAsync();
        var asViewer = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{id}", token: first.AccessToken)).JsonAsync();
        var viewers = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{id}/viewers", token: author.AccessToken);
        var page = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{id}/viewers?limit=1", token: author.AccessToken);
        var byViewer = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{id}/viewers", token: first.AccessToken);
        var byStranger = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{id}/viewers", token: stranger.AccessToken);

        Assert.All(burst, r => Assert.Equal(HttpStatusCode.NoContent, r.StatusCode));
        Assert.Equal(HttpStatusCode.NotFound, strangersView.StatusCode);
        Assert.Equal(2, asAuthor.GetProperty("views_count").GetInt64());
        Assert.Equal(JsonValueKind.Null, asViewer.GetProperty("views_count").ValueKind);
        Assert.Equal(2, await factory.ScalarAsync("SELECT count(*) FROM story_views WHERE story_id = $1", Guid.Parse(id)));
        Assert.Equal([second.Username, first.Username],
            (await viewers.JsonAsync()).EnumerateArray().Select(a => a.GetProperty("account").GetProperty("username").GetString()!).ToArray());
        Assert.Single((await page.JsonAsync()).EnumerateArray());
        Assert.Contains("max_id=", page.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, byViewer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byStranger.StatusCode);
    }

    [Fact]
    public async Task The_tray_lists_followed_accounts_with_stories_for_the_reader_unseen_first_then_latest_with_what_was_seen()
    {
        using var client = factory.CreateClient();
        var reader = await client.NewUserAsync("tr");
        var (a, b, c, muted, unfollowed) = (await client.NewUserAsync("tr"), await client.NewUserAsync("tr"), await client.NewUserAsync("tr"),
            await client.NewUserAsync("tr"), await client.NewUserAsync("tr"));
        foreach (var account in new[] { a, b, c, muted })
        {
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{account.Id}/follow", token: reader.AccessToken);
        }

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{muted.Id}/mute", token: reader.AccessToken);
        await client.SendJsonAsync(HttpMethod.Put, "/api/v1/lists/close_friends/accounts",
            new { account_ids = new[] { reader.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, a.AccessToken);
        var a1 = await client.NewStoryAsync(a);
        var a2 = await client.NewStoryAsync(a, "close_friends"); // the reader is on a's list
        var b1 = await client.NewStoryAsync(b);
        var b2 = await client.NewStoryAsync(b);
        await client.NewStoryAsync(c, "close_friends"); // the reader is not on c's list
        await client.NewStoryAsync(muted);
        await client.NewStoryAsync(unfollowed, "public");

        async Task<JsonElement> TrayAsync() => await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/stories/tray", token: reader.AccessToken)).JsonAsync();
        var before = await TrayAsync();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{b1}/view", token: reader.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{b2}/view", token: reader.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{a1}/view", token: reader.AccessToken);
        var after = await TrayAsync();

        static string[] Accounts(JsonElement tray) => [.. tray.EnumerateArray().Select(e => e.GetProperty("account").GetProperty("username").GetString()!)];
        static string[] Stories(JsonElement entry) => [.. entry.GetProperty("stories").EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
        static bool[] Seen(JsonElement entry) => [.. entry.GetProperty("stories").EnumerateArray().Select(s => s.GetProperty("seen").GetBoolean())];

        Assert.Equal([b.Username, a.Username], Accounts(before)); // both unseen: b's latest story is newer
        Assert.Equal([b1, b2], Stories(before[0]));
        Assert.Equal([a1, a2], Stories(before[1]));
        Assert.Equal([a.Username, b.Username], Accounts(after)); // a still has an unseen story; b has none
        Assert.True(after[0].GetProperty("has_unseen").GetBoolean());
        Assert.Equal([true, false], Seen(after[0]));
        Assert.False(after[1].GetProperty("has_unseen").GetBoolean());
        Assert.Equal([true, true], Seen(after[1]));
    }

    [Fact]
    public async Task A_kept_tray_shows_new_and_deleted_stories_new_mutes_and_close_friends_changes_at_the_next_read()
    {
        using var client = factory.CreateClient();
        var reader = await client.NewUserAsync("tk");
        var (a, b) = (await client.NewUserAsync("tk"), await client.NewUserAsync("tk"));
        foreach (var account in new[] { a, b })
        {
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{account.Id}/follow", token: reader.AccessToken);
        }

        var a1 = await client.NewStoryAsync(a);
        var close = await client.NewStoryAsync(b, "close_friends");
        async Task<string[][]> TrayAsync() => [.. (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/stories/tray", token: reader.AccessToken)).JsonAsync())
            .EnumerateArray().Select(e => e.GetProperty("stories").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToArray())];

        var first = await TrayAsync();
        var a2 = await client.NewStoryAsync(a);
        var afterPost = await TrayAsync();
        await client.SendJsonAsync(HttpMethod.Put, "/api/v1/lists/close_friends/accounts",
            new { account_ids = new[] { reader.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, b.AccessToken);
        var afterList = await TrayAsync();
        await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/stories/{a1}", token: a.AccessToken);
        var afterDelete = await TrayAsync();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{a.Id}/mute", token: reader.AccessToken);
        var afterMute = await TrayAsync();

        Assert.Equal([[a1]], first);
        Assert.Equal([[a1, a2]], afterPost);
        Assert.Equal([[a1, a2], [close]], afterList); // both unseen; a2 is the latest story
        Assert.Equal([[a2], [close]], afterDelete);
        Assert.Equal([[close]], afterMute);
    }

    [Fact]
    public async Task Deleting_a_story_ends_it_at_once_for_everyone_and_only_its_author_can()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("st");
        var follower = await client.NewUserAsync("st");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        var id = await client.NewStoryAsync(author);

        var byFollower = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/stories/{id}", token: follower.AccessToken);
        var byAuthor = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/stories/{id}", token: author.AccessToken);
        var mediaGone = await factory.ScalarAsync("SELECT count(*) FROM media WHERE story_id = $1 AND deleted_at IS NULL", Guid.Parse(id));

        Assert.Equal(HttpStatusCode.NotFound, byFollower.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, byAuthor.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await client.SeeAsync(follower, id));
        Assert.Equal(HttpStatusCode.NotFound, await client.SeeAsync(author, id));
        Assert.Empty(await client.AccountStoriesAsync(follower, author));
        Assert.Equal(0, mediaGone);
    }
}

public sealed class StoryExpiryTests(ShortStoriesFactory factory) : IClassFixture<ShortStoriesFactory>
{
    [Fact]
    public async Task A_story_ends_by_its_reminder_at_its_expiry_and_its_media_are_released()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("sx");
        var follower = await client.NewUserAsync("sx");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        var id = await client.NewStoryAsync(author);
        var live = await client.SeeAsync(follower, id);

        var ended = 0L;
        for (var i = 0; i < 120 && ended == 0; i++)
        {
            await Task.Delay(500);
            ended = await factory.ScalarAsync("SELECT count(*) FROM stories WHERE id = $1 AND ended_at IS NOT NULL", Guid.Parse(id));
        }

        var mediaLive = await factory.ScalarAsync("SELECT count(*) FROM media WHERE story_id = $1 AND deleted_at IS NULL", Guid.Parse(id));

        Assert.Equal(HttpStatusCode.OK, live);
        Assert.Equal(1, ended); // the reminder recorded the end (not only the read-time expiry check)
        Assert.Equal(0, mediaLive);
        Assert.Equal(HttpStatusCode.NotFound, await client.SeeAsync(follower, id));
        Assert.Empty(await client.AccountStoriesAsync(author, author));
    }

    [Fact]
    public async Task A_reply_to_a_story_stays_readable_after_the_story_expires_with_its_media_gone_from_the_quote()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("sx");
        var follower = await client.NewUserAsync("sx");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        var id = await client.NewStoryAsync(author);
        var reply = await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{id}/replies", new { client_id = "x", text = "before it goes" },
            follower.AccessToken)).JsonAsync();
        var conversation = reply.GetProperty("conversation_id").GetString();
        var whileLive = reply.GetProperty("story");

        for (var i = 0; i < 120 && await factory.ScalarAsync("SELECT count(*) FROM stories WHERE id = $1 AND ended_at IS NOT NULL", Guid.Parse(id)) == 0; i++)
        {
            await Task.Delay(500);
        }

        var history = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{conversation}/messages", token: author.AccessToken)).JsonAsync();
        var quote = history[0].GetProperty("story");

        Assert.True(whileLive.GetProperty("live").GetBoolean());
        Assert.Equal(JsonValueKind.Object, whileLive.GetProperty("media").ValueKind);
        Assert.Equal("before it goes", history[0].GetProperty("text").GetString());
        Assert.Equal(id, quote.GetProperty("id").GetString());
        Assert.False(quote.GetProperty("live").GetBoolean());
        Assert.Equal(JsonValueKind.Null, quote.GetProperty("media").ValueKind);
    }

    [Fact]
    public async Task Past_the_hourly_limit_a_story_is_refused_with_429_and_retry_after()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("sx");
        for (var i = 0; i < 3; i++)
        {
            await client.NewStoryAsync(author);
        }

        var fourth = await client.PostStoryAsync(author);

        Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);
        Assert.True(fourth.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(50), fourth.Headers.RetryAfter?.ToString());
        Assert.Equal(3, await factory.ScalarAsync("SELECT count(*) FROM stories WHERE author_id = $1", author.Id));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM media m WHERE m.account_id = $1 AND m.story_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = m.story_id)", author.Id));
    }
}
