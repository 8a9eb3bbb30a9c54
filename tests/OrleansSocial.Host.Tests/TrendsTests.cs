using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using OrleansSocial.Timelines;

namespace OrleansSocial.Host.Tests;

public sealed class TrendsTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    [Fact]
    public async Task Trending_posts_rank_by_weighted_engagement_over_age_and_leave_out_ineligible_and_old_ones()
    {
        var trends = factory.Services.GetRequiredService<IGrainFactory>().GetGrain<ITrendsGrain>(0);
        var now = DateTimeOffset.UtcNow;
        TrendingCandidate Post(double hoursAgo, long likes, long comments, long reposts, bool eligible = true) =>
            new(Guid.CreateVersion7(), now.AddHours(-hoursAgo), likes, comments, reposts, eligible);
        // Scores by hand: 20/3^1.5 = 3.85; 6/2^1.5 = 2.12; 15/4^1.5 = 1.88; 200/32^1.5 = 1.10.
        var (fresh, commented, reposted, oldButLoved) = (Post(1, 10, 0, 0), Post(0, 0, 2, 0), Post(2, 0, 0, 3), Post(30, 100, 0, 0));
        var (hidden, tooOld) = (Post(0, 1000, 0, 0, eligible: false), Post(24 * 8, 1000, 0, 0));
        foreach (var c in new[] { oldButLoved, reposted, hidden, commented, tooOld, fresh })
        {
            await trends.ReportAsync(c);
        }

        await Task.Delay(TimeSpan.FromSeconds(2.1)); // past the reuse window of an earlier ranking
        var ranked = await trends.GetPostsAsync(100, 0);
        var ours = new[] { fresh, commented, reposted, oldButLoved, hidden, tooOld }.Select(c => c.PostId).ToHashSet();

        Assert.Equal([fresh.PostId, commented.PostId, reposted.PostId, oldButLoved.PostId], ranked.Where(ours.Contains));
    }

    [Fact]
    public async Task Liked_public_posts_trend_over_http_and_followers_only_posts_never_do_and_tags_trend_by_distinct_accounts()
    {
        using var client = factory.CreateClient();
        var users = await factory.Services.QuickUsersAsync(4, "tr");
        var tag = "hot" + Guid.NewGuid().ToString("N")[..8];
        var lonely = "lonely" + Guid.NewGuid().ToString("N")[..8];
        async Task<string> PostAsync(TestUser author, string text, string visibility = "public") =>
            (await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text, visibility }, author.AccessToken)).JsonAsync()).GetProperty("id").GetString()!;
        var open = await PostAsync(users[0], $"open #{tag}");
        var closed = await PostAsync(users[0], "for followers", "followers");
        await PostAsync(users[1], $"me too #{tag} #{lonely}");
        foreach (var fan in users.Skip(1))
        {
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{open}/like", token: fan.AccessToken);
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{users[0].Id}/follow", token: fan.AccessToken);
            await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{closed}/like", token: fan.AccessToken);
        }

        string[] trending = [];
        for (var i = 0; i < 100 && !trending.Contains(open); i++)
        {
            await Task.Delay(100);
            trending = [.. (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/trends/posts?limit=40")).JsonAsync()).EnumerateArray()
                .Select(p => p.GetProperty("id").GetString()!)];
        }

        var tags = (await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/trends/tags")).JsonAsync()).EnumerateArray()
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("accounts").GetInt64());
        var badLimit = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/trends/posts?limit=500");

        Assert.Contains(open, trending);
        Assert.DoesNotContain(closed, trending);
        Assert.Equal(2, tags[tag]);
        Assert.False(tags.ContainsKey(lonely)); // one account is not a trend
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }
}
