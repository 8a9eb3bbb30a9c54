using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;

namespace OrleansSocial.Host.Tests;

public sealed class ExportTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    private static async Task<JsonElement> WaitReadyAsync(HttpClient client, TestUser user)
    {
        for (var i = 0; i < 600; i++)
        {
            var list = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/exports", token: user.AccessToken)).JsonAsync();
            if (list.EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } latest && latest.GetProperty("status").GetString() is "ready" or "failed")
            {
                return latest;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The export was not ready within a minute.");
    }

    [Fact]
    public async Task An_archive_holds_every_collection_of_the_account_with_its_media_and_nothing_private_of_anyone_else_and_only_its_owner_downloads_it()
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("ex");
        var friend = await client.NewUserAsync("ex");
        var stranger = await client.NewUserAsync("ex");
        var other = await client.NewUserAsync("ex");

        // The owner's data, one or more of each kind.
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { bio = "owner bio text" }, owner.AccessToken);
        var media = await client.UploadProcessedAsync(owner.AccessToken, TestMedia.Png(24, 24));
        var mediaId = media.GetProperty("id").GetString()!;
        var post = (await client.PostAsync(owner, "first version #archive", new[] { mediaId })).GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", new { text = "second version #archive" }, owner.AccessToken);
        var friendsPost = (await client.PostAsync(friend, "a post of the friend")).GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{friendsPost}/like", token: owner.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{friendsPost}/bookmark", token: owner.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{friendsPost}/comments", new { text = "owner comment text" }, owner.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{friend.Id}/follow", token: owner.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{owner.Id}/follow", token: stranger.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{other.Id}/block", token: owner.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: friend.AccessToken); // a notification for the owner
        var conversation = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations",
            new { participant_ids = new[] { friend.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, owner.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{conversation}/messages", new { client_id = "m1", text = "sent by the owner" }, owner.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{conversation}/messages", new { client_id = "m2", text = "received by the owner" }, friend.AccessToken);
        var story = await client.NewStoryAsync(owner);

        // Others' private things the owner has no part in.
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { is_private = true }, stranger.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "STRANGER-PRIVATE-POST", visibility = "followers" }, stranger.AccessToken);
        var theirs = (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/conversations",
            new { participant_ids = new[] { stranger.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, friend.AccessToken)).JsonAsync())
            .GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/conversations/{theirs}/messages", new { client_id = "x", text = "NOT-FOR-THE-OWNER" }, friend.AccessToken);

        var requested = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/export", token: owner.AccessToken);
        var again = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/export", token: owner.AccessToken);
        var ready = await WaitReadyAsync(client, owner);
        var tooSoon = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/export", token: owner.AccessToken);
        var url = ready.GetProperty("download_url").GetString()!;
        var byOther = await client.SendJsonAsync(HttpMethod.Get, url, token: other.AccessToken); // the owner's export id, asked by another account
        var anonymous = await client.GetAsync(new Uri(url, UriKind.Relative));
        var othersList = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/exports", token: other.AccessToken)).JsonAsync();
        var download = await client.SendJsonAsync(HttpMethod.Get, url, token: owner.AccessToken);
        var bytes = await download.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.InRange(ready.GetProperty("expires_at").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddDays(6.9), DateTimeOffset.UtcNow.AddDays(7.1));
        Assert.Equal((HttpStatusCode)429, tooSoon.StatusCode);
        Assert.True(tooSoon.Headers.RetryAfter is not null);
        Assert.Equal(HttpStatusCode.NotFound, byOther.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Empty(othersList.EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/zip", download.Content.Headers.ContentType?.MediaType);

        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        var texts = zip.Entries.Where(e => !e.FullName.StartsWith("media/", StringComparison.Ordinal))
            .ToDictionary(e => e.FullName, e => new StreamReader(e.Open(), Encoding.UTF8).ReadToEnd());
        JsonElement Json(string name) => JsonDocument.Parse(texts[name]).RootElement;
        foreach (var collection in OrleansSocial.Grains.Users.DataArchive.Files)
        {
            Assert.True(texts.ContainsKey(collection), collection + " is missing");
        }

        Assert.Contains("posts.json", texts["README.txt"], StringComparison.Ordinal);
        Assert.Equal("owner bio text", Json("profile.json").GetProperty("bio").GetString());
        var archived = Assert.Single(Json("posts.json").EnumerateArray());
        Assert.Equal("second version #archive", archived.GetProperty("text").GetString());
        Assert.Equal("first version #archive", Assert.Single(archived.GetProperty("earlier_versions").EnumerateArray()).GetProperty("text").GetString());
        Assert.Equal(mediaId, Assert.Single(archived.GetProperty("media_ids").EnumerateArray()).GetString());
        Assert.Equal("owner comment text", Assert.Single(Json("comments.json").EnumerateArray()).GetProperty("text").GetString());
        Assert.Equal(friendsPost, Assert.Single(Json("likes.json").EnumerateArray()).GetProperty("post_id").GetString());
        Assert.Single(Json("bookmarks.json").EnumerateArray());
        Assert.Equal(friend.Username, Assert.Single(Json("following.json").EnumerateArray()).GetProperty("username").GetString());
        Assert.Equal(stranger.Username, Assert.Single(Json("followers.json").EnumerateArray()).GetProperty("username").GetString());
        Assert.Equal(other.Username, Assert.Single(Json("blocks.json").EnumerateArray()).GetProperty("username").GetString());
        Assert.Equal(["sent by the owner", "received by the owner"], Json("messages.json").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.Single(Json("conversations.json").EnumerateArray());
        Assert.Equal(story, Assert.Single(Json("stories.json").EnumerateArray()).GetProperty("id").GetString());
        Assert.Contains("like", Json("notifications.json").EnumerateArray().Select(n => n.GetProperty("type").GetString()));
        Assert.NotEmpty(Json("sessions.json").EnumerateArray());
        var files = Json("media.json").EnumerateArray().Select(m => m.GetProperty("file").GetString()!).ToList();
        Assert.Equal(2, files.Count); // the post's picture and the story's
        Assert.All(files, f => Assert.NotNull(zip.GetEntry(f)));
        Assert.True(zip.GetEntry(files.Single(f => f.Contains(mediaId, StringComparison.Ordinal)))!.Length > 0);
        var everything = string.Concat(texts.Values);
        Assert.DoesNotContain("STRANGER-PRIVATE-POST", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT-FOR-THE-OWNER", everything, StringComparison.Ordinal);
        Assert.DoesNotContain(friend.Email, everything, StringComparison.Ordinal);
    }
}
