using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Realtime;
using Orleans;
using Orleans.Streams;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>The host on a real Kestrel port (the JavaScript client needs one), with accounts.</summary>
public sealed class RealtimeFactory : AccountsFactory
{
    public RealtimeFactory() => UseKestrel(0);
}

public sealed class RealtimeTests : IClassFixture<RealtimeFactory>
{
    private static readonly string ClientDirectory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../signalr-client"));
    private readonly RealtimeFactory _factory;

    public RealtimeTests(RealtimeFactory factory)
    {
        _factory = factory;
        _factory.StartServer();
    }

    private async Task<(string UserId, string Token)> SignUpAsync(HttpClient client)
    {
        var username = "rt_" + Guid.NewGuid().ToString("N")[..12];
        var created = await (await client.PostAsJsonAsync(new Uri("/api/v1/accounts", UriKind.Relative),
            new { username, email = $"{username}@example.org", password = "correct horse battery" })).Content.ReadFromJsonAsync<JsonElement>();
        var tokens = await (await client.PostAsJsonAsync(new Uri("/api/v1/sessions", UriKind.Relative),
            new { login = username, password = "correct horse battery" })).Content.ReadFromJsonAsync<JsonElement>();
        return (created.GetProperty("id").GetString()!, tokens.GetProperty("access_token").GetString()!);
    }

    private Process StartJsClient(string token, string eventName, int count) => StartNode("client.mjs", token, eventName,
        count.ToString(System.Globalization.CultureInfo.InvariantCulture), "20000");

    // Runs a script of tests/signalr-client against this host's hub: node <script> <hub-url> <arguments...>.
    private Process StartNode(string script, params string[] arguments)
    {
        var hubUrl = new Uri(_factory.ClientOptions.BaseAddress, "/hubs/events").ToString();
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = ClientDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { script, hubUrl }.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info)!;
    }

    [Fact]
    public async Task An_event_published_on_a_users_stream_reaches_their_javascript_signalr_client()
    {
        using var http = _factory.CreateClient();
        var (userId, token) = await SignUpAsync(http);
        using var js = StartJsClient(token, "notification", 3);
        Assert.Equal("connected", await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        var stream = _factory.Services.GetStreamProvider(UserEvents.Provider).GetStream<UserEvent>(UserEvents.StreamFor(userId));
        for (var i = 0; i < 3; i++)
        {
            await stream.OnNextAsync(new UserEvent("notification", JsonSerializer.SerializeToElement(new { type = "follow", n = i })));
        }

        var lines = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            lines.Add((await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)))!);
        }

        await js.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, js.ExitCode);
        Assert.Equal([0, 1, 2], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("n").GetInt32()));
    }

    [Fact]
    public async Task A_followers_javascript_client_receives_update_for_a_new_post_and_delete_when_it_is_deleted()
    {
        using var http = _factory.CreateClient();
        var (authorId, authorToken) = await SignUpAsync(http);
        var (_, followerToken) = await SignUpAsync(http);
        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{authorId}/follow", token: followerToken);
        using var updates = StartJsClient(followerToken, "update", 1);
        using var deletes = StartJsClient(followerToken, "delete", 1);
        Assert.Equal("connected", await updates.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("connected", await deletes.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        var post = (await (await http.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "live to my followers" }, authorToken)).JsonAsync())
            .GetProperty("id").GetString();
        var update = await updates.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await http.SendJsonAsync(HttpMethod.Delete, $"/api/v1/posts/{post}", token: authorToken);
        var delete = await deletes.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(update is not null, await updates.StandardError.ReadToEndAsync());
        var entry = JsonDocument.Parse(update).RootElement;
        Assert.Equal(post, entry.GetProperty("post").GetProperty("id").GetString());
        Assert.Equal("live to my followers", entry.GetProperty("post").GetProperty("text").GetString());
        Assert.Equal(authorId, entry.GetProperty("post").GetProperty("author").GetProperty("id").GetString());
        Assert.True(delete is not null, await deletes.StandardError.ReadToEndAsync());
        Assert.Equal(post, JsonDocument.Parse(delete).RootElement.GetProperty("post_id").GetString());
    }

    [Fact]
    public async Task A_live_update_of_a_photo_post_carries_its_attachments_with_blurhash_and_size_but_no_url()
    {
        using var http = _factory.CreateClient();
        var (authorId, authorToken) = await SignUpAsync(http);
        var (_, followerToken) = await SignUpAsync(http);
        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{authorId}/follow", token: followerToken);
        var media = await http.UploadProcessedAsync(authorToken, TestMedia.Png(30, 20), "a small red field");
        using var updates = StartJsClient(followerToken, "update", 1);
        Assert.Equal("connected", await updates.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        await http.SendJsonAsync(HttpMethod.Post, "/api/v1/posts",
            new { text = "a picture for followers", visibility = "followers", media_ids = new[] { media.GetProperty("id").GetString() } }, authorToken);
        var update = await updates.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(update is not null, await updates.StandardError.ReadToEndAsync());
        var attachment = JsonDocument.Parse(update).RootElement.GetProperty("post").GetProperty("media_attachments")[0];
        Assert.Equal(media.GetProperty("id").GetString(), attachment.GetProperty("id").GetString());
        Assert.Equal((30, 20), (attachment.GetProperty("width").GetInt32(), attachment.GetProperty("height").GetInt32()));
        Assert.Equal("a small red field", attachment.GetProperty("description").GetString());
        Assert.Equal(media.GetProperty("blurhash").GetString(), attachment.GetProperty("blurhash").GetString());
        Assert.False(attachment.TryGetProperty("url", out _)); // URLs (signed for followers-only media) come with the post's REST read
    }

    [Fact]
    public async Task A_followers_javascript_client_gets_story_posted_for_a_new_story_and_story_deleted_when_it_is_deleted()
    {
        using var http = _factory.CreateClient();
        var (authorId, authorToken) = await SignUpAsync(http);
        var (_, followerToken) = await SignUpAsync(http);
        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{authorId}/follow", token: followerToken);
        var media = await http.UploadProcessedAsync(authorToken, TestMedia.Png(9, 16));
        using var posted = StartJsClient(followerToken, "story_posted", 1);
        using var deleted = StartJsClient(followerToken, "story_deleted", 1);
        Assert.Equal("connected", await posted.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("connected", await deleted.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        var story = (await (await http.SendJsonAsync(HttpMethod.Post, "/api/v1/stories", new { media_id = media.GetProperty("id").GetString() }, authorToken)).JsonAsync())
            .GetProperty("id").GetString();
        var postedLine = await posted.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await http.SendJsonAsync(HttpMethod.Delete, $"/api/v1/stories/{story}", token: authorToken);
        var deletedLine = await deleted.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(postedLine is not null, await posted.StandardError.ReadToEndAsync());
        Assert.Equal(story, JsonDocument.Parse(postedLine).RootElement.GetProperty("story_id").GetString());
        Assert.Equal(authorId, JsonDocument.Parse(postedLine).RootElement.GetProperty("account_id").GetString());
        Assert.True(deletedLine is not null, await deleted.StandardError.ReadToEndAsync());
        Assert.Equal(story, JsonDocument.Parse(deletedLine).RootElement.GetProperty("story_id").GetString());
    }

    [Fact]
    public async Task A_story_authors_javascript_client_gets_story_viewed_throttled_and_a_reply_as_a_message_quoting_the_story()
    {
        using var http = _factory.CreateClient();
        var (authorId, authorToken) = await SignUpAsync(http);
        var viewers = new[] { await SignUpAsync(http), await SignUpAsync(http), await SignUpAsync(http) };
        foreach (var (_, token) in viewers)
        {
            await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{authorId}/follow", token: token);
        }

        var media = await http.UploadProcessedAsync(authorToken, TestMedia.Png(9, 16));
        var story = (await (await http.SendJsonAsync(HttpMethod.Post, "/api/v1/stories", new { media_id = media.GetProperty("id").GetString() }, authorToken)).JsonAsync())
            .GetProperty("id").GetString();
        using var viewed = StartJsClient(authorToken, "story_viewed", 2);
        using var messages = StartJsClient(authorToken, "message", 1);
        Assert.Equal("connected", await viewed.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("connected", await messages.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/view", token: viewers[0].Token);
        var first = await viewed.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/view", token: viewers[1].Token);
        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/view", token: viewers[2].Token);
        var second = await viewed.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)); // both later views in one event
        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/stories/{story}/replies", new { client_id = "rt", text = "wow" }, viewers[1].Token);
        var message = await messages.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(first is not null, await viewed.StandardError.ReadToEndAsync());
        Assert.Equal(story, JsonDocument.Parse(first).RootElement.GetProperty("story_id").GetString());
        Assert.Equal(1, JsonDocument.Parse(first).RootElement.GetProperty("views_count").GetInt64());
        Assert.True(second is not null, await viewed.StandardError.ReadToEndAsync());
        Assert.Equal(3, JsonDocument.Parse(second).RootElement.GetProperty("views_count").GetInt64());
        Assert.True(message is not null, await messages.StandardError.ReadToEndAsync());
        var quoted = JsonDocument.Parse(message).RootElement;
        Assert.Equal("wow", quoted.GetProperty("text").GetString());
        Assert.Equal(story, quoted.GetProperty("story").GetProperty("id").GetString());
        Assert.Equal("reply", quoted.GetProperty("story").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task A_hashtag_followers_javascript_client_gets_a_public_quote_of_a_followers_only_post_without_the_quoted_text()
    {
        using var http = _factory.CreateClient();
        var (authorId, authorToken) = await SignUpAsync(http);
        var (_, quoterToken) = await SignUpAsync(http);
        var (_, strangerToken) = await SignUpAsync(http);
        var tag = "rtq" + Guid.NewGuid().ToString("N")[..10];
        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{authorId}/follow", token: quoterToken);
        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/tags/{tag}/follow", token: strangerToken);
        var secret = (await (await http.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "only my followers know this", visibility = "followers" }, authorToken))
            .JsonAsync()).GetProperty("id").GetString();
        using var updates = StartJsClient(strangerToken, "update", 1);
        Assert.Equal("connected", await updates.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        var quoting = (await (await http.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = $"look #{tag}", quote_id = secret }, quoterToken))
            .JsonAsync()).GetProperty("id").GetString();
        var update = await updates.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(update is not null, await updates.StandardError.ReadToEndAsync());
        Assert.DoesNotContain("only my followers know this", update, StringComparison.Ordinal);
        var post = JsonDocument.Parse(update).RootElement.GetProperty("post");
        Assert.Equal(quoting, post.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, post.GetProperty("quote").ValueKind);
    }

    [Fact]
    public async Task A_direct_message_reaches_the_other_members_javascript_client()
    {
        using var http = _factory.CreateClient();
        var (senderId, senderToken) = await SignUpAsync(http);
        var (recipientId, recipientToken) = await SignUpAsync(http);
        var conversation = (await (await http.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { recipientId } }, senderToken))
            .JsonAsync()).GetProperty("id").GetString();
        using var js = StartJsClient(recipientToken, "message", 1);
        Assert.Equal("connected", await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{conversation}/messages", new { client_id = "m-1", text = "are you there?" }, senderToken);
        var line = await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(line is not null, await js.StandardError.ReadToEndAsync());
        var message = JsonDocument.Parse(line).RootElement;
        Assert.Equal("are you there?", message.GetProperty("text").GetString());
        Assert.Equal(conversation, message.GetProperty("conversation_id").GetString());
        Assert.Equal(senderId, message.GetProperty("sender_id").GetString());
    }

    [Fact]
    public async Task A_read_marked_through_the_hub_reaches_the_other_members_javascript_client_and_a_stranger_is_refused()
    {
        using var http = _factory.CreateClient();
        var (_, senderToken) = await SignUpAsync(http);
        var (readerId, readerToken) = await SignUpAsync(http);
        var (_, strangerToken) = await SignUpAsync(http);
        var conversation = (await (await http.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { readerId } }, senderToken))
            .JsonAsync()).GetProperty("id").GetString()!;
        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{conversation}/messages", new { client_id = "m-1", text = "read me" }, senderToken);
        using var receipts = StartJsClient(senderToken, "read", 1);
        Assert.Equal("connected", await receipts.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        using var mark = StartNode("invoke.mjs", readerToken, "MarkRead", conversation, "1");
        var result = await mark.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var receipt = await receipts.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        using var stranger = StartNode("invoke.mjs", strangerToken, "MarkRead", conversation, "1");
        var refused = await stranger.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("\"1\"", result);
        Assert.True(receipt is not null, await receipts.StandardError.ReadToEndAsync());
        var read = JsonDocument.Parse(receipt).RootElement;
        Assert.Equal(readerId, read.GetProperty("account_id").GetString());
        Assert.Equal("1", read.GetProperty("last_read_id").GetString());
        Assert.Equal(conversation, read.GetProperty("conversation_id").GetString());
        Assert.StartsWith("error:", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Typing_sent_through_the_hub_reaches_the_other_members_javascript_client()
    {
        using var http = _factory.CreateClient();
        var (typistId, typistToken) = await SignUpAsync(http);
        var (otherId, otherToken) = await SignUpAsync(http);
        var conversation = (await (await http.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { otherId } }, typistToken))
            .JsonAsync()).GetProperty("id").GetString()!;
        using var listener = StartJsClient(otherToken, "typing", 1);
        Assert.Equal("connected", await listener.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        using var typing = StartNode("invoke.mjs", typistToken, "Typing", conversation);
        var invoked = await typing.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var line = await listener.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("null", invoked);
        Assert.True(line is not null, await listener.StandardError.ReadToEndAsync());
        var e = JsonDocument.Parse(line).RootElement;
        Assert.Equal(typistId, e.GetProperty("account_id").GetString());
        Assert.Equal(conversation, e.GetProperty("conversation_id").GetString());
    }

    [Fact]
    public async Task Edits_deletes_typing_stopped_and_group_changes_reach_the_other_members_javascript_clients()
    {
        using var http = _factory.CreateClient();
        var (_, actorToken) = await SignUpAsync(http);
        var (otherId, otherToken) = await SignUpAsync(http);
        var (thirdId, _) = await SignUpAsync(http);
        var group = (await (await http.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { otherId, thirdId }, title = "live" }, actorToken))
            .JsonAsync()).GetProperty("id").GetString()!;
        var listeners = new[] { "message_updated", "message_deleted", "typing_stopped", "conversation_updated" }
            .ToDictionary(e => e, e => StartJsClient(otherToken, e, 1));
        foreach (var listener in listeners.Values)
        {
            Assert.Equal("connected", await listener.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        }

        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/messages", new { client_id = "1", text = "first" }, actorToken);
        await http.SendJsonAsync(HttpMethod.Patch, $"/api/v1/conversations/{group}/messages/1", new { text = "first, edited" }, actorToken);
        await http.SendJsonAsync(HttpMethod.Delete, $"/api/v1/conversations/{group}/messages/1", token: actorToken);
        using (var typing = StartNode("invoke.mjs", actorToken, "Typing", group))
        {
            Assert.Equal("null", await typing.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        }

        await http.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{group}/messages", new { client_id = "2", text = "sent: typing stops" }, actorToken);
        await http.SendJsonAsync(HttpMethod.Patch, $"/api/v1/conversations/{group}", new { title = "renamed live" }, actorToken);

        var received = new Dictionary<string, JsonElement>();
        foreach (var (name, listener) in listeners)
        {
            var line = await listener.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.True(line is not null, $"{name}: {await listener.StandardError.ReadToEndAsync()}");
            received[name] = JsonDocument.Parse(line).RootElement;
            listener.Dispose();
        }

        Assert.Equal("first, edited", received["message_updated"].GetProperty("text").GetString());
        Assert.Equal("1", received["message_deleted"].GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, received["message_deleted"].GetProperty("text").ValueKind);
        Assert.Equal(group, received["typing_stopped"].GetProperty("conversation_id").GetString());
        Assert.Equal("renamed live", received["conversation_updated"].GetProperty("title").GetString());
        Assert.Contains(otherId, received["conversation_updated"].GetProperty("member_ids").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task A_partner_sees_presence_online_then_offline_with_last_seen_and_a_stranger_sees_none()
    {
        using var http = _factory.CreateClient();
        var (userId, userToken) = await SignUpAsync(http);
        var (partnerId, partnerToken) = await SignUpAsync(http);
        var (_, strangerToken) = await SignUpAsync(http);
        await http.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations", new { participant_ids = new[] { partnerId } }, userToken);
        using var partner = StartJsClient(partnerToken, "presence", 2);
        Assert.Equal("connected", await partner.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        var beforeResponse = await http.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{userId}/presence", token: partnerToken);
        Assert.True(beforeResponse.IsSuccessStatusCode, await beforeResponse.Content.ReadAsStringAsync());
        var before = await beforeResponse.JsonAsync();

        // The user connects (and stays for one "presence" event that never comes for them), then goes.
        using var user = StartJsClient(userToken, "never_sent", 1);
        Assert.Equal("connected", await user.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        var online = await partner.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var whileOnline = await (await http.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{userId}/presence", token: partnerToken)).JsonAsync();
        var stranger = await http.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{userId}/presence", token: strangerToken);
        user.Kill();
        var offline = await partner.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(45));
        var after = await (await http.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{userId}/presence", token: partnerToken)).JsonAsync();

        Assert.False(before.GetProperty("online").GetBoolean());
        Assert.Equal(JsonValueKind.Null, before.GetProperty("last_seen_at").ValueKind);
        Assert.True(online is not null, await partner.StandardError.ReadToEndAsync());
        Assert.True(JsonDocument.Parse(online).RootElement.GetProperty("online").GetBoolean());
        Assert.Equal(userId, JsonDocument.Parse(online).RootElement.GetProperty("account_id").GetString());
        Assert.True(whileOnline.GetProperty("online").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.True(offline is not null, await partner.StandardError.ReadToEndAsync());
        Assert.False(JsonDocument.Parse(offline).RootElement.GetProperty("online").GetBoolean());
        Assert.False(after.GetProperty("online").GetBoolean());
        Assert.Equal(JsonDocument.Parse(offline).RootElement.GetProperty("last_seen_at").GetDateTimeOffset(), after.GetProperty("last_seen_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task Another_users_events_do_not_reach_a_connection()
    {
        using var http = _factory.CreateClient();
        var (_, token) = await SignUpAsync(http);
        var (otherUser, _) = await SignUpAsync(http);
        using var js = StartJsClient(token, "notification", 1);
        Assert.Equal("connected", await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        await _factory.Services.GetStreamProvider(UserEvents.Provider).GetStream<UserEvent>(UserEvents.StreamFor(otherUser))
            .OnNextAsync(new UserEvent("notification", JsonSerializer.SerializeToElement(new { secret = true })));
        var line = js.StandardOutput.ReadLineAsync();
        var winner = await Task.WhenAny(line, Task.Delay(1500));
        var exited = js.HasExited;
        js.Kill();

        // The client waits 20 s for one event: it must still be connected, and have printed nothing.
        Assert.False(exited, $"The client stopped early: {await js.StandardError.ReadToEndAsync()}");
        Assert.True(!ReferenceEquals(line, winner), $"The connection received: {(ReferenceEquals(line, winner) ? await line : null)}");
    }

    [Fact]
    public async Task Metrics_count_signalr_connections_and_stream_events_delivered()
    {
        // Counted as connections end (the duration histogram's count only grows): the test process runs other hosts,
        // whose instruments of the same meter reach this host's exporter too, so a gauge of open connections here can be
        // moved down by their connections closing.
        const string Ended = "signalr_server_connection_duration_seconds_count";
        using var http = _factory.CreateClient();
        async Task<Dictionary<string, double>> MetricsAsync() => PrometheusText.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        var (userId, token) = await SignUpAsync(http);
        var endedBefore = PrometheusText.Sum(await MetricsAsync(), Ended);
        using var js = StartJsClient(token, "notification", 2); // waits for a second event: connected until it is stopped
        Assert.Equal("connected", await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        await UserEvents.PublishAsync(_factory.Services, long.Parse(userId, System.Globalization.CultureInfo.InvariantCulture), new UserEvent("notification", JsonSerializer.SerializeToElement(new { n = 1 })));
        Assert.NotNull(await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        var metrics = await MetricsAsync();
        js.Kill();
        var endedAfter = endedBefore;
        for (var i = 0; i < 100 && endedAfter <= endedBefore; i++)
        {
            await Task.Delay(100);
            endedAfter = PrometheusText.Sum(await MetricsAsync(), Ended);
        }

        Assert.True(endedAfter > endedBefore, $"{Ended}: {endedBefore} before the client connected, {endedAfter} after it left");
        Assert.True(PrometheusText.Sum(metrics, "orleans_streams_published_total", ("provider", "events")) >= 1);
        Assert.True(PrometheusText.Sum(metrics, "orleans_streams_delivered_total", ("provider", "events")) >= 1);
    }

    [Fact]
    public async Task A_thousand_simultaneous_connections_each_receive_the_event_sent_to_their_own_user()
    {
        const int Users = 1000;
        var store = _factory.Services.GetRequiredService<AccountStore>();
        var tokens = _factory.Services.GetRequiredService<TokenService>();
        var batch = Guid.NewGuid().ToString("N")[..8];
        var accounts = new List<Account>();
        for (var i = 0; i < Users; i++)
        {
            // Created directly (a real hash is not needed to hold a connection): 1,000 PBKDF2 sign-ups would take minutes.
            var (account, _) = await store.CreateAsync($"m{batch}_{i}", $"m{batch}_{i}@example.org", "not-a-usable-hash", default);
            accounts.Add(account!);
        }

        var tokensFile = Path.Combine(Path.GetTempPath(), $"signalr-tokens-{batch}.json");
        await File.WriteAllTextAsync(tokensFile, JsonSerializer.Serialize(accounts.Select(a => tokens.IssueAccessToken(a, Guid.NewGuid()))));
        var hubUrl = new Uri(_factory.ClientOptions.BaseAddress, "/hubs/events").ToString();
        var info = new ProcessStartInfo("node") { WorkingDirectory = ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "many.mjs", hubUrl, tokensFile, "notification", "60000" })
        {
            info.ArgumentList.Add(argument);
        }

        using var js = Process.Start(info)!;
        try
        {
            Assert.Equal($"connected {Users}", await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            var provider = _factory.Services.GetStreamProvider(UserEvents.Provider);
            foreach (var account in accounts)
            {
                await provider.GetStream<UserEvent>(UserEvents.StreamFor(account.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                    .OnNextAsync(new UserEvent("notification", JsonSerializer.SerializeToElement(new { to = account.Id })));
            }

            Assert.Equal($"received {Users}", await js.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            await js.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(0, js.ExitCode);
        }
        finally
        {
            if (!js.HasExited)
            {
                js.Kill();
            }

            File.Delete(tokensFile);
        }
    }

    [Fact]
    public async Task A_connection_without_a_valid_token_is_rejected()
    {
        using var anonymous = StartJsClient("-", "notification", 1);
        using var forged = StartJsClient("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "notification", 1);

        await anonymous.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await forged.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(1, anonymous.ExitCode);
        Assert.Contains("connection failed", await anonymous.StandardError.ReadToEndAsync(), StringComparison.Ordinal);
        Assert.Equal(1, forged.ExitCode);
    }
}

/// <summary>Request limits as Kestrel enforces them on a real socket (TestServer does not apply Kestrel's limits).</summary>
public sealed class KestrelLimitTests(RealtimeFactory factory) : IClassFixture<RealtimeFactory>
{
    [Fact]
    public async Task A_body_over_the_limit_sent_through_kestrel_gets_413_problem_details()
    {
        factory.StartServer();
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("big");
        var bio = new string('x', 2 * 1024 * 1024);

        var response = await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { bio }, user.AccessToken);
        var problem = await response.JsonAsync();
        var me = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: user.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(413, problem.GetProperty("status").GetInt32());
        Assert.Equal("", me.GetProperty("bio").GetString());
    }
}
