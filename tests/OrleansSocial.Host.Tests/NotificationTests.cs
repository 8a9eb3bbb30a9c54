using System.Net;
using System.Text.Json;

namespace OrleansSocial.Host.Tests;

public sealed class NotificationTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private static async Task<JsonElement[]> NotificationsAsync(HttpClient client, TestUser user, string query = "")
    {
        var response = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications" + query, token: user.AccessToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.JsonAsync()).EnumerateArray().ToArray();
    }

    private static string[] Types(JsonElement[] notifications) => notifications.Select(n => n.GetProperty("type").GetString()!).ToArray();

    private static async Task<string> PostAsync(HttpClient client, TestUser author, string text, string? quote = null) =>
        (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text, quote_id = quote }, author.AccessToken)).JsonAsync())
        .GetProperty("id").GetString()!;

    private static async Task<long> UnreadAsync(HttpClient client, TestUser user) =>
        (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications/unread_count", token: user.AccessToken)).JsonAsync()).GetProperty("count").GetInt64();

    [Fact]
    public async Task Every_action_on_someone_elses_account_or_content_notifies_them_and_acting_on_your_own_does_not()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("nt");
        var bob = await client.NewUserAsync("nt");
        var carol = await client.NewUserAsync("nt");
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { is_private = true }, carol.AccessToken);

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{alice.Id}/follow", token: bob.AccessToken);     // follow
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{carol.Id}/follow", token: alice.AccessToken);   // follow_request
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/follow_requests/{alice.Id}/authorize", token: carol.AccessToken); // follow_approved
        var post = await PostAsync(client, alice, "hello world");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: bob.AccessToken);             // like
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: alice.AccessToken);           // own: nothing
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/repost", token: bob.AccessToken);           // repost
        var comment = (await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/comments", new { text = "nice" }, alice.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();                                                                             // own: nothing
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/comments", new { text = "thanks", parent_comment_id = comment }, bob.AccessToken); // reply
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/comments", new { text = "great post" }, carol.AccessToken); // comment
        await PostAsync(client, bob, $"look at this @{alice.Username}");                                              // mention
        await PostAsync(client, carol, "quoting", post);                                                               // quote

        var alices = await NotificationsAsync(client, alice);
        Assert.Equal(["quote", "mention", "comment", "reply", "repost", "like", "follow_approved", "follow"], Types(alices));
        Assert.Equal(bob.Username, alices.Single(n => n.GetProperty("type").GetString() == "like").GetProperty("actor").GetProperty("username").GetString());
        Assert.Equal(post, alices.Single(n => n.GetProperty("type").GetString() == "like").GetProperty("post_id").GetString());
        Assert.Equal(["follow_request"], Types(await NotificationsAsync(client, carol)));
        Assert.Equal(8, await UnreadAsync(client, alice));
    }

    [Fact]
    public async Task Read_unread_and_delete_work_on_your_own_notifications_only()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("nt");
        var bob = await client.NewUserAsync("nt");
        var post = await PostAsync(client, alice, "p");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: bob.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{alice.Id}/follow", token: bob.AccessToken);
        var list = await NotificationsAsync(client, alice);
        var (follow, like) = (list[0].GetProperty("id").GetString(), list[1].GetProperty("id").GetString());

        var bobReads = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/notifications/{follow}/read", token: bob.AccessToken);
        var bobDeletes = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/notifications/{follow}", token: bob.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/notifications/{like}/read", token: alice.AccessToken);
        var afterOne = await UnreadAsync(client, alice);
        var unreadOnly = Types(await NotificationsAsync(client, alice, "?unread_only=true"));
        var likesOnly = Types(await NotificationsAsync(client, alice, "?types=like"));
        await client.SendJsonAsync(HttpMethod.Post, "/api/v1/notifications/read_all", token: alice.AccessToken);
        var afterAll = await UnreadAsync(client, alice);
        var deleted = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/notifications/{follow}", token: alice.AccessToken);

        Assert.Equal(HttpStatusCode.NotFound, bobReads.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobDeletes.StatusCode);
        Assert.Equal(1, afterOne);
        Assert.Equal(["follow"], unreadOnly);
        Assert.Equal(["like"], likesOnly);
        Assert.Equal(0, afterAll);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(["like"], Types(await NotificationsAsync(client, alice)));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=poke", token: alice.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task A_muted_or_blocked_account_causes_no_notifications_and_its_old_ones_disappear()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("nt");
        var bob = await client.NewUserAsync("nt");
        var carol = await client.NewUserAsync("nt");
        var post = await PostAsync(client, alice, "p");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: bob.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: carol.AccessToken);

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{bob.Id}/mute", token: alice.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{carol.Id}/block", token: alice.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/repost", token: bob.AccessToken);
        await PostAsync(client, carol, $"hey @{alice.Username}");

        Assert.Empty(await NotificationsAsync(client, alice));
        Assert.Equal(0, await UnreadAsync(client, alice));

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{bob.Id}/unmute", token: alice.AccessToken);
        Assert.Equal(["like"], Types(await NotificationsAsync(client, alice)));
        Assert.Equal(1, await UnreadAsync(client, alice));
    }

    [Fact]
    public async Task A_type_switched_off_is_neither_stored_nor_counted()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("nt");
        var bob = await client.NewUserAsync("nt");
        var preferences = await (await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/notifications/preferences", new { like = false }, alice.AccessToken)).JsonAsync();
        var post = await PostAsync(client, alice, "p");

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: bob.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{alice.Id}/follow", token: bob.AccessToken);

        Assert.False(preferences.GetProperty("like").GetBoolean());
        Assert.True(preferences.GetProperty("follow").GetBoolean());
        Assert.Equal(["follow"], Types(await NotificationsAsync(client, alice)));
        Assert.Equal(HttpStatusCode.BadRequest,
            (await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/notifications/preferences", new { poke = false }, alice.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task Likes_of_one_post_are_grouped_with_their_actors()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("nt");
        var fans = await factory.Services.QuickUsersAsync(4, "gr");
        var post = await PostAsync(client, alice, "p");
        var other = await PostAsync(client, alice, "q");
        foreach (var fan in fans)
        {
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: fan.AccessToken);
        }

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{other}/like", token: fans[0].AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{alice.Id}/follow", token: fans[0].AccessToken);

        var groups = await NotificationsAsync(client, alice, "?grouped=true");

        Assert.Equal(["follow", "like", "like"], Types(groups));
        var big = groups.Single(g => g.GetProperty("post_id").GetString() == post);
        Assert.Equal(4, big.GetProperty("actors_count").GetInt64());
        Assert.Equal(3, big.GetProperty("sample_actors").GetArrayLength());
        Assert.Equal(1, groups.Single(g => g.GetProperty("post_id").GetString() == other).GetProperty("actors_count").GetInt64());
    }
}
