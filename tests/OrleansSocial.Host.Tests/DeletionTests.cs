using System.Net;
using System.Text.Json;

namespace OrleansSocial.Host.Tests;

/// <summary>A host whose deleted accounts are erased two seconds after deletion.</summary>
public sealed class QuickErasureFactory : MediaFactory
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Accounts:Deletion:Grace"] = "00:00:02",
    };
}

internal static class DeletionSteps
{
    public static Task<HttpResponseMessage> DeleteAsync(this HttpClient client, TestUser user, string? password, string? code = null) =>
        client.SendJsonAsync(HttpMethod.Delete, "/api/v1/accounts/me", new { password, code }, user.AccessToken);

    public static async Task<JsonElement> PostAsync(this HttpClient client, TestUser author, string text, object? media = null)
    {
        var response = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", media is null ? new { text } : new { text, media_ids = media }, author.AccessToken);
        var json = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToString());
        return json;
    }

    public static async Task<JsonElement> AccountAsync(this HttpClient client, TestUser viewer, long id) =>
        await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{id}", token: viewer.AccessToken)).JsonAsync();
}

public sealed class DeletionTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task Deleting_an_account_needs_its_password_and_code_hides_it_at_once_holds_its_username_and_signing_in_within_the_grace_period_restores_it()
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("del");
        var fan = await client.NewUserAsync("del");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{owner.Id}/follow", token: fan.AccessToken);
        var post = (await client.PostAsync(owner, "still mine")).GetProperty("id").GetString();
        var fansPost = (await client.PostAsync(fan, "liked by the owner")).GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{fansPost}/like", token: owner.AccessToken);
        async Task<long> FanUnreadAsync() =>
            (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications/unread_count", token: fan.AccessToken)).JsonAsync()).GetProperty("count").GetInt64();
        var unreadBefore = await FanUnreadAsync();
        var (secret, backupCodes) = await TwoFactorTests.TurnOnAsync(client, owner);

        var wrongPassword = await client.DeleteAsync(owner, "not the password", TwoFactorTests.Code(secret, 1));
        var noCode = await client.DeleteAsync(owner, owner.Password);
        var badCode = await client.DeleteAsync(owner, owner.Password, "12 34");
        var deleted = await client.DeleteAsync(owner, owner.Password, TwoFactorTests.Code(secret, 1));
        var deletion = await deleted.JsonAsync();

        var ownerSignedOut = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: owner.AccessToken);
        var unreadWhileDeleted = await FanUnreadAsync();
        var profile = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{owner.Id}", token: fan.AccessToken);
        var byId = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: fan.AccessToken);
        var search = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/search?q={owner.Username}", token: fan.AccessToken)).JsonAsync();
        var follow = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{owner.Id}/unfollow", token: fan.AccessToken);
        var message = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations",
            new { participant_ids = new[] { owner.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, fan.AccessToken);
        var taken = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts",
            new { username = owner.Username, email = "someone.else@example.org", password = ApiClient.Password });
        var mail = await factory.ScalarAsync("SELECT count(*) FROM email_outbox WHERE to_address = $1 AND subject = 'Your account will be deleted'", owner.Email);
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        var deletedAccounts = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/accounts?status=deleted", token: admin.AccessToken)).JsonAsync();
        var activeAccounts = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/accounts?status=active", token: admin.AccessToken)).JsonAsync();

        // Signing in (password, then the second factor) within the grace period restores the account as it was.
        var login = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = owner.Username, password = owner.Password })).JsonAsync();
        var signedIn = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/mfa",
            new { mfa_token = login.GetProperty("mfa_token").GetString(), code = backupCodes[0] }); // the TOTP step went on the deletion
        var token = (await signedIn.JsonAsync()).GetProperty("access_token").GetString()!;
        var restored = await client.AccountAsync(fan, owner.Id);
        var unreadRestored = await FanUnreadAsync();
        var postAgain = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: fan.AccessToken);
        var alerts = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=security", token: token)).JsonAsync();
        var cancelled = await factory.ScalarAsync("SELECT count(*) FROM account_erasures WHERE account_id = $1 AND cancelled_at IS NOT NULL", owner.Id);

        Assert.Equal(HttpStatusCode.BadRequest, wrongPassword.StatusCode);
        Assert.Contains("password", (await wrongPassword.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.BadRequest, noCode.StatusCode);
        Assert.Contains("code", (await noCode.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.BadRequest, badCode.StatusCode);
        Assert.True(deleted.StatusCode == HttpStatusCode.Accepted, deletion.ToString());
        var eraseAfter = deletion.GetProperty("erase_after").GetDateTimeOffset();
        Assert.InRange(eraseAfter, DateTimeOffset.UtcNow.AddDays(29.9), DateTimeOffset.UtcNow.AddDays(30.1));
        Assert.Equal(HttpStatusCode.Unauthorized, ownerSignedOut.StatusCode);
        Assert.Equal((1, 0, 1), (unreadBefore, unreadWhileDeleted, unreadRestored)); // the fan's unread count follows the like's visibility
        Assert.Equal(HttpStatusCode.NotFound, profile.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byId.StatusCode);
        Assert.DoesNotContain(owner.Username, search.EnumerateArray().Select(a => a.GetProperty("username").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, follow.StatusCode); // frozen while deleted, for the follower too
        Assert.False(message.IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal(1, mail);
        Assert.Contains(owner.Username, deletedAccounts.EnumerateArray().Select(a => a.GetProperty("username").GetString()));
        Assert.DoesNotContain(owner.Username, activeAccounts.EnumerateArray().Select(a => a.GetProperty("username").GetString()));
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal(1, restored.GetProperty("followers_count").GetInt64());
        Assert.Equal(HttpStatusCode.OK, postAgain.StatusCode);
        Assert.Contains("deletion_cancelled", alerts.EnumerateArray().Select(n => n.GetProperty("detail").GetString()));
        Assert.Equal(1, cancelled);
    }
}

public sealed class ErasureTests(QuickErasureFactory factory) : IClassFixture<QuickErasureFactory>
{
    private async Task WaitErasedAsync(long account)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await factory.ScalarAsync("SELECT count(*) FROM account_erasures WHERE account_id = $1 AND finished_at IS NOT NULL", account) == 1)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("The erasure did not finish within a minute.");
    }

    [Fact]
    public async Task After_the_grace_period_an_account_is_erased_with_every_counter_right_and_its_messages_left_from_a_deleted_account()
    {
        using var client = factory.CreateClient();
        var leaver = await client.NewUserAsync("er");
        var follower = await client.NewUserAsync("er");
        var followee = await client.NewUserAsync("er");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{leaver.Id}/follow", token: follower.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{followee.Id}/follow", token: leaver.AccessToken);
        var media = await client.UploadProcessedAsync(leaver.AccessToken, TestMedia.Png(20, 20));
        var own = (await client.PostAsync(leaver, "my photo #farewell", new[] { media.GetProperty("id").GetString() })).GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{own}", new { text = "my photo, edited #farewell" }, leaver.AccessToken);
        var theirs = (await client.PostAsync(followee, "a post the leaver engages with")).GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{theirs}/like", token: leaver.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{theirs}/repost", token: leaver.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{theirs}/bookmark", token: leaver.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{theirs}/comments", new { text = "nice" }, leaver.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{theirs}/like", token: follower.AccessToken);
        var conversation = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations",
            new { participant_ids = new[] { follower.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, leaver.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{conversation}/messages", new { client_id = "bye-1", text = "goodbye" }, leaver.AccessToken);
        var before = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{theirs}", token: followee.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.Accepted, (await client.DeleteAsync(leaver, leaver.Password)).StatusCode);
        await WaitErasedAsync(leaver.Id);
        await Task.Delay(OrleansSocial.Grains.Posts.PostGrain.FlushPeriod * 2); // the counters' copies in the rows are written behind

        var followerSeen = await client.AccountAsync(followee, follower.Id);
        var followeeSeen = await client.AccountAsync(follower, followee.Id);
        var after = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{theirs}", token: followee.AccessToken)).JsonAsync();
        var comments = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{theirs}/comments", token: followee.AccessToken)).JsonAsync();
        var messages = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/conversations/{conversation}/messages", token: follower.AccessToken)).JsonAsync();
        var leaverSeen = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{leaver.Id}", token: follower.AccessToken);
        var signIn = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = leaver.Username, password = leaver.Password });
        var usernameAgain = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts",
            new { username = leaver.Username, email = leaver.Email, password = ApiClient.Password });
        var tag = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/tag/farewell", token: follower.AccessToken)).JsonAsync();

        Assert.Equal(2, before.GetProperty("likes_count").GetInt64()); // the leaver's like and the follower's
        Assert.Equal(0, followerSeen.GetProperty("following_count").GetInt64());
        Assert.Equal(0, followeeSeen.GetProperty("followers_count").GetInt64());
        Assert.Equal(1, after.GetProperty("likes_count").GetInt64());
        Assert.Equal(0, after.GetProperty("reposts_count").GetInt64());
        Assert.Equal(0, after.GetProperty("bookmarks_count").GetInt64() + after.GetProperty("comments_count").GetInt64());
        Assert.Empty(comments.EnumerateArray());
        var kept = Assert.Single(messages.EnumerateArray());
        Assert.Equal("goodbye", kept.GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.NotFound, leaverSeen.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.Created, usernameAgain.StatusCode); // the username and address are free again
        Assert.Empty(tag.EnumerateArray());

        // Nothing personal is left in the rows.
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM follows WHERE follower_id = $1 OR followee_id = $1", leaver.Id));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM likes WHERE account_id = $1", leaver.Id));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM sessions WHERE account_id = $1", leaver.Id));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM posts WHERE author_id = $1 AND (text <> '' OR deleted_at IS NULL)", leaver.Id));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM post_edits e JOIN posts p ON p.id = e.post_id WHERE p.author_id = $1", leaver.Id));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM media WHERE account_id = $1 AND deleted_at IS NULL", leaver.Id));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM comments WHERE author_id = $1 AND text <> ''", leaver.Id));
        Assert.Equal(1, await factory.ScalarAsync("""
            SELECT count(*) FROM accounts WHERE id = $1 AND erased_at IS NOT NULL AND password_hash = '' AND display_name = '' AND email LIKE 'deleted-%'
            """, leaver.Id));
    }
}
