using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans;
using OrleansSocial.Users;

namespace OrleansSocial.Host.Tests;

/// <summary>Reports: at most two an hour, so the limit is reached within a test.</summary>
public sealed class FewReportsFactory : MediaFactory
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings) { ["Moderation:ReportsPerHour"] = "2" };
}

internal static class ModerationApi
{
    /// <summary>Gives the account a role (as an admin's console will) and has its grain read it.</summary>
    public static async Task<TestUser> WithRoleAsync(this MediaFactory factory, TestUser user, string role)
    {
        await factory.ScalarAsync("UPDATE accounts SET role = $2 WHERE id = $1", user.Id, role);
        await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IUserGrain>(user.Id).ReloadAsync();
        return user;
    }

    public static Task<HttpResponseMessage> ReportAsync(this HttpClient client, TestUser reporter, object body) =>
        client.SendJsonAsync(HttpMethod.Post, "/api/v1/reports", body, reporter.AccessToken);

    public static string Id(this TestUser user) => user.Id.ToString(CultureInfo.InvariantCulture);
}

public sealed class ReportTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    private async Task<string> PostAsync(HttpClient client, TestUser author, string text, string visibility = "public") =>
        (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text, visibility }, author.AccessToken)).JsonAsync()).GetProperty("id").GetString()!;

    [Fact]
    public async Task A_report_reaches_the_queue_with_its_content_a_second_merges_into_it_and_closing_it_tells_the_reporter_and_is_audited()
    {
        using var client = factory.CreateClient();
        var reporter = await client.NewUserAsync("rp");
        var harasser = await client.NewUserAsync("rp");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        var own = await PostAsync(client, reporter, "my holiday pictures");
        var post = await PostAsync(client, harasser, "everyone look at this loser");
        var comment = (await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{own}/comments", new { text = "you are pathetic" }, harasser.AccessToken))
            .JsonAsync()).GetProperty("id").GetString();

        var first = await client.ReportAsync(reporter, new { account_id = harasser.Id(), post_ids = new[] { post }, category = "harassment", comment = "they keep at it" });
        var second = await client.ReportAsync(reporter, new { account_id = harasser.Id(), comment_ids = new[] { comment }, category = "harassment", comment = "and again" });
        var receipt = await first.JsonAsync();
        var id = receipt.GetProperty("id").GetString();

        var queue = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/moderation/reports?category=harassment", token: moderator.AccessToken)).JsonAsync();
        var listed = queue.EnumerateArray().Single(r => r.GetProperty("id").GetString() == id);
        var detail = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/moderation/reports/{id}", token: moderator.AccessToken)).JsonAsync();
        var assigned = await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/moderation/reports/{id}/assign", token: moderator.AccessToken)).JsonAsync();
        var noted = await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/moderation/reports/{id}/notes", new { text = "clear pattern" }, moderator.AccessToken))
            .JsonAsync();
        var resolved = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/moderation/reports/{id}/resolve", new { reason = "harassment confirmed" }, moderator.AccessToken);
        var again = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/moderation/reports/{id}/reject", new { reason = "changed my mind" }, moderator.AccessToken);
        var told = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications", token: reporter.AccessToken)).JsonAsync();
        var audit = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/audit_log", token: admin.AccessToken)).JsonAsync();
        var afterwards = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/moderation/reports", token: moderator.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.False(receipt.GetProperty("merged").GetBoolean());
        Assert.True((await second.JsonAsync()).GetProperty("merged").GetBoolean());
        Assert.Equal(id, (await second.JsonAsync()).GetProperty("id").GetString());
        Assert.Equal(2, listed.GetProperty("items_count").GetInt32());
        Assert.Equal("they keep at it\n\nand again", listed.GetProperty("comment").GetString());
        Assert.Equal(harasser.Username, listed.GetProperty("account").GetProperty("username").GetString());
        Assert.Equal(reporter.Username, listed.GetProperty("reporter").GetProperty("username").GetString());
        Assert.Equal(["you are pathetic", "everyone look at this loser"],
            detail.GetProperty("reported").EnumerateArray().Select(c => c.GetProperty("text").GetString()!).Order(StringComparer.Ordinal).Reverse().ToArray());
        Assert.Contains(detail.GetProperty("recent_posts").EnumerateArray(), p => p.GetProperty("id").GetString() == post);
        Assert.Equal(moderator.Id(), assigned.GetProperty("report").GetProperty("assignee_id").GetString());
        Assert.Equal("clear pattern", noted.GetProperty("notes")[0].GetProperty("text").GetString());
        Assert.Equal(moderator.Username, noted.GetProperty("notes")[0].GetProperty("author_username").GetString());
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        Assert.Equal("resolved", (await resolved.JsonAsync()).GetProperty("report").GetProperty("status").GetString());
        Assert.Equal("harassment confirmed", (await resolved.JsonAsync()).GetProperty("resolution").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        var notification = told.EnumerateArray().Single(n => n.GetProperty("type").GetString() == "report_resolved");
        Assert.Equal(id, notification.GetProperty("report_id").GetString());
        Assert.Equal(JsonValueKind.Null, notification.GetProperty("actor").ValueKind);
        Assert.Equal(["report.resolve", "report.note", "report.assign"],
            audit.EnumerateArray().Where(e => e.GetProperty("target_id").GetString() == id).Select(e => e.GetProperty("action").GetString()!).ToArray());
        Assert.All(audit.EnumerateArray().Where(e => e.GetProperty("target_id").GetString() == id),
            e => Assert.Equal(moderator.Username, e.GetProperty("actor_username").GetString()));
        Assert.DoesNotContain(afterwards.EnumerateArray(), r => r.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task Every_moderation_route_is_404_for_users_and_the_audit_log_for_moderators()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("rp");
        var target = await client.NewUserAsync("rp");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var id = (await (await client.ReportAsync(user, new { account_id = target.Id(), category = "spam" })).JsonAsync()).GetProperty("id").GetString();

        var attempts = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Get, "/api/v1/moderation/reports", null),
            (HttpMethod.Get, $"/api/v1/moderation/reports/{id}", null),
            (HttpMethod.Post, $"/api/v1/moderation/reports/{id}/assign", null),
            (HttpMethod.Post, $"/api/v1/moderation/reports/{id}/notes", new { text = "mine now" }),
            (HttpMethod.Post, $"/api/v1/moderation/reports/{id}/resolve", new { reason = "" }),
            (HttpMethod.Post, $"/api/v1/moderation/reports/{id}/reject", new { reason = "" }),
            (HttpMethod.Get, "/api/v1/admin/audit_log", null),
        };
        foreach (var (method, path, body) in attempts)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.SendJsonAsync(method, path, body, user.AccessToken)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/audit_log", token: moderator.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/moderation/reports/{id}", token: moderator.AccessToken)).StatusCode);
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM report_notes WHERE report_id = $1", long.Parse(id!, CultureInfo.InvariantCulture)));
        Assert.Equal("open", (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/moderation/reports/{id}", token: moderator.AccessToken)).JsonAsync())
            .GetProperty("report").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Content_the_reporter_cannot_see_or_not_of_the_account_is_refused_naming_the_field_and_nothing_is_filed()
    {
        using var client = factory.CreateClient();
        var reporter = await client.NewUserAsync("rp");
        var target = await client.NewUserAsync("rp");
        var other = await client.NewUserAsync("rp");
        var hidden = await PostAsync(client, target, "only my followers", "followers");
        var someoneElses = await PostAsync(client, other, "not theirs");
        var theirChat = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { other.Id() } }, target.AccessToken))
            .JsonAsync()).GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{theirChat}/messages", new { client_id = "1", text = "psst" }, target.AccessToken);

        async Task AssertNames(object body, string field)
        {
            var response = await client.ReportAsync(reporter, body);
            var problem = await response.JsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{field}: {(int)response.StatusCode} {problem}");
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }

        await AssertNames(new { account_id = target.Id(), post_ids = new[] { hidden }, category = "spam" }, "post_ids");
        await AssertNames(new { account_id = target.Id(), post_ids = new[] { someoneElses }, category = "spam" }, "post_ids");
        await AssertNames(new { account_id = target.Id(), conversation_id = theirChat, message_ids = new[] { "1" }, category = "spam" }, "message_ids");
        await AssertNames(new { account_id = target.Id(), category = "rudeness" }, "category");
        await AssertNames(new { account_id = target.Id(), category = "other", comment = new string('x', 1001) }, "comment");
        await AssertNames(new { account_id = reporter.Id(), category = "spam" }, "account_id");
        await AssertNames(new { account_id = "someone", category = "spam" }, "account_id");
        var unknown = await client.ReportAsync(reporter, new { account_id = "999999999", category = "spam" });

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM reports WHERE reporter_id = $1", reporter.Id));
    }

    [Fact]
    public async Task A_member_reports_messages_of_their_conversation_moderators_then_read_them_and_the_reporter_may_block_in_the_same_call()
    {
        using var client = factory.CreateClient();
        var reporter = await client.NewUserAsync("rp");
        var sender = await client.NewUserAsync("rp");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var chat = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { reporter.Id() } }, sender.AccessToken))
            .JsonAsync()).GetProperty("id").GetString();
        var message = (await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{chat}/messages", new { client_id = "m", text = "send me money or else" },
            sender.AccessToken)).JsonAsync()).GetProperty("id").GetString();

        var filed = await client.ReportAsync(reporter, new { account_id = sender.Id(), conversation_id = chat, message_ids = new[] { message }, category = "violence", block = true });
        var id = (await filed.JsonAsync()).GetProperty("id").GetString();
        var detail = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/moderation/reports/{id}", token: moderator.AccessToken)).JsonAsync();
        var relationship = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/relationships?id={sender.Id}", token: reporter.AccessToken)).JsonAsync();
        var afterBlock = await client.ReportAsync(reporter, new { account_id = sender.Id(), category = "violence", comment = "still at it", mute = true });

        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var reported = Assert.Single(detail.GetProperty("reported").EnumerateArray());
        Assert.Equal("message", reported.GetProperty("kind").GetString());
        Assert.Equal("send me money or else", reported.GetProperty("text").GetString());
        Assert.True(relationship[0].GetProperty("blocking").GetBoolean());
        Assert.Equal(HttpStatusCode.Created, afterBlock.StatusCode); // a blocked account can still be reported
        Assert.True((await afterBlock.JsonAsync()).GetProperty("merged").GetBoolean());
    }

    [Fact]
    public async Task The_audit_log_refuses_updates_and_deletes_even_in_the_database()
    {
        using var client = factory.CreateClient();
        var reporter = await client.NewUserAsync("rp");
        var target = await client.NewUserAsync("rp");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var id = (await (await client.ReportAsync(reporter, new { account_id = target.Id(), category = "spam" })).JsonAsync()).GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/moderation/reports/{id}/reject", new { reason = "not spam" }, moderator.AccessToken);

        var update = await Assert.ThrowsAsync<PostgresException>(() => factory.ScalarAsync("UPDATE audit_log SET reason = 'nothing happened' WHERE target_id = $1", id!));
        var delete = await Assert.ThrowsAsync<PostgresException>(() => factory.ScalarAsync("DELETE FROM audit_log WHERE target_id = $1", id!));
        var truncate = await Assert.ThrowsAsync<PostgresException>(() => factory.ScalarAsync("TRUNCATE audit_log"));

        Assert.Contains("append-only", update.MessageText, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.MessageText, StringComparison.Ordinal);
        Assert.Contains("append-only", truncate.MessageText, StringComparison.Ordinal);
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM audit_log WHERE target_id = $1 AND reason = 'not spam'", id!));
    }
}

public sealed class RoleTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task An_admin_makes_an_account_a_moderator_which_counts_at_once_and_is_audited_and_nobody_else_can()
    {
        using var client = factory.CreateClient();
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin"); // the first admin comes from configuration
        var candidate = await client.NewUserAsync("rl");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var user = await client.NewUserAsync("rl");
        Task<HttpResponseMessage> SetAsync(TestUser by, TestUser who, string role) =>
            client.SendJsonAsync(HttpMethod.Put, $"/api/v1/admin/accounts/{who.Id}/role", new { role, reason = "joins the safety team" }, by.AccessToken);

        var before = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/moderation/reports", token: candidate.AccessToken);
        var promoted = await SetAsync(admin, candidate, "moderator");
        var after = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/moderation/reports", token: candidate.AccessToken); // the same token
        var byModerator = await SetAsync(moderator, user, "admin");
        var byUser = await SetAsync(user, user, "admin");
        var self = await SetAsync(admin, admin, "user");
        var unknown = await SetAsync(admin, user, "superuser");
        var audit = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/audit_log", token: admin.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        Assert.Equal("moderator", (await promoted.JsonAsync()).GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byModerator.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byUser.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.True((await unknown.JsonAsync()).GetProperty("errors").TryGetProperty("role", out _));
        var entry = audit.EnumerateArray().Single(e => e.GetProperty("target_type").GetString() == "account" && e.GetProperty("target_id").GetString() == candidate.Id());
        Assert.Equal("account.role.moderator", entry.GetProperty("action").GetString());
        Assert.Equal("joins the safety team", entry.GetProperty("reason").GetString());
        Assert.Equal(admin.Username, entry.GetProperty("actor_username").GetString());
        Assert.Equal("user", (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: user.AccessToken)).JsonAsync()).GetProperty("role").GetString());
    }
}

public sealed class SignOutTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task An_admin_signs_an_account_out_everywhere_its_tokens_stop_it_can_sign_in_again_and_nobody_else_can_do_it()
    {
        using var client = factory.CreateClient();
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var account = await client.NewUserAsync("so");
        var second = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = account.Username, password = account.Password })).JsonAsync();

        var byModerator = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/accounts/{account.Id}/sign_out", new { reason = "" }, moderator.AccessToken);
        var signedOut = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/accounts/{account.Id}/sign_out", new { reason = "stolen password" }, admin.AccessToken);
        var (first, other) = (HttpStatusCode.OK, HttpStatusCode.OK);
        for (var i = 0; i < 100 && (first, other) != (HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized); i++) // the revocation poll: every 2 s
        {
            await Task.Delay(100);
            first = (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: account.AccessToken)).StatusCode;
            other = (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: second.GetProperty("access_token").GetString())).StatusCode;
        }

        var again = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = account.Username, password = account.Password });

        Assert.Equal(HttpStatusCode.NotFound, byModerator.StatusCode);
        Assert.Equal(2, (await signedOut.JsonAsync()).GetProperty("sessions_ended").GetInt32());
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (first, other));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM audit_log WHERE action = 'account.sign_out' AND target_id = $1 AND reason = 'stolen password'", account.Id()));
    }
}

public sealed class ReportLimitTests(FewReportsFactory factory) : IClassFixture<FewReportsFactory>
{
    [Fact]
    public async Task Past_the_hourly_report_limit_a_report_gets_429_with_retry_after_and_is_not_filed()
    {
        using var client = factory.CreateClient();
        var reporter = await client.NewUserAsync("rl");
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var target = await client.NewUserAsync("rl");
            Assert.Equal(HttpStatusCode.Created, (await client.ReportAsync(reporter, new { account_id = target.Id(), category = "spam" })).StatusCode);
        }

        var third = await client.ReportAsync(reporter, new { account_id = (await client.NewUserAsync("rl")).Id(), category = "spam" });

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.True(third.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(50), third.Headers.RetryAfter?.ToString());
        Assert.Equal(2, await factory.ScalarAsync("SELECT count(*) FROM reports WHERE reporter_id = $1", reporter.Id));
    }
}

public sealed class ModerationActionTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task A_removed_post_and_comment_vanish_from_every_read_path_at_once_are_kept_for_appeal_and_their_author_is_told()
    {
        using var client = factory.CreateClient();
        var victim = await client.NewUserAsync("ma");
        var harasser = await client.NewUserAsync("ma");
        var follower = await client.NewUserAsync("ma");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{harasser.Id}/follow", token: follower.AccessToken);
        var word = "w" + Guid.NewGuid().ToString("N")[..10];
        var tag = "t" + Guid.NewGuid().ToString("N")[..10];
        var post = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = $"{word} you all know who @{victim.Username} #{tag}" },
            harasser.AccessToken)).JsonAsync()).GetProperty("id").GetString()!;
        var quoting = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "look at this", quote_id = post }, follower.AccessToken))
            .JsonAsync()).GetProperty("id").GetString()!;
        var own = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "my day" }, victim.AccessToken)).JsonAsync()).GetProperty("id").GetString();
        var comment = (await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{own}/comments", new { text = "nobody likes you" }, harasser.AccessToken))
            .JsonAsync()).GetProperty("id").GetString()!;

        async Task<string[]> ReadPathsAsync()
        {
            var found = new List<string>();
            if ((await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: follower.AccessToken)).StatusCode == HttpStatusCode.OK)
            {
                found.Add("by id");
            }

            async Task<bool> HasAsync(string path, Func<JsonElement, IEnumerable<JsonElement>> items, TestUser reader, string id) =>
                items(await (await client.SendJsonAsync(HttpMethod.Get, path, token: reader.AccessToken)).JsonAsync())
                    .Any(i => (i.TryGetProperty("post", out var p) ? p : i).GetProperty("id").GetString() == id);
            static IEnumerable<JsonElement> Array(JsonElement e) => e.EnumerateArray();
            if (await HasAsync("/api/v1/timelines/home", Array, follower, post)) { found.Add("home"); }
            if (await HasAsync($"/api/v1/accounts/{harasser.Id}/posts", Array, follower, post)) { found.Add("profile"); }
            if (await HasAsync($"/api/v1/timelines/tag/{tag}", Array, follower, post)) { found.Add("hashtag"); }
            if (await HasAsync($"/api/v1/search?q={word}&type=posts", e => e.GetProperty("posts").EnumerateArray(), follower, post)) { found.Add("search"); }
            if (await HasAsync($"/api/v1/posts/{own}/comments", Array, victim, comment)) { found.Add("comments"); }
            var quote = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{quoting}", token: victim.AccessToken)).JsonAsync();
            if (quote.GetProperty("quote") is { ValueKind: JsonValueKind.Object } quoted && quoted.GetProperty("id").GetString() == post) { found.Add("quote"); }
            if (await HasAsync($"/api/v1/posts/{quoting}/context", e => e.GetProperty("ancestors").EnumerateArray(), victim, post)) { found.Add("context"); }
            var notifications = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications", token: victim.AccessToken)).JsonAsync();
            if (notifications.EnumerateArray().Any(n => n.GetProperty("type").GetString() == "mention" && n.GetProperty("post_id").GetString() == post))
            {
                found.Add("mention");
            }

            if (notifications.EnumerateArray().Any(n => n.TryGetProperty("comment_id", out var c) && c.ValueKind == JsonValueKind.String && c.GetString() == comment))
            {
                found.Add("notification");
            }

            return [.. found];
        }

        var before = await ReadPathsAsync();
        var removePost = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions",
            new { kind = "remove_post", account_id = harasser.Id(), post_id = post, reason = "targeted harassment" }, moderator.AccessToken);
        var removeComment = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions",
            new { kind = "remove_comment", account_id = harasser.Id(), comment_id = comment, reason = "targeted harassment" }, moderator.AccessToken);
        var after = await ReadPathsAsync();
        var again = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions",
            new { kind = "remove_post", account_id = harasser.Id(), post_id = post, reason = "twice" }, moderator.AccessToken);
        var told = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=moderation", token: harasser.AccessToken)).JsonAsync();
        var mine = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/moderation_actions", token: harasser.AccessToken)).JsonAsync();
        var audit = await factory.ScalarAsync("SELECT count(*) FROM audit_log WHERE target_type = 'account' AND target_id = $1 AND action LIKE 'moderation.remove_%'",
            harasser.Id());

        Assert.Equal(["by id", "home", "profile", "hashtag", "search", "comments", "quote", "context", "mention", "notification"], before);
        Assert.Equal(HttpStatusCode.Created, removePost.StatusCode);
        Assert.Equal(HttpStatusCode.Created, removeComment.StatusCode);
        Assert.Equal(moderator.Id(), (await removePost.JsonAsync()).GetProperty("moderator_id").GetString());
        Assert.Empty(after);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.True((await again.JsonAsync()).GetProperty("errors").TryGetProperty("post_id", out _));
        Assert.Equal(2, told.GetArrayLength());
        Assert.All(told.EnumerateArray(), n => Assert.Equal(JsonValueKind.Null, n.GetProperty("actor").ValueKind));
        Assert.Equal(told.EnumerateArray().Select(n => n.GetProperty("action_id").GetString()).Order(),
            mine.EnumerateArray().Select(a => a.GetProperty("id").GetString()).Order());
        Assert.All(mine.EnumerateArray(), a => Assert.Equal(JsonValueKind.Null, a.GetProperty("moderator_id").ValueKind));
        Assert.Equal(["remove_comment", "remove_post"], mine.EnumerateArray().Select(a => a.GetProperty("kind").GetString()!).ToArray());
        Assert.Equal(2, audit);
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM posts WHERE id = $1 AND text LIKE '%you all know who%'", Guid.Parse(post))); // kept
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM comments WHERE id = $1 AND text = 'nobody likes you'", long.Parse(comment, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task The_author_appeals_a_removal_once_an_admin_grants_it_and_the_post_is_back_everywhere_while_a_denied_appeal_leaves_the_comment_gone()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("ap");
        var follower = await client.NewUserAsync("ap");
        var stranger = await client.NewUserAsync("ap");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        var post = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "satire, honestly" }, author.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();
        var comment = (await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/comments", new { text = "and I mean it" }, author.AccessToken))
            .JsonAsync()).GetProperty("id").GetString();
        async Task<string> RemoveAsync(object body) => (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions", body, moderator.AccessToken))
            .JsonAsync()).GetProperty("id").GetString()!;
        var removedPost = await RemoveAsync(new { kind = "remove_post", account_id = author.Id(), post_id = post, reason = "misread" });
        var removedComment = await RemoveAsync(new { kind = "remove_comment", account_id = author.Id(), comment_id = comment, reason = "threat" });
        Task<HttpResponseMessage> AppealAsync(TestUser who, string action, string text) =>
            client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/me/moderation_actions/{action}/appeal", new { text }, who.AccessToken);

        var appeal = await AppealAsync(author, removedPost, "it was satire");
        var twice = await AppealAsync(author, removedPost, "really");
        var byStranger = await AppealAsync(stranger, removedComment, "not mine");
        var commentAppeal = (await (await AppealAsync(author, removedComment, "a joke")).JsonAsync()).GetProperty("id").GetString();
        var queue = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/appeals", token: admin.AccessToken)).JsonAsync();
        var byModerator = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/appeals", token: moderator.AccessToken);
        var id = (await appeal.JsonAsync()).GetProperty("id").GetString();
        var granted = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/appeals/{id}/grant", new { reason = "satire is allowed" }, admin.AccessToken);
        var denied = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/appeals/{commentAppeal}/deny", new { reason = "a threat is a threat" }, admin.AccessToken);
        var decidedAgain = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/appeals/{id}/deny", new { reason = "" }, admin.AccessToken);
        var seen = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: follower.AccessToken);
        var onProfile = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}/posts", token: follower.AccessToken)).JsonAsync();
        var comments = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}/comments", token: follower.AccessToken)).JsonAsync();
        var told = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=appeal_decided", token: author.AccessToken)).JsonAsync();
        var audit = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/audit_log", token: admin.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.Created, appeal.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, twice.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byStranger.StatusCode);
        Assert.Equal(2, queue.EnumerateArray().Count(a => a.GetProperty("action").GetProperty("account_id").GetString() == author.Id()));
        Assert.Equal(HttpStatusCode.NotFound, byModerator.StatusCode);
        Assert.Equal("granted", (await granted.JsonAsync()).GetProperty("status").GetString());
        Assert.Equal("denied", (await denied.JsonAsync()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, decidedAgain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
        Assert.Contains(onProfile.EnumerateArray(), p => p.GetProperty("post").GetProperty("id").GetString() == post);
        Assert.DoesNotContain(comments.EnumerateArray(), c => c.GetProperty("id").GetString() == comment);
        Assert.Equal(2, told.GetArrayLength());
        Assert.Equal(["appeal.deny", "appeal.grant"], audit.EnumerateArray().Where(e => e.GetProperty("target_type").GetString() == "appeal")
            .Where(e => e.GetProperty("target_id").GetString() == id || e.GetProperty("target_id").GetString() == commentAppeal)
            .Select(e => e.GetProperty("action").GetString()!).ToArray());
    }

    [Fact]
    public async Task Media_marked_sensitive_show_so_on_every_read_and_a_granted_appeal_clears_the_mark()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("se");
        var follower = await client.NewUserAsync("se");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        var media = await client.UploadProcessedAsync(author.AccessToken, TestMedia.Jpeg(64, 48));
        var post = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "gore warning?", media_ids = new[] { media.GetProperty("id").GetString() } },
            author.AccessToken)).JsonAsync()).GetProperty("id").GetString();

        async Task<(bool ById, bool Home)> SensitiveAsync()
        {
            var byId = (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: follower.AccessToken)).JsonAsync()).GetProperty("sensitive").GetBoolean();
            var home = (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: follower.AccessToken)).JsonAsync()).EnumerateArray()
                .Single(i => i.GetProperty("post").GetProperty("id").GetString() == post).GetProperty("post").GetProperty("sensitive").GetBoolean();
            return (byId, home);
        }

        var before = await SensitiveAsync();
        var marked = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions",
            new { kind = "mark_sensitive", account_id = author.Id(), post_id = post, reason = "graphic" }, moderator.AccessToken)).JsonAsync();
        var after = await SensitiveAsync();
        var appeal = (await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/me/moderation_actions/{marked.GetProperty("id").GetString()}/appeal",
            new { text = "it is ketchup" }, author.AccessToken)).JsonAsync()).GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/appeals/{appeal}/grant", new { reason = "ketchup indeed" }, admin.AccessToken);
        var cleared = await SensitiveAsync();

        Assert.Equal((false, false), before);
        Assert.Equal("mark_sensitive", marked.GetProperty("kind").GetString());
        Assert.Equal((true, true), after);
        Assert.Equal((false, false), cleared);
    }

    [Fact]
    public async Task A_warning_reaches_the_account_content_of_another_account_is_refused_and_users_cannot_act()
    {
        using var client = factory.CreateClient();
        var account = await client.NewUserAsync("ma");
        var other = await client.NewUserAsync("ma");
        var user = await client.NewUserAsync("ma");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var othersPost = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "innocent" }, other.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();

        var warned = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions",
            new { kind = "warn", account_id = account.Id(), reason = "please keep it civil" }, moderator.AccessToken);
        var wrongAccount = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions",
            new { kind = "remove_post", account_id = account.Id(), post_id = othersPost, reason = "" }, moderator.AccessToken);
        var unknownKind = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions",
            new { kind = "banish", account_id = account.Id(), reason = "" }, moderator.AccessToken);
        var byUser = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions",
            new { kind = "warn", account_id = account.Id(), reason = "I do not like you" }, user.AccessToken);
        var byUserMalformed = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions",
            new { kind = "warn", account_id = "someone", reason = "" }, user.AccessToken);
        var notified = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=moderation", token: account.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.Created, warned.StatusCode);
        Assert.Equal("please keep it civil", (await warned.JsonAsync()).GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, wrongAccount.StatusCode);
        Assert.True((await wrongAccount.JsonAsync()).GetProperty("errors").TryGetProperty("post_id", out _));
        Assert.Equal(HttpStatusCode.BadRequest, unknownKind.StatusCode);
        Assert.True((await unknownKind.JsonAsync()).GetProperty("errors").TryGetProperty("kind", out _));
        Assert.Equal(HttpStatusCode.NotFound, byUser.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byUserMalformed.StatusCode);
        Assert.Single(notified.EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{othersPost}", token: user.AccessToken)).StatusCode);
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM moderation_actions WHERE account_id = $1", account.Id));
    }
}

public sealed class SuspensionTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task A_suspended_account_is_signed_out_at_once_cannot_sign_in_is_hidden_everywhere_and_unsuspending_brings_it_all_back()
    {
        using var client = factory.CreateClient();
        var target = await client.NewUserAsync("su");
        var follower = await client.NewUserAsync("su");
        var stranger = await client.NewUserAsync("su");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{target.Id}/follow", token: follower.AccessToken);
        var post = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "spam spam spam" }, target.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();
        Task<HttpResponseMessage> ActAsync(string kind) =>
            client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions", new { kind, account_id = target.Id(), reason = "spam network" }, moderator.AccessToken);
        Task<HttpResponseMessage> LoginAsync() => client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = target.Username, password = target.Password });

        async Task<string[]> VisibleAsync()
        {
            var found = new List<string>();
            if ((await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{target.Id}", token: follower.AccessToken)).StatusCode == HttpStatusCode.OK) { found.Add("profile"); }
            if ((await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: follower.AccessToken)).StatusCode == HttpStatusCode.OK) { found.Add("post"); }
            var home = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: follower.AccessToken)).JsonAsync();
            if (home.EnumerateArray().Any(i => i.GetProperty("post").GetProperty("id").GetString() == post)) { found.Add("home"); }
            var following = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{follower.Id}/following", token: follower.AccessToken)).JsonAsync();
            if (following.EnumerateArray().Any(a => a.GetProperty("id").GetString() == target.Id())) { found.Add("following"); }
            var search = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/search?q={target.Username}", token: stranger.AccessToken)).JsonAsync();
            if (search.EnumerateArray().Any(a => a.GetProperty("id").GetString() == target.Id())) { found.Add("search"); }
            return [.. found];
        }

        var before = await VisibleAsync();
        var suspended = await ActAsync("suspend");
        var signedOut = HttpStatusCode.OK;
        for (var i = 0; i < 100 && signedOut != HttpStatusCode.Unauthorized; i++) // front ends poll revocations every 2 s
        {
            await Task.Delay(100);
            signedOut = (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: target.AccessToken)).StatusCode;
        }

        var login = await LoginAsync();
        var hidden = await VisibleAsync();
        var follow = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{target.Id}/follow", token: stranger.AccessToken);
        var twice = await ActAsync("suspend");
        var unsuspended = await ActAsync("unsuspend");
        var loginAgain = await LoginAsync();
        var back = await VisibleAsync();

        Assert.Equal(["profile", "post", "home", "following", "search"], before);
        Assert.Equal(HttpStatusCode.Created, suspended.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, signedOut);
        Assert.Equal(HttpStatusCode.Forbidden, login.StatusCode);
        Assert.Empty(hidden);
        Assert.Equal(HttpStatusCode.NotFound, follow.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Equal(HttpStatusCode.Created, unsuspended.StatusCode);
        Assert.Equal(HttpStatusCode.OK, loginAgain.StatusCode);
        Assert.Equal(before, back);
    }

    [Fact]
    public async Task An_admin_is_not_suspended_and_a_suspended_account_signs_in_only_to_appeal_and_a_granted_appeal_lifts_it()
    {
        using var client = factory.CreateClient();
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var account = await client.NewUserAsync("su");

        var onAdmin = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions", new { kind = "suspend", account_id = admin.Id(), reason = "" }, moderator.AccessToken);
        var action = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions", new { kind = "suspend", account_id = account.Id(), reason = "bot" },
            moderator.AccessToken)).JsonAsync()).GetProperty("id").GetString();
        var blocked = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = account.Username, password = account.Password });
        var wrongPassword = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = account.Username, password = "not the password 1" });
        var appealToken = (await blocked.JsonAsync()).GetProperty("appeal_token").GetString();
        var actions = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/moderation_actions", token: appealToken);
        var post = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "still here" }, appealToken);
        var profile = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: appealToken);
        var home = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: appealToken);
        var appealed = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/me/moderation_actions/{action}/appeal", new { text = "I am a person" }, appealToken);
        var appeal = (await appealed.JsonAsync()).GetProperty("id").GetString();
        var granted = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/appeals/{appeal}/grant", new { reason = "a person indeed" }, admin.AccessToken);
        var signIn = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = account.Username, password = account.Password });

        Assert.Equal(HttpStatusCode.Forbidden, onAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        Assert.False((await wrongPassword.JsonAsync()).TryGetProperty("appeal_token", out _));
        Assert.Equal(HttpStatusCode.OK, actions.StatusCode);
        Assert.Equal("suspend", (await actions.JsonAsync())[0].GetProperty("kind").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, profile.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, home.StatusCode);
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM posts WHERE author_id = $1", account.Id));
        Assert.Equal(HttpStatusCode.Created, appealed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
    }
}

public sealed class InstanceStatsTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task Admins_read_per_day_statistics_of_accounts_posts_messages_and_reports_and_nobody_else_does()
    {
        using var client = factory.CreateClient();
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var a = await client.NewUserAsync("st");
        var b = await client.NewUserAsync("st");
        async Task<JsonElement> TodayAsync() =>
            (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/stats", token: admin.AccessToken)).JsonAsync()).EnumerateArray().Last();
        var before = await TodayAsync();

        await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "counted" }, a.AccessToken);
        var chat = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { b.Id() } }, a.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{chat}/messages", new { client_id = "s", text = "counted too" }, a.AccessToken);
        var report = (await (await client.ReportAsync(b, new { account_id = a.Id(), category = "spam" })).JsonAsync()).GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/moderation/reports/{report}/reject", new { reason = "fine" }, moderator.AccessToken);
        await client.NewUserAsync("st"); // one more account today
        var after = await TodayAsync();
        var range = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/stats?from=2026-01-01&to=2026-01-07", token: admin.AccessToken)).JsonAsync();
        var backwards = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/stats?from=2026-02-01&to=2026-01-07", token: admin.AccessToken);
        var malformed = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/stats?from=yesterday", token: admin.AccessToken);
        var byModerator = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/stats", token: moderator.AccessToken);
        var byUserMalformed = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/stats?from=yesterday", token: a.AccessToken);

        long Grew(string figure) => after.GetProperty(figure).GetInt64() - before.GetProperty(figure).GetInt64();
        Assert.Equal(1, Grew("posts"));
        Assert.Equal(1, Grew("messages"));
        Assert.Equal(1, Grew("reports_opened"));
        Assert.Equal(1, Grew("reports_closed"));
        Assert.Equal(1, Grew("new_accounts"));
        Assert.Equal(1, Grew("accounts"));
        Assert.True(after.GetProperty("active_accounts").GetInt64() >= 4);
        Assert.Equal(DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), after.GetProperty("day").GetString());
        Assert.Equal(7, range.GetArrayLength());
        Assert.Equal("2026-01-01", range[0].GetProperty("day").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.True((await malformed.JsonAsync()).GetProperty("errors").TryGetProperty("from", out _));
        Assert.Equal(HttpStatusCode.NotFound, byModerator.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byUserMalformed.StatusCode);
    }
}

public sealed class SignupBlockTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task Admins_block_sign_ups_from_a_domain_with_its_subdomains_or_one_address_and_lifting_a_block_lets_them_in()
    {
        using var client = factory.CreateClient();
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        Task<HttpResponseMessage> BlockAsync(TestUser by, string kind, string value) =>
            client.SendJsonAsync(HttpMethod.Post, "/api/v1/admin/signup_blocks", new { kind, value, reason = "spam wave" }, by.AccessToken);
        async Task<HttpStatusCode> SignUpAsync(string email) => (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts",
            new { username = "s_" + Guid.NewGuid().ToString("N")[..12], email, password = "correct horse battery staple" })).StatusCode;

        var domain = await (await BlockAsync(admin, "domain", "Spam.Example")).JsonAsync();
        await BlockAsync(admin, "email", "troll@mail.example");
        var byModerator = await BlockAsync(moderator, "domain", "other.example");
        var bad = await BlockAsync(admin, "domain", "not a domain");
        var results = new Dictionary<string, HttpStatusCode>
        {
            ["x@spam.example"] = await SignUpAsync("x@spam.example"),
            ["x@eu.spam.example"] = await SignUpAsync("x@eu.spam.example"),
            ["x@notspam.example"] = await SignUpAsync("x@notspam.example"),
            ["troll@mail.example"] = await SignUpAsync("TROLL@mail.example"),
            ["friend@mail.example"] = await SignUpAsync("friend@mail.example"),
        };
        var list = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/signup_blocks", token: admin.AccessToken)).JsonAsync();
        var lifted = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/admin/signup_blocks/{domain.GetProperty("id").GetString()}", token: admin.AccessToken);
        var afterLift = await SignUpAsync("y@spam.example");

        Assert.Equal("spam.example", domain.GetProperty("value").GetString());
        Assert.Equal(HttpStatusCode.NotFound, byModerator.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await bad.JsonAsync()).GetProperty("errors").TryGetProperty("value", out _));
        Assert.Equal(HttpStatusCode.BadRequest, results["x@spam.example"]);
        Assert.Equal(HttpStatusCode.BadRequest, results["x@eu.spam.example"]);
        Assert.Equal(HttpStatusCode.Created, results["x@notspam.example"]);
        Assert.Equal(HttpStatusCode.BadRequest, results["troll@mail.example"]);
        Assert.Equal(HttpStatusCode.Created, results["friend@mail.example"]);
        Assert.Equal(2, list.GetArrayLength());
        Assert.Equal(HttpStatusCode.NoContent, lifted.StatusCode);
        Assert.Equal(HttpStatusCode.Created, afterLift);
        Assert.Equal(3, await factory.ScalarAsync("SELECT count(*) FROM audit_log WHERE action LIKE 'signup_block.%'"));
    }
}

public sealed class LimitTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task A_limited_account_reaches_only_its_followers_leaves_search_hashtags_and_profiles_for_others_and_unlimiting_brings_it_back()
    {
        using var client = factory.CreateClient();
        var target = await client.NewUserAsync("lm");
        var follower = await client.NewUserAsync("lm");
        var stranger = await client.NewUserAsync("lm");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{target.Id}/follow", token: follower.AccessToken);
        var word = "lm" + Guid.NewGuid().ToString("N")[..10];
        var post = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = $"buy now {word} #{word}" }, target.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();
        Task<HttpResponseMessage> ActAsync(string kind, TestUser by) =>
            client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions", new { kind, account_id = target.Id(), reason = "borderline spam" }, by.AccessToken);

        async Task<string[]> VisibleAsync(TestUser reader)
        {
            var found = new List<string>();
            if ((await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: reader.AccessToken)).StatusCode == HttpStatusCode.OK) { found.Add("post"); }
            bool Lists(JsonElement items) => items.EnumerateArray().Any(i => (i.TryGetProperty("post", out var p) ? p : i).GetProperty("id").GetString() == post);
            if (Lists(await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: reader.AccessToken)).JsonAsync())) { found.Add("home"); }
            if (Lists(await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{target.Id}/posts", token: reader.AccessToken)).JsonAsync())) { found.Add("profile"); }
            if (Lists(await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/timelines/tag/{word}", token: reader.AccessToken)).JsonAsync())) { found.Add("hashtag"); }
            var search = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/search?q={word}", token: reader.AccessToken)).JsonAsync();
            if (Lists(search.GetProperty("posts"))) { found.Add("search"); }
            if (search.GetProperty("hashtags").EnumerateArray().Any(t => t.GetProperty("name").GetString() == word)) { found.Add("tag-search"); }
            var accounts = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/search?q={target.Username}", token: reader.AccessToken)).JsonAsync();
            if (accounts.EnumerateArray().Any(a => a.GetProperty("id").GetString() == target.Id())) { found.Add("account-search"); }
            return [.. found];
        }

        var before = await VisibleAsync(stranger);
        var byUser = await ActAsync("limit", stranger);
        var limited = await ActAsync("limit", moderator);
        var twice = await ActAsync("limit", moderator);
        var strangerSees = await VisibleAsync(stranger);
        var followerSees = await VisibleAsync(follower);
        var profile = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{target.Id}", token: stranger.AccessToken)).JsonAsync();
        var told = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/moderation_actions", token: target.AccessToken)).JsonAsync();
        var unlimited = await ActAsync("unlimit", moderator);
        var after = await VisibleAsync(stranger);

        Assert.Equal(["post", "profile", "hashtag", "search", "tag-search", "account-search"], before);
        Assert.Equal(HttpStatusCode.NotFound, byUser.StatusCode);
        Assert.Equal(HttpStatusCode.Created, limited.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Empty(strangerSees);
        Assert.Equal(["post", "home", "profile", "hashtag", "search", "tag-search", "account-search"], followerSees);
        Assert.False(profile.TryGetProperty("limited", out _)); // the profile shows; the limit is not announced to others
        Assert.Equal("limit", told[0].GetProperty("kind").GetString());
        Assert.Equal(HttpStatusCode.Created, unlimited.StatusCode);
        Assert.Equal(before, after);
    }
}

public sealed class AdminAccountTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task Admins_find_accounts_by_username_email_ip_prefix_role_and_status_and_nobody_else_can()
    {
        using var client = factory.CreateClient();
        var tag = "aa" + Guid.NewGuid().ToString("N")[..6];
        var target = await client.NewUserAsync(tag);
        var other = await client.NewUserAsync(tag);
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync(tag), "moderator");
        await factory.ScalarAsync("UPDATE sessions SET ip = '203.0.113.77' WHERE account_id = $1", target.Id);
        await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions", new { kind = "limit", account_id = other.Id(), reason = "spam" }, admin.AccessToken);
        async Task<string[]> FindAsync(string query, TestUser? by = null)
        {
            var found = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/accounts?" + query, token: (by ?? admin).AccessToken)).JsonAsync();
            return [.. found.EnumerateArray().Select(a => a.GetProperty("username").GetString()!)];
        }

        var byName = await FindAsync($"username={tag}");
        var byEmail = await FindAsync($"email={target.Email[..^8]}");
        var byIp = await FindAsync("ip=203.0.113.");
        var byRole = await FindAsync($"username={tag}&role=moderator");
        var limited = await FindAsync($"username={tag}&status=limited");
        var active = await FindAsync($"username={tag}&status=active");
        var detail = (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/admin/accounts?ip=203.0.113.77", token: admin.AccessToken)).JsonAsync())[0];
        var badStatus = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/accounts?status=sleeping", token: admin.AccessToken);
        var byModerator = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/accounts", token: moderator.AccessToken);
        var byUser = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/accounts", token: target.AccessToken);

        Assert.Equal([moderator.Username, other.Username, target.Username], byName);
        Assert.Equal([target.Username], byEmail);
        Assert.Equal([target.Username], byIp);
        Assert.Equal([moderator.Username], byRole);
        Assert.Equal([other.Username], limited);
        Assert.Equal([moderator.Username, target.Username], active);
        Assert.Equal("203.0.113.77", detail.GetProperty("last_ip").GetString());
        Assert.Equal(target.Email, detail.GetProperty("email").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
        Assert.Contains("status", (await badStatus.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.NotFound, byModerator.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byUser.StatusCode);
    }

    [Fact]
    public async Task A_forced_password_reset_ends_every_session_refuses_the_old_password_and_the_mailed_link_sets_a_new_one()
    {
        using var client = factory.CreateClient();
        var target = await client.NewUserAsync("fr");
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        Task<HttpResponseMessage> LoginAsync(string password) =>
            client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = target.Username, password });

        var byModerator = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/accounts/{target.Id}/reset_password", new { reason = "x" }, moderator.AccessToken);
        var own = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/accounts/{admin.Id}/reset_password", new { reason = "x" }, admin.AccessToken);
        var forced = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/accounts/{target.Id}/reset_password",
            new { reason = "credentials seen in a leak" }, admin.AccessToken);
        var signedOut = HttpStatusCode.OK;
        for (var i = 0; i < 100 && signedOut != HttpStatusCode.Unauthorized; i++) // front ends poll revocations every 2 s
        {
            await Task.Delay(100);
            signedOut = (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: target.AccessToken)).StatusCode;
        }

        var oldPassword = await LoginAsync(target.Password);
        var token = await ApiClient.WaitForEmailedTokenAsync(factory.ConnectionString, target.Email, "Reset your password");
        var reset = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/passwords/reset", new { token, new_password = "a fresh passphrase 42" });
        var newPassword = await LoginAsync("a fresh passphrase 42");
        var audit = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/audit_log", token: admin.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.NotFound, byModerator.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        Assert.True((await forced.JsonAsync()).GetProperty("password_reset_required").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, signedOut);
        Assert.Equal(HttpStatusCode.Forbidden, oldPassword.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(HttpStatusCode.OK, newPassword.StatusCode);
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "account.password_reset" && e.GetProperty("target_id").GetString() == target.Id());
    }
}

public sealed class KeywordFilterTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task A_post_with_a_filtered_phrase_is_held_for_its_author_alone_until_a_moderator_approves_it_and_then_reaches_followers()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("kf");
        var follower = await client.NewUserAsync("kf");
        var stranger = await client.NewUserAsync("kf");
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        var tag = "kf" + Guid.NewGuid().ToString("N")[..8];

        var byModerator = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/admin/keyword_filters", new { keyword = "free  tokens" }, moderator.AccessToken);
        var added = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/admin/keyword_filters", new { keyword = "free  tokens", reason = "scam wave" }, admin.AccessToken);
        var again = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/admin/keyword_filters", new { keyword = "FREE tokens" }, admin.AccessToken);
        async Task<JsonElement> PostAsync(string text) =>
            await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text, visibility = "public" }, author.AccessToken)).JsonAsync();
        var held = await PostAsync($"Claim your FREE Tokens now #{tag}");
        var fine = await PostAsync($"tokens for free? no: freetokens are fine #{tag}");
        var removedLater = await PostAsync("more free tokens here");
        var heldId = held.GetProperty("id").GetString();

        async Task<bool> InHomeAsync(TestUser reader, string? id) =>
            (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: reader.AccessToken)).JsonAsync())
            .EnumerateArray().Any(i => i.GetProperty("post").GetProperty("id").GetString() == id);
        var authorSees = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{heldId}", token: author.AccessToken);
        var strangerSees = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{heldId}", token: stranger.AccessToken);
        var followerHome = await InHomeAsync(follower, heldId);
        var tagged = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/timelines/tag/{tag}", token: stranger.AccessToken)).JsonAsync();
        var queue = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/moderation/held_posts?limit=40", token: moderator.AccessToken)).JsonAsync();
        var queueByUser = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/moderation/held_posts", token: author.AccessToken);
        var approveByUser = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/moderation/held_posts/{heldId}/approve", new { reason = "x" }, author.AccessToken);
        var approved = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/moderation/held_posts/{heldId}/approve", new { reason = "a real promotion" }, moderator.AccessToken);
        var approvedTwice = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/moderation/held_posts/{heldId}/approve", new { reason = "" }, moderator.AccessToken);
        var reachedFollower = false;
        for (var i = 0; i < 50 && !reachedFollower; i++)
        {
            reachedFollower = await InHomeAsync(follower, heldId);
            await Task.Delay(reachedFollower ? 0 : 100);
        }

        var released = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{heldId}", token: stranger.AccessToken)).JsonAsync();
        var removed = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions",
            new { kind = "remove_post", account_id = author.Id(), post_id = removedLater.GetProperty("id").GetString(), reason = "scam" }, moderator.AccessToken);
        var queueAfter = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/moderation/held_posts?limit=40", token: moderator.AccessToken)).JsonAsync();
        var filterId = (await added.JsonAsync()).GetProperty("id").GetString();
        var lifted = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/admin/keyword_filters/{filterId}", token: admin.AccessToken);
        var afterLift = await PostAsync("free tokens, legitimately");
        var audit = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/audit_log", token: admin.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.NotFound, byModerator.StatusCode);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal("free tokens", (await added.JsonAsync()).GetProperty("keyword").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("keyword", (await again.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.True(held.GetProperty("held").GetBoolean());
        Assert.Equal("private", held.GetProperty("visibility").GetString());
        Assert.False(fine.GetProperty("held").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, authorSees.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, strangerSees.StatusCode);
        Assert.False(followerHome);
        Assert.Equal([fine.GetProperty("id").GetString()!], tagged.EnumerateArray().Select(i => i.GetProperty("post").GetProperty("id").GetString()!).ToArray());
        Assert.True(queue.ValueKind == JsonValueKind.Array, queue.ToString());
        var listed = queue.EnumerateArray().Single(p => p.GetProperty("post_id").GetString() == heldId);
        Assert.Equal("free tokens", listed.GetProperty("keyword").GetString());
        Assert.Equal("public", listed.GetProperty("visibility").GetString());
        Assert.Equal(HttpStatusCode.NotFound, queueByUser.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, approveByUser.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, approved.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, approvedTwice.StatusCode);
        Assert.True(reachedFollower);
        Assert.Equal("public", released.GetProperty("visibility").GetString());
        Assert.False(released.GetProperty("held").GetBoolean());
        Assert.Equal(HttpStatusCode.Created, removed.StatusCode);
        Assert.DoesNotContain(queueAfter.EnumerateArray(), p => p.GetProperty("author_id").GetString() == author.Id());
        Assert.Equal(HttpStatusCode.NoContent, lifted.StatusCode);
        Assert.False(afterLift.GetProperty("held").GetBoolean());
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "post.approve" && e.GetProperty("target_id").GetString() == heldId);
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "keyword_filter.add");
    }
}

public sealed class ModerationRouteTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task Every_moderation_and_admin_route_is_404_for_users_every_admin_route_is_404_for_moderators_and_none_of_them_changes_anything()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("rr");
        var target = await client.NewUserAsync("rr");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var report = (await (await client.ReportAsync(user, new { account_id = target.Id(), category = "spam" })).JsonAsync()).GetProperty("id").GetString()!;
        var post = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "a post" }, target.AccessToken)).JsonAsync()).GetProperty("id").GetString()!;
        var routes = factory.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>() is not null && e.RoutePattern.RawText is not null)
            .Select(e => (Method: e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()!.HttpMethods.Single(), Pattern: e.RoutePattern.RawText!))
            .Where(r => r.Pattern.StartsWith("/api/v1/moderation", StringComparison.Ordinal) || r.Pattern.StartsWith("/api/v1/admin", StringComparison.Ordinal))
            .ToList();

        // Real objects wherever a route names one: a refusal must come from the caller's role, not from a missing object.
        string Path(string pattern) => pattern
            .Replace("/moderation/reports/{id:long}", "/moderation/reports/" + report, StringComparison.Ordinal)
            .Replace("/admin/accounts/{id:long}", "/admin/accounts/" + target.Id(), StringComparison.Ordinal)
            .Replace("{id:guid}", post, StringComparison.Ordinal)
            .Replace("{id:long}", "1", StringComparison.Ordinal);
        object? Body(string method, string pattern) => method is "GET" or "DELETE" ? null
            : pattern.EndsWith("/role", StringComparison.Ordinal) ? new { role = "admin", reason = "x" }
            : pattern.EndsWith("/actions", StringComparison.Ordinal) ? new { kind = "suspend", account_id = target.Id(), reason = "x" }
            : pattern.EndsWith("/notes", StringComparison.Ordinal) ? new { text = "x" }
            : pattern.EndsWith("/keyword_filters", StringComparison.Ordinal) ? new { keyword = "anything" }
            : pattern.EndsWith("/signup_blocks", StringComparison.Ordinal) ? new { kind = "domain", value = "example.org" }
            : new { reason = "x" };
        var audited = await factory.ScalarAsync("SELECT count(*) FROM audit_log");

        var failures = new List<string>();
        foreach (var (method, pattern) in routes)
        {
            foreach (var caller in pattern.StartsWith("/api/v1/admin", StringComparison.Ordinal) ? new[] { user, moderator } : [user])
            {
                var status = (await client.SendJsonAsync(new HttpMethod(method), Path(pattern), Body(method, pattern), caller.AccessToken)).StatusCode;
                if (status != HttpStatusCode.NotFound)
                {
                    failures.Add($"{method} {pattern} as {(caller == user ? "user" : "moderator")}: {(int)status}");
                }
            }
        }

        Assert.True(routes.Count >= 20, $"only {routes.Count} routes found");
        Assert.Empty(failures);
        Assert.Equal(audited, await factory.ScalarAsync("SELECT count(*) FROM audit_log"));
        Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: target.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: user.AccessToken)).StatusCode);
    }
}

public sealed class StoryRemovalTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task A_removed_story_leaves_trays_at_once_keeps_its_media_for_appeal_and_a_granted_appeal_brings_it_back_while_it_would_still_be_live()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("sr");
        var follower = await client.NewUserAsync("sr");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        var story = await client.NewStoryAsync(author);
        var deleted = await client.NewStoryAsync(author);
        async Task<string[]> TrayAsync() => [.. (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}/stories", token: follower.AccessToken)).JsonAsync())
            .EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
        Task<long> LiveMediaAsync(string id) => factory.ScalarAsync("SELECT count(*) FROM media WHERE story_id = $1 AND deleted_at IS NULL", Guid.Parse(id));

        var before = await TrayAsync();
        var readerTrayBefore = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/stories/tray", token: follower.AccessToken)).JsonAsync();
        var removal = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions",
            new { kind = "remove_story", account_id = author.Id(), story_id = story, reason = "graphic" }, moderator.AccessToken);
        var action = (await removal.JsonAsync()).GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/stories/{deleted}", token: author.AccessToken);
        var removedSeen = await client.SeeAsync(follower, story);
        var during = await TrayAsync();
        var readerTray = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/stories/tray", token: follower.AccessToken)).JsonAsync();
        var keptMedia = await LiveMediaAsync(story);
        var deletedMedia = await LiveMediaAsync(deleted);
        var appeal = (await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/me/moderation_actions/{action}/appeal", new { text = "it was a costume" },
            author.AccessToken)).JsonAsync()).GetProperty("id").GetString();
        var granted = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/appeals/{appeal}/grant", new { reason = "costume" }, admin.AccessToken);
        var after = await TrayAsync();
        var restoredSeen = await client.SeeAsync(follower, story);

        Assert.Equal(new[] { story, deleted }.Order(StringComparer.Ordinal), before.Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.Created, removal.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, removedSeen);
        Assert.Empty(during);
        Assert.Contains(readerTrayBefore.EnumerateArray(), e => e.GetProperty("account").GetProperty("id").GetString() == author.Id());
        Assert.DoesNotContain(readerTray.EnumerateArray(), e => e.GetProperty("account").GetProperty("id").GetString() == author.Id());
        Assert.Equal(1, keptMedia);
        Assert.Equal(0, deletedMedia);
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Equal([story], after);
        Assert.Equal(HttpStatusCode.OK, restoredSeen);
    }
}

public sealed class ModerationScenarioTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    [Fact]
    public async Task A_harassing_reply_is_reported_seen_in_context_hidden_its_author_warned_the_reporter_told_the_author_appeals_and_an_admin_reads_it_all()
    {
        using var client = factory.CreateClient();
        var reporter = await client.NewUserAsync("sc");
        var harasser = await client.NewUserAsync("sc");
        var moderator = await factory.WithRoleAsync(await client.NewUserAsync("md"), "moderator");
        var admin = await factory.WithRoleAsync(await client.NewUserAsync("ad"), "admin");
        var own = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "first marathon done" }, reporter.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();
        var reply = (await (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{own}/comments", new { text = "you should quit, loser" }, harasser.AccessToken))
            .JsonAsync()).GetProperty("id").GetString();

        // The reporter reports the reply; a moderator finds it in the harassment queue with the reply and the account's history.
        var report = (await (await client.ReportAsync(reporter, new { account_id = harasser.Id(), comment_ids = new[] { reply }, category = "harassment",
            comment = "on my post" })).JsonAsync()).GetProperty("id").GetString();
        var queue = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/moderation/reports?category=harassment", token: moderator.AccessToken)).JsonAsync();
        var detail = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/moderation/reports/{report}", token: moderator.AccessToken)).JsonAsync();

        // It hides the reply and warns the author, both on the report, and resolves it.
        async Task<HttpResponseMessage> ActAsync(object body) => await client.SendJsonAsync(HttpMethod.Post, "/api/v1/moderation/actions", body, moderator.AccessToken);
        var hidden = await ActAsync(new { kind = "remove_comment", account_id = harasser.Id(), comment_id = reply, report_id = report, reason = "harassment" });
        var warned = await ActAsync(new { kind = "warn", account_id = harasser.Id(), report_id = report, reason = "keep it civil" });
        var resolved = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/moderation/reports/{report}/resolve", new { reason = "reply removed, author warned" },
            moderator.AccessToken);
        var comments = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{own}/comments", token: reporter.AccessToken)).JsonAsync();
        var reporterTold = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications", token: reporter.AccessToken)).JsonAsync();
        var authorTold = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=moderation", token: harasser.AccessToken)).JsonAsync();

        // The author appeals the removal; an admin sees the appeal and reads the audit log.
        var removal = (await hidden.JsonAsync()).GetProperty("id").GetString();
        var appeal = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/me/moderation_actions/{removal}/appeal", new { text = "it was banter" },
            harasser.AccessToken);
        var appeals = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/appeals", token: admin.AccessToken)).JsonAsync();
        var audit = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/admin/audit_log", token: admin.AccessToken)).JsonAsync();

        Assert.Contains(queue.EnumerateArray(), r => r.GetProperty("id").GetString() == report);
        Assert.Equal("you should quit, loser", detail.GetProperty("reported")[0].GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.Created, hidden.StatusCode);
        Assert.Equal(HttpStatusCode.Created, warned.StatusCode);
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        Assert.Empty(comments.EnumerateArray());
        Assert.Contains(reporterTold.EnumerateArray(), n => n.GetProperty("type").GetString() == "report_resolved" && n.GetProperty("report_id").GetString() == report);
        Assert.Equal(2, authorTold.GetArrayLength());
        Assert.Equal(HttpStatusCode.Created, appeal.StatusCode);
        Assert.Contains(appeals.EnumerateArray(), a => a.GetProperty("action").GetProperty("id").GetString() == removal);
        var trail = audit.EnumerateArray().Where(e => e.GetProperty("target_id").GetString() == harasser.Id() || e.GetProperty("target_id").GetString() == report)
            .Select(e => e.GetProperty("action").GetString()!).ToArray();
        Assert.Contains("moderation.remove_comment", trail);
        Assert.Contains("moderation.warn", trail);
        Assert.Contains("report.resolve", trail);
    }
}
