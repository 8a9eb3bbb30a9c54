using System.Globalization;
using System.Net;
using System.Text.Json;

namespace OrleansSocial.Host.Tests;

/// <summary>Replies and reactions to stories: direct messages to the author quoting the story.</summary>
public sealed class StoryReplyTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    private static string Id(TestUser user) => user.Id.ToString(CultureInfo.InvariantCulture);

    private async Task<(HttpClient Client, TestUser Author, TestUser Follower, string Story)> FollowedStoryAsync(string? audience = null)
    {
        var client = factory.CreateClient();
        var author = await client.NewUserAsync("sr");
        var follower = await client.NewUserAsync("sr");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        return (client, author, follower, await client.NewStoryAsync(author, audience));
    }

    private static async Task<JsonElement> ConversationAsync(HttpClient client, TestUser member, string conversation) =>
        await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{conversation}/messages", token: member.AccessToken)).JsonAsync();

    [Fact]
    public async Task A_reply_reaches_the_author_as_a_direct_message_quoting_the_story_with_its_media_while_it_lives()
    {
        var (client, author, follower, story) = await FollowedStoryAsync();
        using var disposing = client;

        var sent = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/replies", new { client_id = "r1", text = "love this" }, follower.AccessToken);
        var retried = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/replies", new { client_id = "r1", text = "love this" }, follower.AccessToken);
        var reply = await sent.JsonAsync();
        var conversation = reply.GetProperty("conversation_id").GetString()!;
        var inbox = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/conversations", token: author.AccessToken)).JsonAsync();
        var history = await ConversationAsync(client, author, conversation);
        var quote = history[0].GetProperty("story");
        var picture = await client.GetRawAsync(quote.GetProperty("media").GetProperty("url").GetString()!);

        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        Assert.Equal(reply.GetProperty("id").GetString(), (await retried.JsonAsync()).GetProperty("id").GetString()); // a retry is not a second message
        Assert.Single(history.EnumerateArray());
        Assert.Equal("love this", history[0].GetProperty("text").GetString());
        Assert.Equal(Id(follower), history[0].GetProperty("sender_id").GetString());
        Assert.Equal(story, quote.GetProperty("id").GetString());
        Assert.Equal(Id(author), quote.GetProperty("account_id").GetString());
        Assert.Equal("reply", quote.GetProperty("kind").GetString());
        Assert.True(quote.GetProperty("live").GetBoolean());
        Assert.Equal("a story", quote.GetProperty("caption").GetString());
        Assert.Equal(HttpStatusCode.OK, picture.StatusCode);
        var listed = Assert.Single(inbox.EnumerateArray());
        Assert.Equal(story, listed.GetProperty("last_message").GetProperty("story").GetProperty("id").GetString());
        Assert.Equal(1, listed.GetProperty("unread_count").GetInt64());
    }

    [Fact]
    public async Task A_reply_stays_readable_after_the_story_ends_with_the_media_gone_from_the_quote()
    {
        var (client, author, follower, story) = await FollowedStoryAsync();
        using var disposing = client;
        var reply = await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/replies", new { client_id = "r", text = "ha!" }, follower.AccessToken))
            .JsonAsync();

        await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/stories/{story}", token: author.AccessToken);
        var history = await ConversationAsync(client, follower, reply.GetProperty("conversation_id").GetString()!);
        var quote = history[0].GetProperty("story");
        var late = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/replies", new { client_id = "r2", text = "too late" }, follower.AccessToken);

        Assert.Equal("ha!", history[0].GetProperty("text").GetString());
        Assert.Equal(story, quote.GetProperty("id").GetString());
        Assert.False(quote.GetProperty("live").GetBoolean());
        Assert.Equal(JsonValueKind.Null, quote.GetProperty("media").ValueKind);
        Assert.Equal(JsonValueKind.Null, quote.GetProperty("caption").ValueKind);
        Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
    }

    [Fact]
    public async Task A_reaction_is_one_emoji_sent_once_per_emoji_and_shown_in_the_authors_viewer_list()
    {
        var (client, author, follower, story) = await FollowedStoryAsync();
        using var disposing = client;

        var fire = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/reactions", new { emoji = "🔥" }, follower.AccessToken);
        var again = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/reactions", new { emoji = "🔥" }, follower.AccessToken);
        var heart = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/reactions", new { emoji = "👍🏽" }, follower.AccessToken);
        var words = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/reactions", new { emoji = "nice" }, follower.AccessToken);
        var two = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/reactions", new { emoji = "🔥🔥" }, follower.AccessToken);
        var history = await ConversationAsync(client, author, (await fire.JsonAsync()).GetProperty("conversation_id").GetString()!);
        var viewers = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{story}/viewers", token: author.AccessToken)).JsonAsync();
        var count = (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{story}", token: author.AccessToken)).JsonAsync()).GetProperty("views_count");

        Assert.Equal(HttpStatusCode.Created, fire.StatusCode);
        Assert.Equal((await fire.JsonAsync()).GetProperty("id").GetString(), (await again.JsonAsync()).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.Created, heart.StatusCode);
        foreach (var bad in new[] { words, two })
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.True((await bad.JsonAsync()).GetProperty("errors").TryGetProperty("emoji", out _));
        }

        Assert.Equal(["👍🏽", "🔥"], history.EnumerateArray().Select(m => m.GetProperty("text").GetString()!).ToArray());
        Assert.All(history.EnumerateArray(), m => Assert.Equal("reaction", m.GetProperty("story").GetProperty("kind").GetString()));
        var viewer = Assert.Single(viewers.EnumerateArray());
        Assert.Equal(follower.Username, viewer.GetProperty("account").GetProperty("username").GetString());
        Assert.Equal("👍🏽", viewer.GetProperty("reaction").GetString()); // the newest reaction
        Assert.Equal(1, count.GetInt64()); // reacting counted as the one view
    }

    [Fact]
    public async Task Those_outside_the_audience_blocked_accounts_the_author_and_those_the_dm_policy_refuses_cannot_reply()
    {
        var (client, author, follower, story) = await FollowedStoryAsync();
        using var disposing = client;
        var stranger = await client.NewUserAsync("sr");
        var blocked = await client.NewUserAsync("sr");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: blocked.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{blocked.Id}/block", token: author.AccessToken);

        async Task<HttpStatusCode> ReplyAsync(TestUser who) => (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/replies",
            new { client_id = Guid.NewGuid().ToString(), text = "hi" }, who.AccessToken)).StatusCode;

        var byStranger = await ReplyAsync(stranger);
        var byBlocked = await ReplyAsync(blocked);
        var byAuthor = await ReplyAsync(author);
        var empty = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/replies", new { client_id = "e", text = " " }, follower.AccessToken);
        var reactionByStranger = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/reactions", new { emoji = "😮" }, stranger.AccessToken);
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { dm_policy = "nobody" }, author.AccessToken);
        var refusedByPolicy = await ReplyAsync(follower);
        var reactionRefused = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/reactions", new { emoji = "😮" }, follower.AccessToken);

        Assert.Equal(HttpStatusCode.NotFound, byStranger);
        Assert.Equal(HttpStatusCode.NotFound, byBlocked);
        Assert.Equal(HttpStatusCode.Forbidden, byAuthor);
        Assert.Equal(HttpStatusCode.NotFound, reactionByStranger.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refusedByPolicy);
        Assert.Equal(HttpStatusCode.Forbidden, reactionRefused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.True((await empty.JsonAsync()).GetProperty("errors").TryGetProperty("text", out _));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM messages WHERE story_id = $1", Guid.Parse(story)));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM story_views WHERE story_id = $1 AND reaction IS NOT NULL", Guid.Parse(story)));
    }

    [Fact]
    public async Task A_caption_carries_its_hashtags_and_mentions_and_mentioned_accounts_who_may_see_it_hear_of_it_in_a_direct_message()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("sm");
        var stranger = await client.NewUserAsync("sm"); // mentioned, but not a follower: the story is not theirs
        var closed = await client.NewUserAsync("sm"); // mentioned follower who takes messages from nobody
        var follower = await client.NewUserAsync("sm"); // created last: the mentions are told in id order
        foreach (var user in new[] { closed, follower })
        {
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: user.AccessToken);
        }

        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { dm_policy = "nobody" }, closed.AccessToken);
        var caption = $"sunset with @{follower.Username}, @{stranger.Username} and @{closed.Username} #Sunset #beach";
        var story = await (await client.PostStoryAsync(author, caption: caption)).JsonAsync();
        var id = story.GetProperty("id").GetString();

        async Task<JsonElement> InboxAsync(TestUser user) =>
            await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/conversations", token: user.AccessToken)).JsonAsync();
        var inbox = await InboxAsync(follower);
        for (var i = 0; i < 100 && inbox.GetArrayLength() == 0; i++)
        {
            await Task.Delay(100);
            inbox = await InboxAsync(follower);
        }

        var told = Assert.Single(inbox.EnumerateArray()).GetProperty("last_message");
        var seenByFollower = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/stories/{id}", token: follower.AccessToken)).JsonAsync();

        Assert.Equal(["sunset", "beach"], story.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray());
        Assert.Equal(new[] { follower.Username, stranger.Username, closed.Username }.Order(),
            story.GetProperty("mentions").EnumerateArray().Select(m => m.GetProperty("username").GetString()!).Order());
        Assert.Equal(3, seenByFollower.GetProperty("mentions").GetArrayLength());
        Assert.Equal(caption, told.GetProperty("text").GetString());
        Assert.Equal(Id(author), told.GetProperty("sender_id").GetString());
        Assert.Equal("mention", told.GetProperty("story").GetProperty("kind").GetString());
        Assert.Equal(id, told.GetProperty("story").GetProperty("id").GetString());
        Assert.Empty((await InboxAsync(stranger)).EnumerateArray());
        Assert.Empty((await InboxAsync(closed)).EnumerateArray());
    }

    [Fact]
    public async Task A_close_friends_story_takes_replies_from_close_friends_only()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("sr");
        var friend = await client.NewUserAsync("sr");
        var follower = await client.NewUserAsync("sr");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        await client.SendJsonAsync(HttpMethod.Put, "/api/v1/lists/close_friends/accounts", new { account_ids = new[] { Id(friend) } }, author.AccessToken);
        var story = await client.NewStoryAsync(author, "close_friends");

        var byFriend = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/replies", new { client_id = "f", text = "🙂 nice" }, friend.AccessToken);
        var byFollower = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/replies", new { client_id = "f", text = "me too" }, follower.AccessToken);

        Assert.Equal(HttpStatusCode.Created, byFriend.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byFollower.StatusCode);
    }
}
