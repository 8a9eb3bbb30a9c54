using System.Net;
using System.Text.Json;

namespace OrleansSocial.Host.Tests;

public sealed class CommentTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private static async Task<string> PostAsync(HttpClient client, TestUser author, string visibility = "public") =>
        (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "a post", visibility }, author.AccessToken)).JsonAsync())
        .GetProperty("id").GetString()!;

    private static async Task<HttpResponseMessage> CommentAsync(HttpClient client, TestUser user, string post, string text, string? parent = null) =>
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/comments", new { text, parent_comment_id = parent }, user.AccessToken);

    private static async Task<string> CommentIdAsync(HttpClient client, TestUser user, string post, string text, string? parent = null)
    {
        var response = await CommentAsync(client, user, post, text, parent);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path, TestUser? viewer = null) =>
        await (await client.SendJsonAsync(HttpMethod.Get, path, token: viewer?.AccessToken)).JsonAsync();

    [Fact]
    public async Task Replies_nest_under_comments_with_reply_counts_and_the_post_counts_every_comment()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("co");
        var reader = await client.NewUserAsync("co");
        var post = await PostAsync(client, author);

        var first = await CommentIdAsync(client, reader, post, "first!");
        var second = await CommentIdAsync(client, author, post, "thanks for reading");
        var reply = await CommentIdAsync(client, author, post, "glad you came", first);
        await CommentIdAsync(client, reader, post, "of course", reply);

        var topLevel = await GetAsync(client, $"/api/v1/posts/{post}/comments");
        var replies = await GetAsync(client, $"/api/v1/posts/{post}/comments/{first}/replies");
        var deeper = await GetAsync(client, $"/api/v1/posts/{post}/comments/{reply}/replies");
        var view = await GetAsync(client, $"/api/v1/posts/{post}", reader);

        Assert.Equal([second, first], topLevel.EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        Assert.Equal(1, topLevel[1].GetProperty("replies_count").GetInt64());
        Assert.Equal([reply], replies.EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        Assert.Equal(first, replies[0].GetProperty("parent_comment_id").GetString());
        Assert.Single(deeper.EnumerateArray());
        Assert.Equal(4, view.GetProperty("comments_count").GetInt64());
    }

    [Fact]
    public async Task Comments_on_a_post_the_viewer_cannot_see_are_not_found()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("co");
        var stranger = await client.NewUserAsync("co");
        var post = await PostAsync(client, author, "followers");
        await CommentIdAsync(client, author, post, "note to self");

        var list = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}/comments", token: stranger.AccessToken);
        var add = await CommentAsync(client, stranger, post, "let me in");
        var anonymous = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}/comments");

        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, add.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);
    }

    [Fact]
    public async Task Authors_edit_and_delete_their_own_comments_and_the_post_author_may_delete_any()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("co");
        var reader = await client.NewUserAsync("co");
        var other = await client.NewUserAsync("co");
        var post = await PostAsync(client, author);
        var comment = await CommentIdAsync(client, reader, post, "typo");
        var spam = await CommentIdAsync(client, other, post, "buy things");

        var edited = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{post}/comments/{comment}", new { text = "fixed" }, reader.AccessToken);
        var notYours = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{post}/comments/{comment}", new { text = "mine now" }, other.AccessToken);
        var otherDeletes = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/posts/{post}/comments/{comment}", token: other.AccessToken);
        var authorDeletes = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/posts/{post}/comments/{spam}", token: author.AccessToken);
        var listed = await GetAsync(client, $"/api/v1/posts/{post}/comments");
        var view = await GetAsync(client, $"/api/v1/posts/{post}");

        Assert.Equal("fixed", (await edited.JsonAsync()).GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, notYours.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherDeletes.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, authorDeletes.StatusCode);
        Assert.Equal([comment], listed.EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        Assert.Equal(1, view.GetProperty("comments_count").GetInt64());
    }

    [Fact]
    public async Task Comment_likes_are_idempotent_and_flagged_for_the_liker()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("co");
        var fan = await client.NewUserAsync("co");
        var post = await PostAsync(client, author);
        var comment = await CommentIdAsync(client, author, post, "like this comment");

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/comments/{comment}/like", token: fan.AccessToken);
        var twice = await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/comments/{comment}/like", token: fan.AccessToken)).JsonAsync();
        var asAuthor = await GetAsync(client, $"/api/v1/posts/{post}/comments", author);
        var unliked = await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/comments/{comment}/unlike", token: fan.AccessToken)).JsonAsync();

        Assert.Equal(1, twice.GetProperty("likes_count").GetInt64());
        Assert.True(twice.GetProperty("liked").GetBoolean());
        Assert.False(asAuthor[0].GetProperty("liked").GetBoolean());
        Assert.Equal(0, unliked.GetProperty("likes_count").GetInt64());
    }

    [Fact]
    public async Task Blocks_hide_comments_both_ways_and_forbid_replying()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("co");
        var alice = await client.NewUserAsync("co");
        var bob = await client.NewUserAsync("co");
        var post = await PostAsync(client, author);
        var aliceSays = await CommentIdAsync(client, alice, post, "alice was here");
        await CommentIdAsync(client, bob, post, "bob was here");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{bob.Id}/block", token: alice.AccessToken);

        var aliceSees = await GetAsync(client, $"/api/v1/posts/{post}/comments", alice);
        var bobSees = await GetAsync(client, $"/api/v1/posts/{post}/comments", bob);
        var bobReplies = await CommentAsync(client, bob, post, "hey alice", aliceSays);
        var bobLikes = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/comments/{aliceSays}/like", token: bob.AccessToken);

        Assert.Equal([alice.Username], aliceSees.EnumerateArray().Select(c => c.GetProperty("author").GetProperty("username").GetString()));
        Assert.Equal([bob.Username], bobSees.EnumerateArray().Select(c => c.GetProperty("author").GetProperty("username").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, bobReplies.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobLikes.StatusCode);
    }

    [Theory]
    [InlineData("", null, "text")]
    [InlineData("ok", "abc", "parent_comment_id")]
    [InlineData("ok", "999999999", "parent_comment_id")]
    public async Task Bad_comments_are_refused_naming_the_field(string text, string? parent, string field)
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("co");
        var post = await PostAsync(client, author);

        var response = await CommentAsync(client, author, post, text, parent);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty(field, out _));
    }
}
