using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Npgsql;
using OrleansSocial.Realtime;
using Orleans;
using Orleans.Streams;

namespace OrleansSocial.Host.Tests;

public sealed class ConversationTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private static async Task<HttpResponseMessage> StartAsync(HttpClient client, TestUser starter, string? title, params TestUser[] others) =>
        await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations",
            new { participant_ids = others.Select(o => o.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), title }, starter.AccessToken);

    private static async Task<string> StartedIdAsync(HttpClient client, TestUser starter, string? title, params TestUser[] others)
    {
        var response = await StartAsync(client, starter, title, others);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).GetProperty("id").GetString()!;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, TestUser sender, string conversation, string clientId, string text, string? replyTo = null) =>
        client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{conversation}/messages", new { client_id = clientId, text, reply_to = replyTo }, sender.AccessToken);

    [Fact]
    public async Task Two_accounts_starting_their_direct_conversation_at_once_from_both_sides_get_the_same_one()
    {
        using var client = factory.CreateClient();
        var (a, b) = (await client.NewUserAsync("dm"), await client.NewUserAsync("dm"));

        var ids = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? StartedIdAsync(client, a, null, b) : StartedIdAsync(client, b, null, a)));
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        await using var count = db.CreateCommand("SELECT count(*) FROM conversations WHERE pair_key = $1");
        count.Parameters.Add(new NpgsqlParameter { Value = $"{Math.Min(a.Id, b.Id)}:{Math.Max(a.Id, b.Id)}" });

        Assert.Single(ids.Distinct());
        Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_retried_send_with_the_same_client_id_stores_one_message_and_answers_with_it()
    {
        using var client = factory.CreateClient();
        var (a, b) = (await client.NewUserAsync("dm"), await client.NewUserAsync("dm"));
        var conversation = await StartedIdAsync(client, a, null, b);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => SendAsync(client, a, conversation, "c-1", "hello once")));
        var ids = await Task.WhenAll(answers.Select(async r => (await r.JsonAsync()).GetProperty("id").GetString()));
        var reply = await (await SendAsync(client, b, conversation, "c-1", "same client id, other sender", ids[0])).JsonAsync();
        var history = (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{conversation}/messages", token: b.AccessToken)).JsonAsync())
            .EnumerateArray().ToArray();

        Assert.All(answers, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single(ids.Distinct());
        Assert.Equal(ids[0], reply.GetProperty("reply_to").GetString());
        Assert.Equal(["same client id, other sender", "hello once"], history.Select(m => m.GetProperty("text").GetString()));
        Assert.Equal(["2", "1"], history.Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Only_members_see_read_or_write_a_conversation_and_a_group_has_its_creator_as_admin()
    {
        using var client = factory.CreateClient();
        var (a, b, c, outsider) = (await client.NewUserAsync("dm"), await client.NewUserAsync("dm"), await client.NewUserAsync("dm"), await client.NewUserAsync("dm"));
        var group = await StartedIdAsync(client, a, "planning", b, c);
        await SendAsync(client, b, group, "b-1", "hi all");

        var asMember = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{group}", token: c.AccessToken)).JsonAsync();
        var statuses = new[]
        {
            (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{group}", token: outsider.AccessToken)).StatusCode,
            (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{group}/messages", token: outsider.AccessToken)).StatusCode,
            (await SendAsync(client, outsider, group, "o-1", "let me in")).StatusCode,
            (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{Guid.NewGuid()}", token: outsider.AccessToken)).StatusCode,
        };

        Assert.Equal("group", asMember.GetProperty("kind").GetString());
        Assert.Equal("planning", asMember.GetProperty("title").GetString());
        Assert.Equal("1", asMember.GetProperty("last_message_id").GetString());
        var roles = asMember.GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("account").GetProperty("username").GetString()!, m => m.GetProperty("role").GetString());
        Assert.Equal("admin", roles[a.Username]);
        Assert.Equal("member", roles[c.Username]);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.NotFound, s));
    }

    [Fact]
    public async Task A_block_either_way_forbids_starting_or_continuing_a_direct_conversation()
    {
        using var client = factory.CreateClient();
        var (a, b, c) = (await client.NewUserAsync("dm"), await client.NewUserAsync("dm"), await client.NewUserAsync("dm"));
        var existing = await StartedIdAsync(client, a, null, b);
        await SendAsync(client, a, existing, "a-1", "before");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{a.Id}/block", token: b.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{c.Id}/block", token: a.AccessToken);

        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(client, a, existing, "a-2", "after")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(client, b, existing, "b-1", "after")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await StartAsync(client, c, null, a)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await StartAsync(client, a, "with someone I blocked", b, c)).StatusCode);
    }

    [Theory]
    [InlineData("", "text", "text")]
    [InlineData("c-x", "", "text")]
    [InlineData("c-x", "LONG", "text")]
    [InlineData("c-x", "hi", "reply_to")]
    public async Task Bad_messages_are_refused_naming_the_field(string clientId, string text, string field)
    {
        using var client = factory.CreateClient();
        var (a, b) = (await client.NewUserAsync("dm"), await client.NewUserAsync("dm"));
        var conversation = await StartedIdAsync(client, a, null, b);
        var body = text == "LONG" ? new string('x', 4001) : text;

        var response = await SendAsync(client, a, conversation, clientId == "" ? "" : clientId, clientId == "" ? "fine" : body, field == "reply_to" ? "99" : null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty(clientId == "" ? "client_id" : field, out _));
    }

    [Fact]
    public async Task Starting_a_conversation_with_nobody_or_a_missing_account_is_refused()
    {
        using var client = factory.CreateClient();
        var a = await client.NewUserAsync("dm");

        var alone = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, a.AccessToken);
        var missing = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { "999999999" } }, a.AccessToken);
        var garbage = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { "x" } }, a.AccessToken);

        Assert.Equal(HttpStatusCode.BadRequest, alone.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.True((await garbage.JsonAsync()).GetProperty("errors").TryGetProperty("participant_ids", out _));
    }

    [Fact]
    public async Task Read_pointers_only_move_forward_and_give_receipts_and_unread_counts_in_a_group_of_five()
    {
        using var client = factory.CreateClient();
        var users = new List<TestUser>();
        for (var i = 0; i < 5; i++)
        {
            users.Add(await client.NewUserAsync("rr"));
        }

        var (a, b, c, d) = (users[0], users[1], users[2], users[3]);
        var group = await StartedIdAsync(client, a, "five", [.. users.Skip(1)]);
        foreach (var n in new[] { 1, 2, 3 })
        {
            await SendAsync(client, a, group, $"a-{n}", $"message {n}");
        }

        async Task<string> ReadAsync(TestUser member, string messageId) => (await (await client.SendJsonAsync(HttpMethod.Post,
            $"/api/v1/conversations/{group}/read", new { message_id = messageId }, member.AccessToken)).JsonAsync()).GetProperty("last_read_id").GetString()!;
        var bFirst = await ReadAsync(b, "2");
        var bBack = await ReadAsync(b, "1");           // never back
        var cPast = await ReadAsync(c, "99");          // at most the newest
        var history = (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{group}/messages", token: a.AccessToken)).JsonAsync())
            .EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("read_by").EnumerateArray().Select(x => x.GetString()).ToHashSet());
        var dList = (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/conversations", token: d.AccessToken)).JsonAsync()).EnumerateArray().Single();
        var bList = (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/conversations", token: b.AccessToken)).JsonAsync()).EnumerateArray().Single();
        var dTotal = (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/conversations/unread_count", token: d.AccessToken)).JsonAsync()).GetProperty("count").GetInt64();
        var aTotal = (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/conversations/unread_count", token: a.AccessToken)).JsonAsync()).GetProperty("count").GetInt64();
        var outsider = await client.NewUserAsync("rr");
        var foreign = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/read", new { message_id = "1" }, outsider.AccessToken);

        string Id(TestUser u) => u.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(("2", "2", "3"), (bFirst, bBack, cPast));
        Assert.Equal([Id(b), Id(c)], history["1"].OrderBy(x => x));
        Assert.Equal([Id(b), Id(c)], history["2"].OrderBy(x => x));
        Assert.Equal([Id(c)], history["3"]);
        Assert.Equal(3, dList.GetProperty("unread_count").GetInt64());
        Assert.Equal("message 3", dList.GetProperty("last_message").GetProperty("text").GetString());
        Assert.Equal(1, bList.GetProperty("unread_count").GetInt64());
        Assert.Equal(3, dTotal);
        Assert.Equal(0, aTotal);                       // your own messages are not unread
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
    }

    [Fact]
    public async Task The_recipients_dm_policy_decides_who_may_start_and_continue_a_conversation()
    {
        using var client = factory.CreateClient();
        var (picky, follower, stranger) = (await client.NewUserAsync("dp"), await client.NewUserAsync("dp"), await client.NewUserAsync("dp"));
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{picky.Id}/follow", token: follower.AccessToken);
        var set = await (await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { dm_policy = "followers" }, picky.AccessToken)).JsonAsync();

        var fromStranger = await StartAsync(client, stranger, null, picky);
        var withFollower = await StartedIdAsync(client, follower, null, picky);
        var beforeNobody = await SendAsync(client, follower, withFollower, "f-1", "hello");
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { dm_policy = "nobody" }, picky.AccessToken);
        var afterNobody = await SendAsync(client, follower, withFollower, "f-2", "still there?");
        var pickyReplies = await SendAsync(client, picky, withFollower, "p-1", "I may still write");
        var bad = await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { dm_policy = "friends" }, picky.AccessToken);

        Assert.Equal("followers", set.GetProperty("dm_policy").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, fromStranger.StatusCode);
        Assert.Equal(HttpStatusCode.Created, beforeNobody.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, afterNobody.StatusCode);
        Assert.Equal(HttpStatusCode.Created, pickyReplies.StatusCode);   // the follower accepts everyone
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await bad.JsonAsync()).GetProperty("errors").TryGetProperty("dm_policy", out _));
    }

    [Fact]
    public async Task Senders_edit_and_delete_their_own_messages_and_a_deleted_one_keeps_its_place()
    {
        using var client = factory.CreateClient();
        var (a, b) = (await client.NewUserAsync("ed"), await client.NewUserAsync("ed"));
        var conversation = await StartedIdAsync(client, a, null, b);
        await SendAsync(client, a, conversation, "a-1", "first");
        await SendAsync(client, a, conversation, "a-2", "second");
        await SendAsync(client, b, conversation, "b-1", "third");

        var edited = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/conversations/{conversation}/messages/1", new { text = "first, fixed" }, a.AccessToken);
        var othersEdit = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/conversations/{conversation}/messages/3", new { text = "not yours" }, a.AccessToken);
        var deleted = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/conversations/{conversation}/messages/2", token: a.AccessToken);
        var deletedAgain = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/conversations/{conversation}/messages/2", token: a.AccessToken);
        var othersDelete = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/conversations/{conversation}/messages/1", token: b.AccessToken);
        var editDeleted = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/conversations/{conversation}/messages/2", new { text = "back?" }, a.AccessToken);
        var missing = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/conversations/{conversation}/messages/99", token: a.AccessToken);
        var emptyEdit = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/conversations/{conversation}/messages/1", new { text = " " }, a.AccessToken);
        var history = (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{conversation}/messages", token: b.AccessToken)).JsonAsync())
            .EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);

        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, othersEdit.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deletedAgain.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, othersDelete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, editDeleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, emptyEdit.StatusCode);
        Assert.Equal("first, fixed", history["1"].GetProperty("text").GetString());
        Assert.NotEqual(JsonValueKind.Null, history["1"].GetProperty("edited_at").ValueKind);
        Assert.True(history["2"].GetProperty("deleted").GetBoolean());
        Assert.Equal(JsonValueKind.Null, history["2"].GetProperty("text").ValueKind);
        Assert.Equal("third", history["3"].GetProperty("text").GetString());
    }

    private static string IdOf(TestUser user) => user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Admins_add_remove_and_rename_members_leave_and_a_removed_member_loses_access_to_new_messages()
    {
        using var client = factory.CreateClient();
        var (admin, b, c, d) = (await client.NewUserAsync("grp"), await client.NewUserAsync("grp"), await client.NewUserAsync("grp"), await client.NewUserAsync("grp"));
        var group = await StartedIdAsync(client, admin, "first", b, c);
        await SendAsync(client, b, group, "b-1", "before d joined");

        var memberAdds = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/members", new { account_ids = new[] { IdOf(d) } }, b.AccessToken);
        var memberRenames = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/conversations/{group}", new { title = "mine" }, c.AccessToken);
        var memberRemoves = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/conversations/{group}/members/{IdOf(c)}", token: b.AccessToken);
        var added = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/members", new { account_ids = new[] { IdOf(d) } }, admin.AccessToken);
        var renamed = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/conversations/{group}", new { title = "  second  " }, admin.AccessToken);
        var removed = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/conversations/{group}/members/{IdOf(c)}", token: admin.AccessToken);
        await SendAsync(client, b, group, "b-2", "after c was removed");

        Assert.Equal(HttpStatusCode.Forbidden, memberAdds.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, memberRenames.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, memberRemoves.StatusCode);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Equal("second", (await renamed.JsonAsync()).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);

        // c: no conversation, no history, no sending, not in the list; d: sees the messages from when it joined, none before.
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{group}/messages", token: c.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(client, c, group, "c-1", "still here?")).StatusCode);
        var cList = (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/conversations", token: c.AccessToken)).JsonAsync()).EnumerateArray();
        Assert.DoesNotContain(cList, i => i.GetProperty("conversation").GetProperty("id").GetString() == group);
        var dView = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{group}", token: d.AccessToken)).JsonAsync();
        Assert.Equal([admin.Username, b.Username, d.Username],
            dView.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("account").GetProperty("username").GetString()));
        var dHistory = (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{group}/messages", token: d.AccessToken)).JsonAsync()).EnumerateArray();
        Assert.Equal(["after c was removed"], dHistory.Select(m => m.GetProperty("text").GetString()));
        Assert.Equal(1, (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/conversations/unread_count", token: d.AccessToken)).JsonAsync()).GetProperty("count").GetInt64());

        // The last admin leaves: the longest-standing member (b) becomes admin and can add c back.
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/leave", token: admin.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{group}", token: admin.AccessToken)).StatusCode);
        var readdedByB = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/members", new { account_ids = new[] { IdOf(c) } }, b.AccessToken);
        var roles = (await readdedByB.JsonAsync()).GetProperty("members").EnumerateArray()
            .ToDictionary(m => m.GetProperty("account").GetProperty("username").GetString()!, m => m.GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.OK, readdedByB.StatusCode);
        Assert.Equal("admin", roles[b.Username]);
        Assert.Equal("member", roles[c.Username]);
    }

    [Fact]
    public async Task No_one_joins_a_group_in_which_a_block_stands_either_way_and_the_refusal_names_no_one()
    {
        using var client = factory.CreateClient();
        var users = await factory.Services.QuickUsersAsync(5, "gb");
        var (admin, blocker, blockedByIt, other, outsider) = (users[0], users[1], users[2], users[3], users[4]);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{blockedByIt.Id}/block", token: blocker.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{other.Id}/block", token: outsider.AccessToken);
        var group = await StartedIdAsync(client, admin, "blocks", blocker, other);

        var addBlocked = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/members", new { account_ids = new[] { IdOf(blockedByIt) } }, admin.AccessToken);
        var addBlocking = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/members", new { account_ids = new[] { IdOf(outsider) } }, admin.AccessToken);
        var startTogether = await StartAsync(client, admin, "both", blocker, blockedByIt);
        var members = (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{group}", token: admin.AccessToken)).JsonAsync())
            .GetProperty("members").EnumerateArray().Select(m => m.GetProperty("account").GetProperty("username").GetString()!).ToArray();

        foreach (var refused in new[] { addBlocked, addBlocking, startTogether })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var body = await refused.Content.ReadAsStringAsync();
            foreach (var named in new[] { blocker, other, blockedByIt, outsider })
            {
                Assert.DoesNotContain(named.Username, body, StringComparison.Ordinal);
                Assert.DoesNotContain($"\"{IdOf(named)}\"", body, StringComparison.Ordinal);
                Assert.DoesNotContain($":{IdOf(named)}", body, StringComparison.Ordinal);
            }
        }

        Assert.Equal([admin.Username, blocker.Username, other.Username], members);
    }

    [Fact]
    public async Task Blocking_a_group_member_hides_their_messages_both_ways_in_history_preview_unread_count_and_live_events()
    {
        using var client = factory.CreateClient();
        var users = await factory.Services.QuickUsersAsync(3, "gh");
        var (admin, blocker, blocked) = (users[0], users[1], users[2]);
        var group = await StartedIdAsync(client, admin, "hiding", blocker, blocked);
        var events = new Dictionary<long, ConcurrentQueue<UserEvent>>();
        foreach (var user in users)
        {
            var queue = events[user.Id] = new ConcurrentQueue<UserEvent>();
            await factory.Services.GetStreamProvider(UserEvents.Provider).GetStream<UserEvent>(UserEvents.StreamFor(user.Id))
                .SubscribeAsync((e, _) => { queue.Enqueue(e); return Task.CompletedTask; });
        }

        // The message before the block reaches everyone live; what follows is counted from after it.
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, blocked, group, "x-1", "from blocked, before the block")).StatusCode);
        for (var i = 0; i < 100 && users.Any(u => !events[u.Id].Any(e => e.Name == UserEventNames.Message)); i++)
        {
            await Task.Delay(50);
        }

        Assert.All(users, u => Assert.Contains(events[u.Id], e => e.Name == UserEventNames.Message));
        foreach (var queue in events.Values)
        {
            queue.Clear();
        }

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{blocked.Id}/block", token: blocker.AccessToken);
        await SendAsync(client, admin, group, "a-1", "from admin");
        await SendAsync(client, blocked, group, "x-2", "from blocked, after the block");
        await SendAsync(client, blocker, group, "b-1", "from blocker");
        await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/conversations/{group}/messages/3", new { text = "from blocked, edited" }, blocked.AccessToken);
        for (var i = 0; i < 100 && events[admin.Id].Count(e => e.Name.StartsWith("message", StringComparison.Ordinal)) < 4; i++)
        {
            await Task.Delay(50);
        }

        await Task.Delay(300);
        async Task<string[]> HistoryAsync(TestUser u) => [.. (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{group}/messages", token: u.AccessToken))
            .JsonAsync()).EnumerateArray().Select(m => m.GetProperty("text").GetString()!)];
        async Task<JsonElement> ListedAsync(TestUser u) => (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/conversations", token: u.AccessToken)).JsonAsync())
            .EnumerateArray().Single(c => c.GetProperty("conversation").GetProperty("id").GetString() == group);
        async Task<long> UnreadAsync(TestUser u) =>
            (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/conversations/unread_count", token: u.AccessToken)).JsonAsync()).GetProperty("count").GetInt64();
        string[] Texts(TestUser u) => [.. events[u.Id].Where(e => e.Name is UserEventNames.Message or UserEventNames.MessageUpdated)
            .Select(e => e.Payload.GetProperty("text").GetString()!)];

        Assert.Equal(["from blocker", "from blocked, edited", "from admin", "from blocked, before the block"], await HistoryAsync(admin));
        Assert.Equal(["from blocker", "from admin"], await HistoryAsync(blocker));
        Assert.Equal(["from blocked, edited", "from admin", "from blocked, before the block"], await HistoryAsync(blocked));
        Assert.Equal("from blocker", (await ListedAsync(blocker)).GetProperty("last_message").GetProperty("text").GetString());
        Assert.Equal("from blocked, edited", (await ListedAsync(blocked)).GetProperty("last_message").GetProperty("text").GetString());
        Assert.Equal(1, await UnreadAsync(blocker)); // from admin; the blocked member's two are not counted
        Assert.Equal(1, await UnreadAsync(blocked)); // from admin; the blocker's one is not counted
        Assert.Equal(["from admin", "from blocked, after the block", "from blocker", "from blocked, edited"], Texts(admin));
        Assert.Equal(["from admin", "from blocker"], Texts(blocker));
        Assert.Equal(["from admin", "from blocked, after the block", "from blocked, edited"], Texts(blocked));
    }

    [Fact]
    public async Task Membership_changes_of_a_direct_conversation_or_by_bad_input_are_refused_naming_the_field()
    {
        using var client = factory.CreateClient();
        var (a, b, c) = (await client.NewUserAsync("grp"), await client.NewUserAsync("grp"), await client.NewUserAsync("grp"));
        var direct = await StartedIdAsync(client, a, null, b);
        var group = await StartedIdAsync(client, a, "g", b);
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { dm_policy = "nobody" }, c.AccessToken);

        var addToDirect = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{direct}/members", new { account_ids = new[] { IdOf(c) } }, a.AccessToken);
        var leaveDirect = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{direct}/leave", token: a.AccessToken);
        var badIds = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/members", new { account_ids = new[] { "x" } }, a.AccessToken);
        var noIds = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/members", new { account_ids = Array.Empty<string>() }, a.AccessToken);
        var longTitle = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/conversations/{group}", new { title = new string('t', 101) }, a.AccessToken);
        var refusesMessages = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/members", new { account_ids = new[] { IdOf(c) } }, a.AccessToken);
        var missingAccount = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/members", new { account_ids = new[] { "987654321987" } }, a.AccessToken);

        Assert.Equal(HttpStatusCode.Forbidden, addToDirect.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, leaveDirect.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badIds.StatusCode);
        Assert.True((await badIds.JsonAsync()).GetProperty("errors").TryGetProperty("account_ids", out _));
        Assert.Equal(HttpStatusCode.BadRequest, noIds.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, longTitle.StatusCode);
        Assert.True((await longTitle.JsonAsync()).GetProperty("errors").TryGetProperty("title", out _));
        Assert.Equal(HttpStatusCode.Forbidden, refusesMessages.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missingAccount.StatusCode);
    }

    [Fact]
    public async Task In_a_direct_conversation_each_message_carries_when_the_recipient_first_read_it()
    {
        using var client = factory.CreateClient();
        var (a, b) = (await client.NewUserAsync("dm"), await client.NewUserAsync("dm"));
        var conversation = await StartedIdAsync(client, a, null, b);
        await SendAsync(client, a, conversation, "a-1", "one");
        await SendAsync(client, a, conversation, "a-2", "two");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{conversation}/read", new { message_id = "1" }, b.AccessToken);
        await Task.Delay(50);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{conversation}/read", new { message_id = "2" }, b.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{conversation}/read", new { message_id = "2" }, b.AccessToken);
        await SendAsync(client, a, conversation, "a-3", "three");

        var history = (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{conversation}/messages", token: a.AccessToken)).JsonAsync())
            .EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("read_at"));

        Assert.Equal(JsonValueKind.Null, history["3"].ValueKind);
        var first = history["1"].GetDateTimeOffset();
        var second = history["2"].GetDateTimeOffset();
        Assert.True(second > first, $"message 2 was read after message 1 ({first:O} vs {second:O})");
    }

    [Fact]
    public async Task Presence_is_visible_to_conversation_partners_only_until_a_block_stands_between_them()
    {
        using var client = factory.CreateClient();
        var (a, b, stranger) = (await client.NewUserAsync("pres"), await client.NewUserAsync("pres"), await client.NewUserAsync("pres"));
        await StartedIdAsync(client, a, null, b);

        var partner = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{IdOf(a)}/presence", token: b.AccessToken);
        var self = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{IdOf(a)}/presence", token: a.AccessToken);
        var outsider = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{IdOf(a)}/presence", token: stranger.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{IdOf(a)}/block", token: b.AccessToken);
        var blocker = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{IdOf(a)}/presence", token: b.AccessToken);
        var blocked = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{IdOf(b)}/presence", token: a.AccessToken);

        Assert.Equal(HttpStatusCode.OK, partner.StatusCode);
        Assert.False((await partner.JsonAsync()).GetProperty("online").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, self.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, outsider.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, blocker.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, blocked.StatusCode);
    }
}
