using Orleans;
using Orleans.Concurrency;

namespace OrleansSocial.Analytics;

/// <summary>A post a viewer was shown, with its author (whose account insights count it too).</summary>
[GenerateSerializer, Immutable, Alias("social.SeenPost")]
public readonly record struct SeenPost([property: Id(0)] Guid PostId, [property: Id(1)] long AuthorId);

/// <summary>One UTC day of a post's figures.</summary>
[GenerateSerializer, Immutable, Alias("social.PostInsightsDay")]
public sealed record PostInsightsDay([property: Id(0)] DateOnly Day, [property: Id(1)] long Impressions, [property: Id(2)] long Likes, [property: Id(3)] long Comments,
    [property: Id(4)] long Reposts, [property: Id(5)] long Bookmarks, [property: Id(6)] long ProfileVisits, [property: Id(7)] long LinkClicks);

/// <summary>
/// How a post did: impressions (views, each viewer counted once a day), reach (distinct viewers over its life, estimated
/// within about 3 %), engagement now, profile visits and link clicks from it, and the same per day since it was posted.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.PostInsights")]
public sealed record PostInsights([property: Id(0)] Guid PostId, [property: Id(1)] long Impressions, [property: Id(2)] long Reach, [property: Id(3)] long Likes,
    [property: Id(4)] long Comments, [property: Id(5)] long Reposts, [property: Id(6)] long Bookmarks, [property: Id(7)] long ProfileVisits, [property: Id(8)] long LinkClicks,
    [property: Id(9)] IReadOnlyList<PostInsightsDay> Days);

/// <summary>One UTC day of an account's figures.</summary>
[GenerateSerializer, Immutable, Alias("social.AccountInsightsDay")]
public sealed record AccountInsightsDay([property: Id(0)] DateOnly Day, [property: Id(1)] long FollowersGained, [property: Id(2)] long FollowersLost, [property: Id(3)] long Impressions,
    [property: Id(4)] long Reach, [property: Id(5)] long ProfileVisits, [property: Id(6)] long StoryViews);

/// <summary>A post among an account's best in a range, by impressions in it.</summary>
[GenerateSerializer, Immutable, Alias("social.TopPost")]
public sealed record TopPost([property: Id(0)] Guid PostId, [property: Id(1)] string Text, [property: Id(2)] DateTimeOffset CreatedAt, [property: Id(3)] long Impressions,
    [property: Id(4)] long Likes, [property: Id(5)] long Comments, [property: Id(6)] long Reposts);

/// <summary>An account's figures over a date range: follower growth, impressions, reach (distinct viewers of its posts), top posts.</summary>
[GenerateSerializer, Immutable, Alias("social.AccountInsights")]
public sealed record AccountInsights([property: Id(0)] DateOnly From, [property: Id(1)] DateOnly To, [property: Id(2)] long Followers, [property: Id(3)] long FollowersGained,
    [property: Id(4)] long FollowersLost, [property: Id(5)] long Impressions, [property: Id(6)] long Reach, [property: Id(7)] long ProfileVisits, [property: Id(8)] long StoryViews,
    [property: Id(9)] IReadOnlyList<AccountInsightsDay> Days, [property: Id(10)] IReadOnlyList<TopPost> TopPosts);

/// <summary>Settings of analytics (section <c>Analytics</c>).</summary>
public sealed class AnalyticsOptions
{
    /// <summary>Whether views are counted at all. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often each silo writes the counts it gathered. Default 10 seconds (a crash loses at most this much).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest date range of account insights, in days. Default 366.</summary>
    public int MaxRangeDays { get; set; } = 366;
}

/// <summary>
/// Reads insights. A stateless worker: the figures come from the rows the silos' buffers wrote (at most
/// <see cref="AnalyticsOptions.FlushInterval"/> behind).
/// </summary>
public interface IInsightsGrain : IGrainWithIntegerKey
{
    /// <summary>The post's insights, for its author only: null (404) for anyone else, and for a deleted or removed post.</summary>
    Task<PostInsights?> GetPostInsightsAsync(Guid postId, long viewerId);

    /// <summary>The account's insights over [from, to] (UTC days); <see cref="ArgumentException"/> names <c>from</c> or <c>to</c>.</summary>
    Task<AccountInsights> GetAccountInsightsAsync(long accountId, DateOnly from, DateOnly to);
}
