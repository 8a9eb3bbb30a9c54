using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansSocial.Grains.Timelines;

namespace OrleansSocial.Host.Tests;

/// <summary>Accounts with more than two followers count as celebrities; timelines keep at most ten entries.</summary>
public sealed class FeedsFactory : AccountsFactory
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Timelines:CelebrityFollowers"] = "2",
        ["Timelines:Capacity"] = "10",
    };
}

public sealed class TimelineTests(FeedsFactory factory) : IClassFixture<FeedsFactory>
{
    private static async Task<string> PostAsync(HttpClient client, TestUser author, string text, string visibility = "public")
    {
        var response = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text, visibility }, author.AccessToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement[]> HomeAsync(HttpClient client, TestUser reader, string query = "")
    {
        var response = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home" + query, token: reader.AccessToken);
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        return [.. body.EnumerateArray()];
    }

    private static string[] PostIds(IEnumerable<JsonElement> items) => [.. items.Select(i => i.GetProperty("post").GetProperty("id").GetString()!)];

    // Fan-out runs after the post is accepted: wait (bounded) until the reader's timeline shows what is expected.
    private static async Task<string[]> HomeUntilAsync(HttpClient client, TestUser reader, Func<string[], bool> done)
    {
        var ids = PostIds(await HomeAsync(client, reader));
        for (var i = 0; i < 100 && !done(ids); i++)
        {
            await Task.Delay(50);
            ids = PostIds(await HomeAsync(client, reader));
        }

        return ids;
    }

    private static Task Act(HttpClient client, TestUser actor, string action, TestUser target) =>
        client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{target.Id}/{action}", token: actor.AccessToken);

    [Fact]
    public async Task Home_shows_followed_accounts_and_own_posts_newest_first_and_unfollowing_removes_them()
    {
        using var client = factory.CreateClient();
        var (reader, author) = (await client.NewUserAsync("tl"), await client.NewUserAsync("tl"));
        await Act(client, reader, "follow", author);

        var first = await PostAsync(client, author, "first from author");
        var own = await PostAsync(client, reader, "my own");
        var hidden = await PostAsync(client, author, "only me", "private");
        var home = await HomeUntilAsync(client, reader, ids => ids.Length >= 2);
        await Act(client, reader, "unfollow", author);
        var after = PostIds(await HomeAsync(client, reader));

        Assert.Equal([own, first], home);
        Assert.DoesNotContain(hidden, home);
        Assert.Equal([own], after);
    }

    [Fact]
    public async Task Following_merges_recent_posts_and_blocking_removes_each_sides_posts_from_the_other()
    {
        using var client = factory.CreateClient();
        var (reader, author) = (await client.NewUserAsync("tl"), await client.NewUserAsync("tl"));
        var earlier = await PostAsync(client, author, "before you followed");
        await Act(client, reader, "follow", author);
        await Act(client, author, "follow", reader);
        var merged = PostIds(await HomeAsync(client, reader));
        var mine = await PostAsync(client, reader, "reader speaks");
        await HomeUntilAsync(client, author, ids => ids.Contains(mine));

        await Act(client, author, "block", reader);

        Assert.Equal([earlier], merged);
        Assert.DoesNotContain(earlier, PostIds(await HomeAsync(client, reader)));
        Assert.DoesNotContain(mine, PostIds(await HomeAsync(client, author)));
    }

    [Fact]
    public async Task A_muted_account_disappears_from_home_until_unmuted_and_deleted_or_edited_posts_show_as_they_are()
    {
        using var client = factory.CreateClient();
        var (reader, author) = (await client.NewUserAsync("tl"), await client.NewUserAsync("tl"));
        await Act(client, reader, "follow", author);
        var kept = await PostAsync(client, author, "kept");
        var doomed = await PostAsync(client, author, "doomed");
        await HomeUntilAsync(client, reader, ids => ids.Length == 2);

        await Act(client, reader, "mute", author);
        var muted = PostIds(await HomeAsync(client, reader));
        await Act(client, reader, "unmute", author);
        await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/posts/{doomed}", token: author.AccessToken);
        await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{kept}", new { text = "kept, edited" }, author.AccessToken);
        var home = await HomeAsync(client, reader);

        Assert.Empty(muted);
        Assert.Equal([kept], PostIds(home));
        Assert.Equal("kept, edited", home[0].GetProperty("post").GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_repost_shows_who_reposted_and_a_post_already_shown_is_not_repeated()
    {
        using var client = factory.CreateClient();
        var (reader, author, booster) = (await client.NewUserAsync("tl"), await client.NewUserAsync("tl"), await client.NewUserAsync("tl"));
        await Act(client, reader, "follow", booster);
        var post = await PostAsync(client, author, "worth a repost");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/repost", token: booster.AccessToken);
        await HomeUntilAsync(client, reader, ids => ids.Length == 1);
        var viaRepost = await HomeAsync(client, reader);

        await Act(client, reader, "follow", author);   // the original joins the timeline: the repost of it is not shown again
        var both = PostIds(await HomeAsync(client, reader));
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/unrepost", token: booster.AccessToken);
        await Act(client, reader, "unfollow", author);
        var withdrawn = await HomeUntilAsync(client, reader, ids => ids.Length == 0);

        Assert.Equal(booster.Username, viaRepost.Single().GetProperty("reposted_by").GetProperty("username").GetString());
        Assert.Equal([post], both);
        Assert.Empty(withdrawn);
    }

    [Fact]
    public async Task A_celebritys_post_reaches_followers_by_merge_and_is_never_fanned_out()
    {
        using var client = factory.CreateClient();
        var celebrity = await client.NewUserAsync("cb");
        var fans = new[] { await client.NewUserAsync("cb"), await client.NewUserAsync("cb"), await client.NewUserAsync("cb") };
        foreach (var fan in fans)
        {
            await Act(client, fan, "follow", celebrity);
        }

        var post = await PostAsync(client, celebrity, "hello, all three of you");
        var homes = await Task.WhenAll(fans.Select(f => HomeUntilAsync(client, f, ids => ids.Contains(post))));
        await Task.Delay(500); // let a (wrong) fan-out have its chance
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        await using var rows = db.CreateCommand("SELECT array_agg(owner_id) FROM timeline_entries WHERE post_id = $1::uuid");
        rows.Parameters.Add(new NpgsqlParameter { Value = post });
        var written = (long[])(await rows.ExecuteScalarAsync())!;

        Assert.All(homes, h => Assert.Contains(post, h));
        Assert.Equal([celebrity.Id], written);   // the author's own timeline only
    }

    [Fact]
    public async Task An_inactive_follower_is_skipped_by_fan_out_and_finds_the_post_when_their_timeline_is_rebuilt()
    {
        using var client = factory.CreateClient();
        var (away, author) = (await client.NewUserAsync("tl"), await client.NewUserAsync("tl"));
        await Act(client, away, "follow", author);
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        await using (var age = db.CreateCommand("UPDATE accounts SET last_active_at = now() - interval '30 days' WHERE id = $1"))
        {
            age.Parameters.Add(new NpgsqlParameter { Value = away.Id });
            await age.ExecuteNonQueryAsync();
        }

        var post = await PostAsync(client, author, "while you were away");
        await HomeUntilAsync(client, author, ids => ids.Contains(post));
        await Task.Delay(300);
        await using var rows = db.CreateCommand("SELECT count(*) FROM timeline_entries WHERE owner_id = $1");
        rows.Parameters.Add(new NpgsqlParameter { Value = away.Id });
        var before = (long)(await rows.ExecuteScalarAsync())!;
        var home = PostIds(await HomeAsync(client, away));

        Assert.Equal(0, before);
        Assert.Equal([post], home);
    }

    [Fact]
    public async Task The_timeline_keeps_its_capacity_and_pages_without_gaps_or_repeats_while_posts_arrive()
    {
        using var client = factory.CreateClient();
        var (reader, author) = (await client.NewUserAsync("tl"), await client.NewUserAsync("tl"));
        await Act(client, reader, "follow", author);
        var posts = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            posts.Add(await PostAsync(client, author, $"post {i}"));
        }

        var full = await HomeUntilAsync(client, reader, ids => ids.Length == 10 && ids[0] == posts[^1]);
        var first = PostIds(await HomeAsync(client, reader, "?limit=3"));
        var cursor = (await HomeAsync(client, reader, "?limit=3"))[^1].GetProperty("id").GetString();
        await PostAsync(client, author, "arrives while paging");
        var seen = new List<string>(first);
        while (true)
        {
            var page = await HomeAsync(client, reader, $"?limit=3&max_id={cursor}");
            if (page.Length == 0)
            {
                break;
            }

            seen.AddRange(PostIds(page));
            cursor = page[^1].GetProperty("id").GetString();
        }

        // Capacity 10 of the 12. Paging on while a post arrives: every entry once, in order, none skipped — only the
        // oldest may have fallen off the end, pushed out by the new one.
        Assert.Equal(10, full.Length);
        Assert.InRange(seen.Count, 9, 10);
        Assert.Equal(Enumerable.Reverse(posts).Take(seen.Count), seen);
    }

    [Fact]
    public async Task Profile_and_hashtag_timelines_show_what_the_viewer_may_see_and_a_followed_hashtag_joins_home()
    {
        using var client = factory.CreateClient();
        var (reader, author, stranger) = (await client.NewUserAsync("tl"), await client.NewUserAsync("tl"), await client.NewUserAsync("tl"));
        var tag = "tag" + Guid.NewGuid().ToString("N")[..8];
        var open = await PostAsync(client, author, $"open #{tag}");
        var closed = await PostAsync(client, author, $"followers only #{tag}", "followers");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{open}/repost", token: stranger.AccessToken);
        await Act(client, reader, "follow", author);

        var asFollower = PostIds((await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}/posts", token: reader.AccessToken)).JsonAsync()).EnumerateArray());
        var asStranger = PostIds((await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}/posts", token: stranger.AccessToken)).JsonAsync()).EnumerateArray());
        var strangersReposts = (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{stranger.Id}/posts")).JsonAsync()).EnumerateArray().ToArray();
        var withoutReposts = (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{stranger.Id}/posts?exclude_reposts=true")).JsonAsync()).EnumerateArray().ToArray();
        var tagged = PostIds((await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/timelines/tag/%23{tag.ToUpperInvariant()}", token: reader.AccessToken)).JsonAsync()).EnumerateArray());
        var badTag = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/tag/no%20spaces");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/tags/{tag}/follow", token: stranger.AccessToken);
        var strangerHome = PostIds(await HomeAsync(client, stranger));
        var followedTags = (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/followed_tags", token: stranger.AccessToken)).JsonAsync()).EnumerateArray();

        Assert.Equal([closed, open], asFollower);
        Assert.Equal([open], asStranger);
        Assert.Equal(stranger.Username, strangersReposts.Single().GetProperty("reposted_by").GetProperty("username").GetString());
        Assert.Empty(withoutReposts);
        Assert.Equal([open], tagged);   // public posts only, whoever asks
        Assert.Equal(HttpStatusCode.BadRequest, badTag.StatusCode);
        Assert.Contains(open, strangerHome);
        Assert.DoesNotContain(closed, strangerHome);
        Assert.Equal([tag], followedTags.Select(t => t.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Search_finds_posts_by_stemmed_words_only_where_the_viewer_may_see_them_and_refuses_bad_queries_by_name()
    {
        using var client = factory.CreateClient();
        var (owner, follower, stranger) = (await client.NewUserAsync("se"), await client.NewUserAsync("se"), await client.NewUserAsync("se"));
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { is_private = true }, owner.AccessToken);
        await Act(client, follower, "follow", owner);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/follow_requests/{follower.Id}/authorize", token: owner.AccessToken);
        var word = "zq" + Guid.NewGuid().ToString("N")[..8];
        var secret = await PostAsync(client, owner, $"I was running with {word}");
        var open = await PostAsync(client, stranger, $"She runs with {word} daily");

        async Task<string[]> FoundAsync(TestUser? viewer, string q) => PostIds((await (await client.SendJsonAsync(HttpMethod.Get,
            $"/api/v1/search?type=posts&q={Uri.EscapeDataString(q)}", token: viewer?.AccessToken)).JsonAsync()).GetProperty("posts").EnumerateArray());

        Assert.Equal([open, secret], await FoundAsync(follower, $"run {word}"));   // "running" and "runs" stem to "run"
        Assert.Equal([open], await FoundAsync(stranger, $"run {word}"));
        Assert.Equal([open], await FoundAsync(null, $"run {word}"));
        Assert.Equal([open, secret], await FoundAsync(owner, $"{word} & !( ) :* '"));   // tsquery syntax characters are just text
        Assert.Equal([secret], await FoundAsync(owner, $"{word} -daily"));                   // web-search syntax: - excludes
        foreach (var (q, field) in new[] { ("", "q"), (new string('x', 201), "q") })
        {
            var bad = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/search?q={Uri.EscapeDataString(q)}");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.True((await bad.JsonAsync()).GetProperty("errors").TryGetProperty(field, out _));
        }

        var badType = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/search?q=x&type=people");
        Assert.True((await badType.JsonAsync()).GetProperty("errors").TryGetProperty("type", out _));
    }

    [Fact]
    public async Task A_thread_shows_the_quote_chain_above_and_the_quotes_below_that_the_viewer_may_see()
    {
        using var client = factory.CreateClient();
        var (a, b, c, reader) = (await client.NewUserAsync("th"), await client.NewUserAsync("th"), await client.NewUserAsync("th"), await client.NewUserAsync("th"));
        async Task<string> QuoteAsync(TestUser author, string text, string? quote, string visibility = "public") =>
            (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text, visibility, quote_id = quote }, author.AccessToken)).JsonAsync())
                .GetProperty("id").GetString()!;
        var root = await QuoteAsync(a, "the root", null);
        var middle = await QuoteAsync(b, "quoting the root", root);
        var below = await QuoteAsync(c, "quoting the middle", middle);
        var hiddenBelow = await QuoteAsync(c, "also quoting, followers only", middle, "followers");

        var context = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{middle}/context", token: reader.AccessToken)).JsonAsync();
        var missing = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{Guid.NewGuid()}/context");

        Assert.Equal([root], context.GetProperty("ancestors").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
        Assert.Equal([below], context.GetProperty("descendants").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_fan_out_cut_short_by_a_dying_silo_is_run_again_by_the_sweeper()
    {
        using var client = factory.CreateClient();
        var (reader, author) = (await client.NewUserAsync("sw"), await client.NewUserAsync("sw"));
        await Act(client, reader, "follow", author);
        await HomeAsync(client, reader); // the reader's timeline is loaded: the sweep's fan-out must reach the held entries too

        // The post as a silo leaves it when it dies right after committing: stored, never fanned out.
        var post = Guid.CreateVersion7();
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        await using (var insert = db.CreateCommand(
            "INSERT INTO posts (id, author_id, text, visibility, created_at) VALUES ($1, $2, 'lost in a crash', 'public', now() - interval '1 minute')"))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = post });
            insert.Parameters.Add(new NpgsqlParameter { Value = author.Id });
            await insert.ExecuteNonQueryAsync();
        }

        var resumed = await factory.Services.GetRequiredService<TimelineFanout>().SweepAsync();
        var home = await HomeUntilAsync(client, reader, ids => ids.Contains(post.ToString()));
        await Task.Delay(200);
        await using var done = db.CreateCommand("SELECT fanned_out FROM posts WHERE id = $1");
        done.Parameters.Add(new NpgsqlParameter { Value = post });

        Assert.True(resumed >= 1);
        Assert.Equal([post.ToString()], home);
        Assert.True((bool)(await done.ExecuteScalarAsync())!);
        Assert.Equal(0, await factory.Services.GetRequiredService<TimelineFanout>().SweepAsync()); // nothing left to resume
    }

    [Fact]
    public async Task Fan_out_reaches_hashtag_followers_with_public_posts_only_and_skips_followers_who_mute_the_author()
    {
        using var client = factory.CreateClient();
        var (tagFan, muter, author) = (await client.NewUserAsync("fo"), await client.NewUserAsync("fo"), await client.NewUserAsync("fo"));
        var tag = "fan" + Guid.NewGuid().ToString("N")[..8];
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/tags/{tag}/follow", token: tagFan.AccessToken);
        await Act(client, muter, "follow", author);
        await Act(client, muter, "mute", author);

        var closed = await PostAsync(client, author, $"followers only #{tag}", "followers");
        var open = await PostAsync(client, author, $"for everyone #{tag}");
        var tagHome = await HomeUntilAsync(client, tagFan, ids => ids.Contains(open));
        await HomeUntilAsync(client, author, ids => ids.Contains(open));
        await Task.Delay(300); // the muter's fan-out batch ran with the author's
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        await using var rows = db.CreateCommand("SELECT count(*) FROM timeline_entries WHERE owner_id = $1");
        rows.Parameters.Add(new NpgsqlParameter { Value = muter.Id });

        Assert.Equal([open], tagHome);
        Assert.DoesNotContain(closed, tagHome);
        Assert.Equal(0L, (long)(await rows.ExecuteScalarAsync())!);
    }
}
