using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Realtime;
using Orleans;
using Orleans.Streams;

namespace OrleansSocial.Host.Tests;

/// <summary>
/// One generated visibility matrix: post visibility (public, followers, private; on a public and on a private account)
/// × the reader's relation to the author (the author, an approved follower, a pending requester, a stranger, blocked
/// by the author, blocking the author, a follower who mutes the author, a hashtag follower only, anonymous, and the
/// other accounts of the scene) × every read path a post reaches (by id, comments, history, liked_by, context, home,
/// profile and hashtag timelines, post and hashtag search, trending, notifications, bookmarks, the quotes and reposts
/// embedding it, and the live <c>update</c> and <c>post_updated</c> events). The rule is stated once, by hand, in
/// <see cref="MaySee"/> (not computed with the policy under test); each path's expectation is derived from it once.
/// On top of the cells, no REST body and no live event a reader receives may contain the secret word of a post that
/// reader may not see.
/// </summary>
public sealed class VisibilityMatrixTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private enum Rel { Self, Follower, Pending, Stranger, Blocked, Blocking, Muted, TagFollower, Anonymous }

    /// <summary>The rule: who may see a post of visibility <paramref name="visibility"/> by an account that is (or not) private.</summary>
    private static bool MaySee(bool privateAccount, string visibility, Rel rel) => rel switch
    {
        Rel.Self => true,
        Rel.Blocked or Rel.Blocking => false,
        Rel.Follower or Rel.Muted => visibility is "public" or "followers",
        _ => visibility == "public" && !privateAccount, // a pending requester, a stranger, a hashtag follower, anonymous
    };

    private sealed record Account(string Name, TestUser User, bool IsPrivate)
    {
        public string Id => User.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed record Post(string Id, Account Author, string Visibility, string Word, string Tag);

    private sealed record Reader(string Name, TestUser? User)
    {
        public string? Token => User?.AccessToken;
    }

    private sealed class Scene
    {
        public required Account PublicAuthor { get; init; }
        public required Account PrivateAuthor { get; init; }
        public required Account Quoter { get; init; }
        public required Dictionary<string, TestUser> Users { get; init; }
        public required string QuoteTag { get; init; }
        public List<Post> Posts { get; } = [];
        public Dictionary<string, Post> QuoteOf { get; } = []; // quoted post id -> the public post quoting it
        public ConcurrentDictionary<long, ConcurrentQueue<UserEvent>> Events { get; } = new();

        // How a reader stands with an account, as the scene set it up.
        public Rel RelTo(Reader reader, Account author)
        {
            if (reader.User is null)
            {
                return Rel.Anonymous;
            }

            if (reader.User.Id == author.User.Id)
            {
                return Rel.Self;
            }

            if (author == Quoter)
            {
                return reader.Name == "tag_follower" ? Rel.TagFollower : Rel.Follower; // everyone else follows the quoter
            }

            return reader.Name switch
            {
                "follower" => Rel.Follower,
                "pending" => author.IsPrivate ? Rel.Pending : Rel.Stranger,
                "blocked" => Rel.Blocked,
                "blocking" => Rel.Blocking,
                "muted" => Rel.Muted,
                "tag_follower" => Rel.TagFollower,
                "quoter" => Rel.Follower,
                _ => Rel.Stranger, // a stranger, and each author to the other
            };
        }

        public bool MaySee(Post post, Reader reader) => VisibilityMatrixTests.MaySee(post.Author.IsPrivate, post.Visibility, RelTo(reader, post.Author));

        // In the reader's home timeline (and so in its live `update`): its own posts, and posts it may see of accounts it
        // follows and does not mute, and public posts of public accounts with a hashtag it follows.
        public bool InHome(Post post, Reader reader)
        {
            var rel = RelTo(reader, post.Author);
            return rel == Rel.Self || (MaySee(post, reader)
                && (rel == Rel.Follower || (reader.Name == "tag_follower" && post.Visibility == "public" && !post.Author.IsPrivate)));
        }

        // The quoter's repost of a public post, in the home timeline of the reposter and of its followers who may see the
        // post and do not mute its author.
        public bool RepostInHome(Post post, Reader reader) => post.Visibility == "public" && RelTo(reader, Quoter) switch
        {
            Rel.Self => true,
            Rel.Follower => MaySee(post, reader) && RelTo(reader, post.Author) != Rel.Muted,
            _ => false,
        };
    }

    [Fact]
    public async Task Every_read_path_and_live_event_shows_a_post_exactly_to_the_readers_the_rule_allows()
    {
        using var client = factory.CreateClient();
        var scene = await SetUpAsync(client);
        var readers = scene.Users.Select(u => new Reader(u.Key, u.Value)).Append(new Reader("anonymous", null)).ToList();
        var failures = new List<string>();
        void Cell(Post post, Reader reader, string path, bool expected, bool actual)
        {
            if (expected != actual)
            {
                failures.Add($"{post.Visibility} post of a {(post.Author.IsPrivate ? "private" : "public")} account, reader {reader.Name} " +
                             $"({scene.RelTo(reader, post.Author)}), {path}: {(actual ? "shown" : "hidden")}, expected {(expected ? "shown" : "hidden")}");
            }
        }

        await CheckLiveEventsAsync(scene, readers, Cell);
        await WaitForTrendsAsync(client, scene);
        foreach (var reader in readers)
        {
            var bodies = new List<string>();
            async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path)
            {
                var response = await client.SendJsonAsync(HttpMethod.Get, path, null, reader.Token);
                var text = await response.Content.ReadAsStringAsync();
                bodies.Add(text);
                return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
            }

            static IEnumerable<JsonElement> Items(JsonElement list) => list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : [];
            static string? Id(JsonElement e) => e.GetProperty("id").GetString();
            static JsonElement Prop(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : default;

            var (_, home) = reader.User is null ? (HttpStatusCode.Unauthorized, default) : await GetAsync("/api/v1/timelines/home?limit=40");
            var (_, trending) = await GetAsync("/api/v1/trends/posts?limit=40");
            var (_, notifications) = reader.User is null ? (HttpStatusCode.Unauthorized, default) : await GetAsync("/api/v1/notifications?types=mention&limit=40");
            var (_, quoterProfile) = await GetAsync($"/api/v1/accounts/{scene.Quoter.Id}/posts?limit=40");
            foreach (var post in scene.Posts)
            {
                var may = scene.MaySee(post, reader);
                foreach (var path in new[] { "", "/comments", "/history", "/liked_by", "/reposted_by", "/context" })
                {
                    Cell(post, reader, "GET /posts/{id}" + path, may, (await GetAsync($"/api/v1/posts/{post.Id}{path}")).Status == HttpStatusCode.OK);
                }

                if (reader.User is not null)
                {
                    foreach (var action in new[] { "like", "bookmark" })
                    {
                        var status = (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post.Id}/{action}", null, reader.Token)).StatusCode;
                        Cell(post, reader, $"POST {action}", may, status == HttpStatusCode.OK);
                    }

                    var commented = (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post.Id}/comments", new { text = "hello" }, reader.Token)).StatusCode;
                    Cell(post, reader, "POST comment", may, commented == HttpStatusCode.Created);
                    Cell(post, reader, "bookmarks", may, Items((await GetAsync("/api/v1/bookmarks?limit=40")).Body).Any(p => Id(p) == post.Id));
                    Cell(post, reader, "home timeline", scene.InHome(post, reader),
                        Items(home).Any(i => Id(i.GetProperty("post")) == post.Id && i.GetProperty("reposted_by").ValueKind == JsonValueKind.Null));
                    // A repost of a post the timeline already holds just below it is shown once: the older entry stays.
                    Cell(post, reader, "home timeline, the quoter's repost", scene.RepostInHome(post, reader) && !scene.InHome(post, reader),
                        Items(home).Any(i => Id(i.GetProperty("post")) == post.Id && i.GetProperty("reposted_by").ValueKind != JsonValueKind.Null));
                    var mentioned = reader.User.Id != post.Author.User.Id;
                    Cell(post, reader, "mention notification", mentioned && may && scene.RelTo(reader, post.Author) != Rel.Muted,
                        Items(notifications).Any(n => n.GetProperty("type").GetString() == "mention" && n.GetProperty("post_id").GetString() == post.Id));
                }

                var (_, profile) = await GetAsync($"/api/v1/accounts/{post.Author.Id}/posts?limit=40");
                Cell(post, reader, "profile timeline", may, Items(profile).Any(i => Id(i.GetProperty("post")) == post.Id));
                Cell(post, reader, "the quoter's profile, its repost", post.Visibility == "public" && may,
                    Items(quoterProfile).Any(i => Id(i.GetProperty("post")) == post.Id));
                var (_, tagged) = await GetAsync($"/api/v1/timelines/tag/{post.Tag}");
                Cell(post, reader, "hashtag timeline", may && post.Visibility == "public", Items(tagged).Any(i => Id(i.GetProperty("post")) == post.Id));
                var (_, found) = await GetAsync($"/api/v1/search?q={post.Word}");
                Cell(post, reader, "post search", may, Items(Prop(found, "posts")).Any(i => Id(i.GetProperty("post")) == post.Id));
                var (_, tags) = await GetAsync($"/api/v1/search?type=hashtags&q={post.Tag}");
                Cell(post, reader, "hashtag search (and its count)", may,
                    Items(Prop(tags, "hashtags")).Any(t => t.GetProperty("name").GetString() == post.Tag && t.GetProperty("posts_count").GetInt64() == 1));
                Cell(post, reader, "trending posts", may && post.Visibility == "public" && !post.Author.IsPrivate, Items(trending).Any(p => Id(p) == post.Id));

                // The public post quoting it: the quote is embedded (by id, in the thread, in home) only for readers who may see it.
                var quoting = scene.QuoteOf[post.Id];
                var outerVisible = scene.MaySee(quoting, reader);
                var (outerStatus, outer) = await GetAsync($"/api/v1/posts/{quoting.Id}");
                Cell(post, reader, "GET the post quoting it: its quote", outerVisible && may,
                    outerStatus == HttpStatusCode.OK && outer.GetProperty("quote").ValueKind == JsonValueKind.Object);
                var (_, outerContext) = await GetAsync($"/api/v1/posts/{quoting.Id}/context");
                Cell(post, reader, "the thread of the post quoting it", outerVisible && may,
                    Items(Prop(outerContext, "ancestors")).Any(p => Id(p) == post.Id));
                var (_, context) = await GetAsync($"/api/v1/posts/{post.Id}/context");
                Cell(post, reader, "its thread, the post quoting it", outerVisible && may,
                    Items(Prop(context, "descendants")).Any(p => Id(p) == quoting.Id));
                if (reader.User is not null && scene.InHome(quoting, reader))
                {
                    Cell(post, reader, "home timeline, the post quoting it: its quote", may, Items(home).Any(i =>
                        Id(i.GetProperty("post")) == quoting.Id && i.GetProperty("post").GetProperty("quote").ValueKind == JsonValueKind.Object));
                }
            }

            foreach (var post in scene.Posts.Where(p => !scene.MaySee(p, reader)))
            {
                Cell(post, reader, "any REST body read (its secret word)", false, bodies.Any(b => b.Contains(post.Word, StringComparison.Ordinal)));
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} cells differ:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public async Task An_edit_reaches_only_timelines_whose_owner_may_still_see_the_post()
    {
        using var client = factory.CreateClient();
        var users = await factory.Services.QuickUsersAsync(4, "ve");
        var (author, staying, blocked, tagFollower) = (users[0], users[1], users[2], users[3]);
        var tag = "ve" + Guid.NewGuid().ToString("N")[..10];
        foreach (var follower in new[] { staying, blocked })
        {
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        }

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/tags/{tag}/follow", token: tagFollower.AccessToken);
        var events = new Dictionary<long, ConcurrentQueue<UserEvent>>();
        foreach (var user in users)
        {
            var queue = events[user.Id] = new ConcurrentQueue<UserEvent>();
            await factory.Services.ListenAsConnectedAsync(user.Id, queue.Enqueue);
        }

        var post = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = $"first words #{tag}" }, author.AccessToken))
            .JsonAsync()).GetProperty("id").GetString();
        await WaitUntilAsync(() => users.Skip(1).All(u => events[u.Id].Any(e => e.Name == UserEventNames.Update)));

        // The hashtag follower keeps the entry in its timeline (reads hide it) once the account goes private.
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{blocked.Id}/block", token: author.AccessToken);
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { is_private = true }, author.AccessToken);
        await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", new { text = $"second words, for followers only #{tag}" }, author.AccessToken);
        await WaitUntilAsync(() => events[staying.Id].Any(e => e.Name == UserEventNames.PostUpdated));
        await Task.Delay(500);

        Assert.Contains(events[author.Id], e => e.Name == UserEventNames.PostUpdated);
        Assert.DoesNotContain(events[blocked.Id], e => e.Name == UserEventNames.PostUpdated || e.Payload.GetRawText().Contains("second words", StringComparison.Ordinal));
        Assert.DoesNotContain(events[tagFollower.Id], e => e.Name == UserEventNames.PostUpdated || e.Payload.GetRawText().Contains("second words", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_quoted_author_is_notified_only_of_quotes_they_may_see()
    {
        using var client = factory.CreateClient();
        var users = await factory.Services.QuickUsersAsync(2, "vq");
        var (quoted, quoter) = (users[0], users[1]);
        var original = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "quote me" }, quoted.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();
        var hidden = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "among friends", visibility = "followers", quote_id = original },
            quoter.AccessToken);
        var open = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "for all", quote_id = original }, quoter.AccessToken);

        var quotes = (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=quote", token: quoted.AccessToken)).JsonAsync())
            .EnumerateArray().ToList();

        Assert.Equal(HttpStatusCode.Created, hidden.StatusCode);
        Assert.Equal(HttpStatusCode.Created, open.StatusCode);
        Assert.Single(quotes); // the followers-only quote, which the quoted author may not see, told them nothing
        Assert.Equal(quoter.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), quotes[0].GetProperty("actor").GetProperty("id").GetString());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "timed out");
    }

    private async Task<Scene> SetUpAsync(HttpClient client)
    {
        var names = new[] { "public_author", "private_author", "quoter", "follower", "pending", "stranger", "blocked", "blocking", "muted", "tag_follower" };
        var users = (await factory.Services.QuickUsersAsync(names.Length, "vm")).Select((u, i) => (names[i], u)).ToDictionary(p => p.Item1, p => p.u);
        var scene = new Scene
        {
            PublicAuthor = new Account("public_author", users["public_author"], false),
            PrivateAuthor = new Account("private_author", users["private_author"], true),
            Quoter = new Account("quoter", users["quoter"], false),
            Users = users,
            QuoteTag = "qt" + Guid.NewGuid().ToString("N")[..10],
        };
        async Task Ok(HttpMethod method, string path, string token, object? body = null)
        {
            var response = await client.SendJsonAsync(method, path, body, token);
            Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        await Ok(HttpMethod.Patch, "/api/v1/accounts/me", scene.PrivateAuthor.User.AccessToken, new { is_private = true });
        foreach (var author in new[] { scene.PublicAuthor, scene.PrivateAuthor })
        {
            foreach (var name in new[] { "follower", "muted", "quoter" })
            {
                await Ok(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", users[name].AccessToken);
                if (author.IsPrivate)
                {
                    await Ok(HttpMethod.Post, $"/api/v1/follow_requests/{users[name].Id}/authorize", author.User.AccessToken);
                }
            }

            await Ok(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/mute", users["muted"].AccessToken);
            await Ok(HttpMethod.Post, $"/api/v1/accounts/{users["blocked"].Id}/block", author.User.AccessToken);
            await Ok(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/block", users["blocking"].AccessToken);
        }

        await Ok(HttpMethod.Post, $"/api/v1/accounts/{scene.PrivateAuthor.Id}/follow", users["pending"].AccessToken); // stays a request
        foreach (var (name, user) in users.Where(u => u.Key is not ("quoter" or "tag_follower")))
        {
            await Ok(HttpMethod.Post, $"/api/v1/accounts/{scene.Quoter.Id}/follow", user.AccessToken);
        }

        foreach (var user in users.Values)
        {
            var queue = scene.Events.GetOrAdd(user.Id, _ => new ConcurrentQueue<UserEvent>());
            await factory.Services.ListenAsConnectedAsync(user.Id, queue.Enqueue);
        }

        var mentions = string.Join(' ', users.Values.Select(u => "@" + u.Username));
        var planned = new List<(Account Author, string Visibility, string Word, string Tag)>();
        foreach (var author in new[] { scene.PublicAuthor, scene.PrivateAuthor })
        {
            foreach (var visibility in new[] { "public", "followers", "private" })
            {
                var hex = Guid.NewGuid().ToString("N")[..12];
                planned.Add((author, visibility, "mx" + hex, "tg" + hex));
            }
        }

        await Ok(HttpMethod.Post, $"/api/v1/tags/{scene.QuoteTag}/follow", users["tag_follower"].AccessToken);
        foreach (var p in planned)
        {
            await Ok(HttpMethod.Post, $"/api/v1/tags/{p.Tag}/follow", users["tag_follower"].AccessToken);
        }

        foreach (var (author, visibility, word, tag) in planned)
        {
            var created = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts",
                new { text = $"the {visibility} secret {word} #{tag} {mentions.Replace("@" + author.User.Username, "", StringComparison.Ordinal)}", visibility },
                author.User.AccessToken);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var post = new Post((await created.JsonAsync()).GetProperty("id").GetString()!, author, visibility, word, tag);
            scene.Posts.Add(post);

            // Quoted by the quoter, who follows the author; a private post only its author can quote (in a public post).
            var quoter = visibility == "private" ? author : scene.Quoter;
            var quoting = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts",
                new { text = $"look at this #{scene.QuoteTag}", visibility = "public", quote_id = post.Id }, quoter.User.AccessToken);
            Assert.Equal(HttpStatusCode.Created, quoting.StatusCode);
            scene.QuoteOf[post.Id] = new Post((await quoting.JsonAsync()).GetProperty("id").GetString()!, quoter, "public", "", scene.QuoteTag);
            if (visibility == "public")
            {
                await Ok(HttpMethod.Post, $"/api/v1/posts/{post.Id}/repost", scene.Quoter.User.AccessToken);
            }
        }

        foreach (var post in scene.Posts)
        {
            await Ok(HttpMethod.Patch, $"/api/v1/posts/{post.Id}", post.Author.User.AccessToken,
                new { text = $"the edited {post.Visibility} secret {post.Word} #{post.Tag} {mentions.Replace("@" + post.Author.User.Username, "", StringComparison.Ordinal)}" });
        }

        return scene;
    }

    // The live events each signed-in reader's stream carried (what its SignalR connections are sent): `update` for the post
    // itself, for the quoter's repost of it and for the post quoting it (with the quote only for those who may see it), and
    // `post_updated` for its edit.
    private static async Task CheckLiveEventsAsync(Scene scene, List<Reader> readers, Action<Post, Reader, string, bool, bool> cell)
    {
        var signedIn = readers.Where(r => r.User is not null).ToList();
        var expected = new List<(Post Post, Reader Reader, string Path, Func<UserEvent, bool> Match)>();
        var unexpected = new List<(Post Post, Reader Reader, string Path, Func<UserEvent, bool> Match)>();
        foreach (var post in scene.Posts)
        {
            var quoting = scene.QuoteOf[post.Id];
            foreach (var reader in signedIn)
            {
                void Add(string path, bool shown, Func<UserEvent, bool> match) => (shown ? expected : unexpected).Add((post, reader, path, match));
                Add("live update", scene.InHome(post, reader), e => IsUpdate(e, post.Id, reposted: false));
                Add("live update, the quoter's repost", scene.RepostInHome(post, reader), e => IsUpdate(e, post.Id, reposted: true));
                Add("live post_updated", (scene.InHome(post, reader) || scene.RepostInHome(post, reader)) && scene.RelTo(reader, post.Author) != Rel.Muted,
                    e => e.Name == UserEventNames.PostUpdated && e.Payload.GetProperty("id").GetString() == post.Id);
                if (scene.InHome(quoting, reader))
                {
                    Add("live update of the post quoting it, with its quote", scene.MaySee(post, reader),
                        e => IsUpdate(e, quoting.Id, reposted: false) && e.Payload.GetProperty("post").GetProperty("quote").ValueKind == JsonValueKind.Object);
                    Add("live update of the post quoting it, without its quote", !scene.MaySee(post, reader),
                        e => IsUpdate(e, quoting.Id, reposted: false) && e.Payload.GetProperty("post").GetProperty("quote").ValueKind == JsonValueKind.Null);
                }
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !expected.All(x => scene.Events[x.Reader.User!.Id].Any(x.Match)))
        {
            await Task.Delay(100);
        }

        await Task.Delay(1000); // fan-outs write in audience order: anything unwanted would have come with the wanted ones
        foreach (var (post, reader, path, match) in expected)
        {
            cell(post, reader, path, true, scene.Events[reader.User!.Id].Any(match));
        }

        foreach (var (post, reader, path, match) in unexpected)
        {
            cell(post, reader, path, false, scene.Events[reader.User!.Id].Any(match));
        }

        foreach (var reader in signedIn)
        {
            var payloads = scene.Events[reader.User!.Id].Select(e => e.Payload.GetRawText()).ToList();
            foreach (var post in scene.Posts.Where(p => !scene.MaySee(p, reader)))
            {
                cell(post, reader, "any live event (its secret word)", false, payloads.Any(p => p.Contains(post.Word, StringComparison.Ordinal)));
            }
        }
    }

    private static bool IsUpdate(UserEvent e, string postId, bool reposted) =>
        e.Name == UserEventNames.Update && e.Payload.GetProperty("post").GetProperty("id").GetString() == postId
        && (e.Payload.GetProperty("reposted_by").ValueKind != JsonValueKind.Null) == reposted;

    // Trending reads the written-behind counters: likes by the follower reach the ranking a few seconds later.
    private static async Task WaitForTrendsAsync(HttpClient client, Scene scene)
    {
        var follower = scene.Users["follower"];
        foreach (var post in scene.Posts.Where(p => p.Visibility != "private"))
        {
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post.Id}/like", null, follower.AccessToken);
        }

        var eligible = scene.Posts.Where(p => p.Visibility == "public" && !p.Author.IsPrivate).Select(p => p.Id).ToList();
        for (var i = 0; i < 150; i++)
        {
            var trending = (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/trends/posts?limit=40")).JsonAsync()).EnumerateArray()
                .Select(p => p.GetProperty("id").GetString()).ToHashSet();
            if (eligible.All(trending.Contains))
            {
                return;
            }

            await Task.Delay(100);
        }
    }
}
