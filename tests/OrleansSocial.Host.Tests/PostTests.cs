using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansSocial.Posts;
using Orleans;

namespace OrleansSocial.Host.Tests;

public sealed class PostTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private static async Task<JsonElement> PostAsync(HttpClient client, TestUser author, string text, string visibility = "public", string? quoteId = null)
    {
        var response = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text, visibility, quote_id = quoteId }, author.AccessToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.JsonAsync();
    }

    private static string Id(JsonElement post) => post.GetProperty("id").GetString()!;

    [Fact]
    public async Task A_post_carries_its_hashtags_and_mentions_and_counts_toward_the_author()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("po");
        var bob = await client.NewUserAsync("po");

        var post = await PostAsync(client, author, $"Hello #World and @{bob.Username.ToUpperInvariant()}, also #world and #Café_2 and @nobody_here_xyz");
        var me = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}", token: author.AccessToken)).JsonAsync();

        Assert.Equal(["world", "café_2"], post.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal([bob.Username], post.GetProperty("mentions").EnumerateArray().Select(m => m.GetProperty("username").GetString()));
        Assert.Equal(author.Username, post.GetProperty("author").GetProperty("username").GetString());
        Assert.Equal(1, me.GetProperty("posts_count").GetInt64());
    }

    [Fact]
    public async Task A_posts_author_shows_the_current_profile_and_counts_and_the_post_disappears_across_a_block()
    {
        using var client = factory.CreateClient();
        var (author, reader, fan) = (await client.NewUserAsync("pa"), await client.NewUserAsync("pa"), await client.NewUserAsync("pa"));
        var id = Id(await PostAsync(client, author, "the author's view is served from memory"));
        async Task<JsonElement> AuthorSeenByReaderAsync() =>
            (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{id}", token: reader.AccessToken)).JsonAsync()).GetProperty("author");
        var before = await AuthorSeenByReaderAsync();

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: fan.AccessToken);
        var followed = await AuthorSeenByReaderAsync();
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { display_name = "Renamed Author" }, author.AccessToken);
        var renamed = await AuthorSeenByReaderAsync();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{reader.Id}/block", token: author.AccessToken);
        var blocked = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{id}", token: reader.AccessToken);
        var anonymous = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{id}");

        Assert.Equal(0, before.GetProperty("followers_count").GetInt64());
        Assert.Equal(1, followed.GetProperty("followers_count").GetInt64());
        Assert.Equal("Renamed Author", renamed.GetProperty("display_name").GetString());
        Assert.Equal(1, renamed.GetProperty("followers_count").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, blocked.StatusCode);
        Assert.Equal("Renamed Author", (await anonymous.JsonAsync()).GetProperty("author").GetProperty("display_name").GetString());
    }

    [Fact]
    public async Task Readers_with_no_flags_share_one_view_until_something_it_shows_changes()
    {
        using var client = factory.CreateClient();
        var (author, reader, liker) = (await client.NewUserAsync("pv"), await client.NewUserAsync("pv"), await client.NewUserAsync("pv"));
        var id = Guid.Parse(Id(await PostAsync(client, author, "one view for many readers")));
        var grain = factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IPostGrain>(id);

        var first = await grain.GetAsync(reader.Id);
        var again = await grain.GetAsync(liker.Id);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{id}/like", token: liker.AccessToken);
        var afterLike = await grain.GetAsync(reader.Id);
        var likersOwn = await grain.GetAsync(liker.Id);
        await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{id}", new { text = "edited" }, author.AccessToken);
        var afterEdit = await grain.GetAsync(reader.Id);
        var overHttp = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{id}", token: reader.AccessToken)).JsonAsync();

        Assert.Same(first, again);
        Assert.True(SharedPostViews.IsShared(first!));
        Assert.False(SharedPostViews.IsShared(likersOwn!));
        Assert.NotSame(first, afterLike);
        Assert.Equal((0, 1), (first!.Counts.Likes, afterLike!.Counts.Likes));
        Assert.False(afterLike.Liked);
        Assert.True(likersOwn!.Liked);
        Assert.Equal("edited", afterEdit!.Text);
        Assert.Same(afterEdit, await grain.GetAsync(reader.Id));
        Assert.Equal(("edited", 1), (overHttp.GetProperty("text").GetString(), overHttp.GetProperty("likes_count").GetInt64()));
    }

    [Fact]
    public async Task A_retried_create_with_the_same_idempotency_key_returns_the_first_post()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("po");
        async Task<JsonElement> CreateAsync(string key, string text)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/posts") { Content = JsonContent(new { text }) };
            request.Headers.Add("Idempotency-Key", key);
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", author.AccessToken);
            return await (await client.SendAsync(request)).JsonAsync();
        }

        var first = await CreateAsync("key-1", "first try");
        var retry = await CreateAsync("key-1", "first try (retried)");
        var other = await CreateAsync("key-2", "another post");
        var me = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}", token: author.AccessToken)).JsonAsync();

        Assert.Equal(Id(first), Id(retry));
        Assert.Equal("first try", retry.GetProperty("text").GetString());
        Assert.NotEqual(Id(first), Id(other));
        Assert.Equal(2, me.GetProperty("posts_count").GetInt64());
    }

    private static System.Net.Http.Json.JsonContent JsonContent(object body) => System.Net.Http.Json.JsonContent.Create(body);

    [Theory]
    [InlineData("", "public", null, "text")]
    [InlineData("ok", "friends", null, "visibility")]
    [InlineData("ok", "public", "not-a-guid", "quote_id")]
    [InlineData("ok", "public", "0193a0b0-0000-7000-8000-000000000000", "quote_id")]
    public async Task Bad_posts_are_refused_naming_the_field(string text, string visibility, string? quoteId, string field)
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("po");

        var response = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text, visibility, quote_id = quoteId }, author.AccessToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task A_post_over_the_length_limit_is_refused()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("po");

        var response = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = new string('a', 501) }, author.AccessToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty("text", out _));
    }

    [Fact]
    public async Task Edits_keep_the_history_and_only_the_author_may_edit()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("po");
        var other = await client.NewUserAsync("po");
        var post = Id(await PostAsync(client, author, "version one"));

        await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", new { text = "version two #edited" }, author.AccessToken);
        var edited = await (await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", new { text = "version three" }, author.AccessToken)).JsonAsync();
        var history = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}/history", token: other.AccessToken)).JsonAsync();
        var byOther = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", new { text = "hijacked" }, other.AccessToken);
        var empty = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", new { text = " " }, author.AccessToken);

        Assert.Equal("version three", edited.GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.String, edited.GetProperty("edited_at").ValueKind);
        Assert.Empty(edited.GetProperty("tags").EnumerateArray());
        Assert.Equal(["version one", "version two #edited"], history.EnumerateArray().Select(h => h.GetProperty("text").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, byOther.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task A_deleted_post_is_gone_for_everyone_and_no_longer_counted()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("po");
        var other = await client.NewUserAsync("po");
        var post = Id(await PostAsync(client, author, "soon gone"));
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/bookmark", token: other.AccessToken);

        var notTheirs = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/posts/{post}", token: other.AccessToken);
        var deleted = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/posts/{post}", token: author.AccessToken);

        Assert.Equal(HttpStatusCode.Forbidden, notTheirs.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: author.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: other.AccessToken)).StatusCode);
        Assert.Empty((await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/bookmarks", token: other.AccessToken)).JsonAsync()).EnumerateArray());
        var me = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}", token: author.AccessToken)).JsonAsync();
        Assert.Equal(0, me.GetProperty("posts_count").GetInt64());
    }

    [Fact]
    public async Task Likes_are_idempotent_flagged_per_viewer_and_listed()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("po");
        var fan = await client.NewUserAsync("po");
        var post = Id(await PostAsync(client, author, "like me"));

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: fan.AccessToken);
        var twice = await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: fan.AccessToken)).JsonAsync();
        var authorView = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: author.AccessToken)).JsonAsync();
        var likedBy = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}/liked_by")).JsonAsync();
        var unliked = await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/unlike", token: fan.AccessToken)).JsonAsync();

        Assert.Equal(1, twice.GetProperty("likes_count").GetInt64());
        Assert.True(twice.GetProperty("liked").GetBoolean());
        Assert.False(authorView.GetProperty("liked").GetBoolean());
        Assert.Equal(1, authorView.GetProperty("likes_count").GetInt64());
        Assert.Equal([fan.Username], likedBy.EnumerateArray().Select(a => a.GetProperty("username").GetString()));
        Assert.Equal(0, unliked.GetProperty("likes_count").GetInt64());
        Assert.False(unliked.GetProperty("liked").GetBoolean());
    }

    [Fact]
    public async Task Two_hundred_concurrent_likes_end_at_exactly_two_hundred_in_the_grain_the_rows_and_the_written_behind_count()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("po");
        var post = Id(await PostAsync(client, author, "popular"));
        var fans = await factory.Services.QuickUsersAsync(200, "lk");

        var responses = await Task.WhenAll(fans.Select(f => client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: f.AccessToken)));
        var view = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: author.AccessToken)).JsonAsync();

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(200, view.GetProperty("likes_count").GetInt64());
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        await using var rows = db.CreateCommand("SELECT count(*) FROM likes WHERE post_id = $1::uuid");
        rows.Parameters.Add(new NpgsqlParameter { Value = post });
        Assert.Equal(200L, (long)(await rows.ExecuteScalarAsync())!);
        long stored = -1;
        for (var i = 0; i < 100 && stored != 200; i++)
        {
            await Task.Delay(100);
            await using var column = db.CreateCommand("SELECT likes_count FROM posts WHERE id = $1::uuid");
            column.Parameters.Add(new NpgsqlParameter { Value = post });
            stored = (long)(await column.ExecuteScalarAsync())!;
        }

        Assert.Equal(200, stored);
    }

    [Fact]
    public async Task Only_public_posts_can_be_reposted_and_reposts_are_listed()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("po");
        var fan = await client.NewUserAsync("po");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: fan.AccessToken);
        var open = Id(await PostAsync(client, author, "share me"));
        var closed = Id(await PostAsync(client, author, "followers only", "followers"));

        var reposted = await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{open}/repost", token: fan.AccessToken)).JsonAsync();
        var refused = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{closed}/repost", token: fan.AccessToken);
        var by = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{open}/reposted_by", token: author.AccessToken)).JsonAsync();

        Assert.True(reposted.GetProperty("reposted").GetBoolean());
        Assert.Equal(1, reposted.GetProperty("reposts_count").GetInt64());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal([fan.Username], by.EnumerateArray().Select(a => a.GetProperty("username").GetString()));
    }

    [Fact]
    public async Task Bookmarks_are_listed_newest_first_and_only_to_their_owner()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("po");
        var reader = await client.NewUserAsync("po");
        var other = await client.NewUserAsync("po");
        var first = Id(await PostAsync(client, author, "first"));
        var second = Id(await PostAsync(client, author, "second"));

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{first}/bookmark", token: reader.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{second}/bookmark", token: reader.AccessToken);
        var mine = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/bookmarks", token: reader.AccessToken)).JsonAsync();
        var theirs = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/bookmarks", token: other.AccessToken)).JsonAsync();

        Assert.Equal([second, first], mine.EnumerateArray().Select(Id));
        Assert.True(mine[0].GetProperty("bookmarked").GetBoolean());
        Assert.Empty(theirs.EnumerateArray());
    }

    [Fact]
    public async Task A_quote_embeds_the_quoted_post_only_for_viewers_who_may_see_it()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("po");
        var follower = await client.NewUserAsync("po");
        var stranger = await client.NewUserAsync("po");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        var hidden = Id(await PostAsync(client, author, "for my followers", "followers"));
        var quote = Id(await PostAsync(client, author, "quoting myself", "public", hidden));

        var forFollower = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{quote}", token: follower.AccessToken)).JsonAsync();
        var forStranger = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{quote}", token: stranger.AccessToken)).JsonAsync();
        var strangerQuotes = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "sneaky", quote_id = hidden }, stranger.AccessToken);

        Assert.Equal(hidden, Id(forFollower.GetProperty("quote")));
        Assert.Equal(JsonValueKind.Null, forStranger.GetProperty("quote").ValueKind);
        Assert.Equal(HttpStatusCode.BadRequest, strangerQuotes.StatusCode);
    }
}
