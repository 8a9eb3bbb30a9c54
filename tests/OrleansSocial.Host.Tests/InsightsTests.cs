using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using OrleansSocial.Grains.Analytics;

namespace OrleansSocial.Host.Tests;

public sealed class InsightsTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    private AnalyticsBuffer Buffer => factory.Services.GetRequiredService<AnalyticsBuffer>();

    private static async Task<string> PostAsync(HttpClient client, TestUser author, string text) =>
        (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text, visibility = "public" }, author.AccessToken)).JsonAsync()).GetProperty("id").GetString()!;

    // Views reach the grains one-way: written and read again until the figures show what the test expects (or 10 s pass).
    private async Task<JsonElement> InsightsAsync(HttpClient client, string path, TestUser user, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await Buffer.FlushAsync();
            var response = await client.SendJsonAsync(HttpMethod.Get, path, token: user.AccessToken);
            var insights = await response.JsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, insights.ToString());
            if (done(insights) || DateTime.UtcNow > deadline)
            {
                return insights;
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Authors_see_each_viewer_once_a_day_with_reach_engagement_profile_visits_and_link_clicks_and_nobody_else_sees_them()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("in");
        var reader = await client.NewUserAsync("in");
        var visitor = await client.NewUserAsync("in");
        var stranger = await client.NewUserAsync("in");
        foreach (var follower in new[] { reader, visitor })
        {
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        }

        var post = await PostAsync(client, author, "our launch notes: https://example.com/launch");

        // The reader sees it twice on home and opens it; the visitor sees it on home, visits the profile from it twice and
        // follows its link twice; the author reads their own home (never counted).
        await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: reader.AccessToken);
        await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: reader.AccessToken);
        await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}", token: reader.AccessToken);
        await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: visitor.AccessToken);
        await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: author.AccessToken);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}?via_post={post}", token: visitor.AccessToken)).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent,
                (await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/link_clicks", new { url = "https://example.com/launch" }, visitor.AccessToken)).StatusCode);
        }

        await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}", token: visitor.AccessToken); // the same visitor's visit: still one
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/like", token: visitor.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/bookmark", token: reader.AccessToken);
        var notInPost = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/link_clicks", new { url = "https://evil.example/" }, visitor.AccessToken);
        var notALink = await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{post}/link_clicks", new { url = "javascript:alert(1)" }, visitor.AccessToken);

        var insights = await InsightsAsync(client, $"/api/v1/posts/{post}/insights", author,
            i => i.GetProperty("impressions").GetInt64() >= 2 && i.GetProperty("profile_visits").GetInt64() >= 1 && i.GetProperty("link_clicks").GetInt64() >= 1);
        var account = await InsightsAsync(client, "/api/v1/accounts/me/insights", author, i => i.GetProperty("impressions").GetInt64() >= 2);
        var readers = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}/insights", token: reader.AccessToken);
        var anonymous = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{post}/insights");
        var missing = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{Guid.NewGuid()}/insights", token: author.AccessToken);
        var strangers = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/insights", token: stranger.AccessToken)).JsonAsync();

        Assert.Equal(2, insights.GetProperty("impressions").GetInt64());
        Assert.Equal(2, insights.GetProperty("reach").GetInt64());
        Assert.Equal(1, insights.GetProperty("likes").GetInt64());
        Assert.Equal(1, insights.GetProperty("bookmarks").GetInt64());
        Assert.Equal(0, insights.GetProperty("comments").GetInt64());
        Assert.Equal(1, insights.GetProperty("profile_visits").GetInt64());
        Assert.Equal(1, insights.GetProperty("link_clicks").GetInt64());
        var today = insights.GetProperty("days").EnumerateArray().Single();
        Assert.Equal(DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), today.GetProperty("day").GetString());
        Assert.Equal(2, today.GetProperty("impressions").GetInt64());
        Assert.Equal(1, today.GetProperty("likes").GetInt64());
        Assert.Equal(HttpStatusCode.BadRequest, notInPost.StatusCode);
        Assert.Contains("url", (await notInPost.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.BadRequest, notALink.StatusCode);

        Assert.Equal(2, account.GetProperty("followers").GetInt64());
        Assert.Equal(2, account.GetProperty("followers_gained").GetInt64());
        Assert.Equal(2, account.GetProperty("impressions").GetInt64());
        Assert.Equal(2, account.GetProperty("reach").GetInt64());
        Assert.Equal(1, account.GetProperty("profile_visits").GetInt64());
        Assert.Equal(28, account.GetProperty("days").GetArrayLength());
        Assert.Equal(post, account.GetProperty("top_posts")[0].GetProperty("post_id").GetString());

        Assert.Equal(HttpStatusCode.NotFound, readers.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(0, strangers.GetProperty("impressions").GetInt64());
        Assert.Empty(strangers.GetProperty("top_posts").EnumerateArray());
    }

    [Fact]
    public async Task Follower_losses_show_per_day_and_a_bad_range_is_refused_naming_the_field()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("ig");
        var fan = await client.NewUserAsync("ig");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: fan.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/unfollow", token: fan.AccessToken);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var insights = await InsightsAsync(client, $"/api/v1/accounts/me/insights?from={today}&to={today}", author, i => i.GetProperty("followers_lost").GetInt64() >= 1);
        var badFrom = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/insights?from=yesterday", token: author.AccessToken);
        var backwards = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/insights?from=2026-03-02&to=2026-03-01", token: author.AccessToken);
        var tooLong = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/insights?from=2020-01-01&to=2026-01-01", token: author.AccessToken);

        Assert.Equal(1, insights.GetProperty("followers_gained").GetInt64());
        Assert.Equal(1, insights.GetProperty("followers_lost").GetInt64());
        Assert.Equal(0, insights.GetProperty("followers").GetInt64());
        Assert.Equal(1, insights.GetProperty("days").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, badFrom.StatusCode);
        Assert.Contains("from", (await badFrom.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Contains("to", (await backwards.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("from", (await tooLong.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task A_viewer_counts_once_a_day_even_after_their_grain_was_deactivated_and_profile_and_hashtag_timelines_count_too()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("il");
        var viewer = await client.NewUserAsync("il");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: viewer.AccessToken);
        var post = await PostAsync(client, author, "counting #ledgerday");
        var other = await PostAsync(client, author, "unrelated");

        await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: viewer.AccessToken);
        await InsightsAsync(client, $"/api/v1/posts/{post}/insights", author, i => i.GetProperty("impressions").GetInt64() >= 1);
        await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: viewer.AccessToken);
        await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/tag/ledgerday", token: viewer.AccessToken);
        await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}/posts", token: viewer.AccessToken);
        await Task.Delay(500);
        var again = await InsightsAsync(client, $"/api/v1/posts/{post}/insights", author, _ => true);

        Assert.Equal(1, again.GetProperty("impressions").GetInt64());
        Assert.Equal(1, again.GetProperty("reach").GetInt64());
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM view_ledgers WHERE account_id = $1", viewer.Id));

        // A stranger who only finds the posts on the hashtag and the profile is counted from there.
        var stranger = await client.NewUserAsync("il");
        await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/tag/ledgerday", token: stranger.AccessToken);
        await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}/posts", token: stranger.AccessToken);
        var found = await InsightsAsync(client, $"/api/v1/posts/{post}/insights", author, i => i.GetProperty("impressions").GetInt64() >= 2);
        var profiled = await InsightsAsync(client, $"/api/v1/posts/{other}/insights", author, i => i.GetProperty("impressions").GetInt64() >= 2);
        Assert.Equal(2, found.GetProperty("impressions").GetInt64());
        Assert.Equal(2, found.GetProperty("reach").GetInt64()); // the stored sketch merged with the new viewer's
        Assert.Equal(2, profiled.GetProperty("impressions").GetInt64());
    }
}
