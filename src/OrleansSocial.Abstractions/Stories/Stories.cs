using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Media;
using OrleansSocial.Users;

namespace OrleansSocial.Stories;

/// <summary>Who may see a story.</summary>
public static class StoryAudience
{
    /// <summary>The author's approved followers (the default).</summary>
    public const string Followers = "followers";

    /// <summary>Those on the author's close-friends list.</summary>
    public const string CloseFriends = "close_friends";

    /// <summary>Every signed-in account, for public accounts only.</summary>
    public const string Public = "public";

    public static bool IsKnown(string? audience) => audience is Followers or CloseFriends or Public;

    /// <summary>
    /// Whether a reader may see a story of this audience. The author always may; a block either way hides it (the author's
    /// grain answers no account then, so callers do not get this far); followers-only stories need an approved follow,
    /// close-friends ones a place on the author's list; public ones are for everyone while the account is public, and
    /// for its followers once it goes private.
    /// </summary>
    public static bool CanView(string audience, bool isAuthor, bool authorIsPrivate, bool follows, bool closeFriend) =>
        isAuthor || audience switch
        {
            Public => !authorIsPrivate || follows,
            Followers => follows,
            CloseFriends => closeFriend,
            _ => false,
        };
}

/// <summary>A story to post: one processed upload of the author's (an image, or a video up to a minute), a caption, a link.</summary>
[GenerateSerializer, Immutable, Alias("social.NewStory")]
public sealed record NewStory([property: Id(0)] long AuthorId, [property: Id(1)] Guid MediaId, [property: Id(2)] string Caption, [property: Id(3)] string? LinkUrl,
    [property: Id(4)] string Audience);

/// <summary>A live story as a reader may see it; <see cref="ViewsCount"/> only for its author.</summary>
[GenerateSerializer, Immutable, Alias("social.StoryView")]
public sealed record StoryView(
    [property: Id(0)] Guid Id, [property: Id(1)] PublicAccount Author, [property: Id(2)] MediaAttachment Media, [property: Id(3)] string Caption,
    [property: Id(4)] string? LinkUrl, [property: Id(5)] string Audience, [property: Id(6)] DateTimeOffset CreatedAt, [property: Id(7)] DateTimeOffset ExpiresAt,
    [property: Id(8)] long? ViewsCount = null);

/// <summary>
/// A live story of an account as its user grain holds them (oldest first): enough to show it in a tray without asking
/// the story's grain.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.LiveStory")]
public sealed record LiveStory([property: Id(0)] Guid Id, [property: Id(1)] DateTimeOffset CreatedAt, [property: Id(2)] DateTimeOffset ExpiresAt,
    [property: Id(3)] string Audience, [property: Id(4)] MediaAttachment Media, [property: Id(5)] string Caption, [property: Id(6)] string? LinkUrl);

/// <summary>One account in a reader's story tray: its live stories the reader may see, in order, each with whether they saw it.</summary>
[GenerateSerializer, Immutable, Alias("social.TrayEntry")]
public sealed record TrayEntry([property: Id(0)] PublicAccount Account, [property: Id(1)] IReadOnlyList<StoryView> Stories, [property: Id(2)] IReadOnlyList<bool> Seen)
{
    public bool HasUnseen => Seen.Contains(false);

    public DateTimeOffset Latest => Stories[^1].CreatedAt;
}

/// <summary>
/// Builds story trays: a stateless worker (any silo serves it) that asks each account the reader follows for its live
/// stories the reader may see — one call per account — and reads which of them the reader has seen in one query.
/// </summary>
[Alias("social.IStoryTrayGrain")]
public interface IStoryTrayGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Accounts <paramref name="viewerId"/> follows that have live stories for them, unseen first, then by latest story;
    /// muted and blocked accounts never appear.
    /// </summary>
    Task<IReadOnlyList<TrayEntry>> GetTrayAsync(long viewerId);
}

/// <summary>
/// One story, a grain keyed by a time-ordered Guid: its row (the truth) held in memory, audience checks against the
/// author's and reader's grains, and an Orleans reminder for its expiry, so a story ends on time across silo restarts.
/// </summary>
[Alias("social.IStoryGrain")]
public interface IStoryGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Posts the story. <see cref="MediaRefusedException"/> when the media is not the author's own processed, unused upload
    /// (or a video over a minute); <see cref="StoryLimitException"/> past the author's limits.
    /// </summary>
    Task<StoryView> CreateAsync(NewStory story);

    /// <summary>The story as <paramref name="viewerId"/> may see it; null when it does not exist, has ended, or is not for them.</summary>
    Task<StoryView?> GetAsync(long viewerId);

    /// <summary>Ends the story now (the author only; 404 for anyone else, as if it did not exist).</summary>
    Task DeleteAsync(long actorId);

    /// <summary>
    /// Records that <paramref name="viewerId"/> viewed the story, once however often it is called; the author's own views
    /// are not recorded. <see cref="KeyNotFoundException"/> when the viewer may not see it.
    /// </summary>
    Task ViewAsync(long viewerId);

    /// <summary>Who viewed the story, newest first: for its author alone (<see cref="KeyNotFoundException"/> for anyone else).</summary>
    [ReadOnly]
    Task<IReadOnlyList<AccountListItem>> GetViewersAsync(long actorId, PageQuery page);
}

/// <summary>Past the author's story limits (live stories, or stories per hour): 429, with when to try again.</summary>
[GenerateSerializer, Alias("social.StoryLimitException")]
public sealed class StoryLimitException : Exception
{
    public StoryLimitException()
    {
    }

    public StoryLimitException(string message) : base(message)
    {
    }

    public StoryLimitException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public StoryLimitException(string message, TimeSpan retryAfter) : base(message) => RetryAfter = retryAfter;

    /// <summary>When the author may post a story again.</summary>
    [Id(0)]
    public TimeSpan RetryAfter { get; init; }
}

/// <summary>Settings of stories (section <c>Stories</c>).</summary>
public sealed class StoryOptions
{
    /// <summary>How long a story lives. Default 24 hours.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Most live stories per account. Default 100.</summary>
    public int MaxLive { get; set; } = 100;

    /// <summary>Most stories an account posts in an hour. Default 30.</summary>
    public int MaxPerHour { get; set; } = 30;

    /// <summary>Longest video story, in seconds. Default 60.</summary>
    public double MaxVideoSeconds { get; set; } = 60;

    /// <summary>Longest caption, in characters. Default 2,200.</summary>
    public int MaxCaptionLength { get; set; } = 2200;
}
