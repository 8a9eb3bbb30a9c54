using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Posts;
using OrleansSocial.Users;

namespace OrleansSocial.Timelines;

/// <summary>
/// One timeline entry: a post (<see cref="RepostedBy"/> null) or a repost of it. <see cref="Key"/> orders every timeline:
/// posts and reposts take it from one sequence, so it is unique and newer entries have larger keys.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.TimelineEntry")]
public sealed record TimelineEntry([property: Id(0)] long Key, [property: Id(1)] Guid PostId, [property: Id(2)] long AuthorId, [property: Id(3)] long? RepostedBy);

/// <summary>An entry as its reader sees it: the post with the reader's own flags, and who reposted it.</summary>
[GenerateSerializer, Immutable, Alias("social.TimelineItem")]
public sealed record TimelineItem([property: Id(0)] long Key, [property: Id(1)] PostView Post, [property: Id(2)] PublicAccount? RepostedBy);

/// <summary>Settings of feeds (section <c>Timelines</c>).</summary>
public sealed class TimelineOptions
{
    /// <summary>Entries a home timeline keeps. Default 800.</summary>
    public int Capacity { get; set; } = 800;

    /// <summary>Followers inactive for longer are not fanned out to; their timeline is rebuilt when they return. Default 7.</summary>
    public int InactiveDays { get; set; } = 7;

    /// <summary>Authors with more followers are not fanned out; their posts are merged in when a follower reads. Default 10,000.</summary>
    public long CelebrityFollowers { get; set; } = 10_000;

    /// <summary>A repost of a post already among this many newer entries' predecessors is shown once. Default 40.</summary>
    public int RepostWindow { get; set; } = 40;

    /// <summary>Followers written per fan-out statement. Default 1,000.</summary>
    public int FanoutBatch { get; set; } = 1_000;

    /// <summary>
    /// New posts and reposts whose fan-out a silo holds in memory at most (queued or running). Beyond it a post's
    /// fan-out waits in its row until the sweeper finds room. Default 2,000.
    /// </summary>
    public int FanoutQueue { get; set; } = 2_000;

    /// <summary>
    /// Readiness (<c>/health/ready</c>) reports the silo degraded while its fan-out lag — the oldest post it has not fanned
    /// out — is older than this. Default 30 s.
    /// </summary>
    public double FanoutLagDegradedSeconds { get; set; } = 30;

    /// <summary>
    /// How often a timeline grain holding its entries tells the audience directory again, and so how long after a
    /// directory partition restarted (its silo died) its entries may lack new posts before it reads them afresh. Default 30 s.
    /// </summary>
    public double DirectoryCheckSeconds { get; set; } = 30;
}

/// <summary>
/// One per account (key: the account id): the home timeline — posts and reposts of the accounts and hashtags it follows
/// and its own, newest first. Filled on write by fan-out (the <c>timeline_entries</c> rows, and the entries held here
/// when the grain is loaded), merged at read time with the recent posts of followed accounts too popular to fan out.
/// </summary>
[Alias("social.ITimelineGrain")]
public interface ITimelineGrain : IGrainWithIntegerKey
{
    /// <summary>A page of the timeline as its owner sees it (muted accounts, posts it may no longer see and repeats left out).</summary>
    Task<IReadOnlyList<TimelineItem>> ReadAsync(PageQuery page);

    /// <summary>A fanned-out entry (its row is already written). Ignored until the grain has loaded its entries.</summary>
    [AlwaysInterleave]
    Task AddAsync(TimelineEntry entry);

    /// <summary>Entries of a deleted post, or a withdrawn repost (by key), leave the held timeline (the rows are gone already).</summary>
    [AlwaysInterleave]
    Task RemoveAsync(Guid postId, long? key);

    /// <summary>The owner now follows <paramref name="accountId"/>: its recent posts and reposts join the timeline.</summary>
    Task MergeAccountAsync(long accountId);

    /// <summary>The owner no longer follows (or blocks, or is blocked by) <paramref name="accountId"/>: its posts and reposts leave.</summary>
    Task PurgeAccountAsync(long accountId);

    /// <summary>The owner now follows <paramref name="tag"/>: its recent public posts join the timeline.</summary>
    Task MergeTagAsync(string tag);

    /// <summary>How many entries the grain holds (capacity at most); loads them first.</summary>
    [ReadOnly]
    Task<int> CountAsync();

    /// <summary>
    /// The owner was shown these posts outside the home timeline (a profile, a hashtag, search, a thread, a post opened):
    /// each is an impression, once a day (the home timeline counts its own reads).
    /// </summary>
    [OneWay]
    Task SawPostsAsync(Analytics.SeenPost[] posts);

    /// <summary>The owner visited the account's profile — from one of its posts, when <paramref name="viaPost"/> — counted once a day.</summary>
    [OneWay]
    Task VisitedProfileAsync(long accountId, Guid? viaPost);

    /// <summary>The owner followed a link of the post (it is in its text), counted once a day per post and link.</summary>
    [OneWay]
    Task FollowedLinkAsync(Analytics.SeenPost post, string url);
}

/// <summary>
/// Reads of feeds that are not one account's home timeline — profile, hashtag, search, trending, thread — rendered for a
/// viewer through the post grains (so the visibility policy decides). A stateless worker: any silo serves them.
/// </summary>
[Alias("social.IFeedGrain")]
public interface IFeedGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Posts (and reposts unless excluded) of <paramref name="accountId"/>, or with <paramref name="onlyMedia"/> only its own posts
    /// with attachments; <see cref="KeyNotFoundException"/> across a block.
    /// </summary>
    Task<IReadOnlyList<TimelineItem>> ProfileAsync(long accountId, long viewerId, PageQuery page, bool excludeReposts, bool onlyMedia);

    /// <summary>Public posts carrying <paramref name="tag"/>, newest first.</summary>
    Task<IReadOnlyList<TimelineItem>> TagAsync(string tag, long viewerId, PageQuery page);

    /// <summary>
    /// Posts matching <paramref name="query"/> that the viewer may see: newest first (the page's cursors) or best match
    /// first (from <paramref name="offset"/>).
    /// </summary>
    Task<IReadOnlyList<TimelineItem>> SearchPostsAsync(string query, long viewerId, bool bestMatch, PageQuery page, int offset);

    /// <summary>
    /// Hashtags starting with <paramref name="prefix"/>, most used first, with how many posts carry them: only posts the
    /// viewer may see are counted, and a tag none of them carries is not listed.
    /// </summary>
    Task<IReadOnlyList<TagCount>> SearchTagsAsync(string prefix, long viewerId, int limit);

    /// <summary>Trending posts as the viewer may see them, best first.</summary>
    Task<IReadOnlyList<PostView>> TrendingPostsAsync(long viewerId, int limit, int offset);

    /// <summary>The quote chain above the post (oldest first) and the posts quoting it, as the viewer may see them.</summary>
    Task<PostContext> ContextAsync(Guid postId, long viewerId);
}

[GenerateSerializer, Immutable, Alias("social.TagCount")]
public sealed record TagCount([property: Id(0)] string Tag, [property: Id(1)] long Posts);

[GenerateSerializer, Immutable, Alias("social.PostContext")]
public sealed record PostContext([property: Id(0)] IReadOnlyList<PostView> Ancestors, [property: Id(1)] IReadOnlyList<PostView> Descendants);

/// <summary>A post's engagement as its grain reports it to the trends (only public posts of public accounts are eligible).</summary>
[GenerateSerializer, Immutable, Alias("social.TrendingCandidate")]
public sealed record TrendingCandidate([property: Id(0)] Guid PostId, [property: Id(1)] DateTimeOffset CreatedAt, [property: Id(2)] long Likes, [property: Id(3)] long Comments, [property: Id(4)] long Reposts, [property: Id(5)] bool Eligible);

/// <summary>A trending hashtag: distinct accounts using it in the last 24 hours and their daily average before.</summary>
[GenerateSerializer, Immutable, Alias("social.TrendingTag")]
public sealed record TrendingTag([property: Id(0)] string Tag, [property: Id(1)] long Accounts, [property: Id(2)] double Baseline);

/// <summary>
/// One for the cluster (key 0): trending posts, kept incrementally from what post grains report (no scan per request),
/// and trending hashtags.
/// </summary>
[Alias("social.ITrendsGrain")]
public interface ITrendsGrain : IGrainWithIntegerKey
{
    /// <summary>A post's current engagement; an ineligible or old one leaves the candidates.</summary>
    [AlwaysInterleave]
    Task ReportAsync(TrendingCandidate candidate);

    /// <summary>
    /// Post ids by score = (likes×2 + comments×3 + reposts×5) / (age in hours + 2)^1.5, public posts of the last 7 days.
    /// </summary>
    [ReadOnly]
    Task<IReadOnlyList<Guid>> GetPostsAsync(int limit, int offset);

    /// <summary>Hashtags used by the most distinct accounts in the last 24 hours relative to their 7-day baseline.</summary>
    Task<IReadOnlyList<TrendingTag>> GetTagsAsync(int limit);
}

/// <summary>Of some accounts: those with live connections, and those whose home timeline grain holds its entries.</summary>
[GenerateSerializer, Immutable, Alias("social.AudienceSplit")]
public sealed record AudienceSplit([property: Id(0)] long[] Live, [property: Id(1)] long[] Loaded);

/// <summary>
/// Which accounts fan-out must reach beyond their timeline rows, in <see cref="Partitions"/> grains (key: account id
/// modulo it): accounts with live hub connections (their user grain says so when they come online and at each presence
/// renewal), and accounts whose timeline grain holds its entries in memory (it says so before it reads them). Held in
/// memory only; a partition that restarts (its silo died) starts empty under a new epoch, and each account's grain
/// tells it again — a timeline grain that finds the epoch changed forgets its entries and reads them afresh.
/// </summary>
[Alias("social.IAudienceDirectoryGrain")]
public interface IAudienceDirectoryGrain : IGrainWithIntegerKey
{
    const int Partitions = 16;

    static IAudienceDirectoryGrain For(IGrainFactory grains, long account) =>
        grains.Reference<IAudienceDirectoryGrain>((long)((ulong)account % Partitions));

    /// <summary>Records whether the account has live connections; returns the partition's epoch.</summary>
    Task<Guid> SetLiveAsync(long account, bool live);

    /// <summary>Records whether the account's timeline grain holds its entries; returns the partition's epoch.</summary>
    Task<Guid> SetLoadedAsync(long account, bool loaded);

    /// <summary>Which of <paramref name="accounts"/> (all of this partition) are live, and whose timelines are loaded.</summary>
    Task<AudienceSplit> SplitAsync(long[] accounts);
}
