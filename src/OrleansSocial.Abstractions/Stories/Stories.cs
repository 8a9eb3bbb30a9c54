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
    [property: Id(8)] long? ViewsCount = null)
{
    /// <summary>The caption's hashtags, lower-case, in order.</summary>
    [Id(9)]
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The accounts the caption mentions.</summary>
    [Id(10)]
    public IReadOnlyList<OrleansSocial.Posts.Mention> Mentions { get; init; } = [];
}

/// <summary>
/// A live story of an account as its user grain holds them (oldest first): enough to show it in a tray without asking
/// the story's grain.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.LiveStory")]
public sealed record LiveStory([property: Id(0)] Guid Id, [property: Id(1)] DateTimeOffset CreatedAt, [property: Id(2)] DateTimeOffset ExpiresAt,
    [property: Id(3)] string Audience, [property: Id(4)] MediaAttachment Media, [property: Id(5)] string Caption, [property: Id(6)] string? LinkUrl)
{
    [Id(7)]
    public IReadOnlyList<string> Tags { get; init; } = [];

    [Id(8)]
    public IReadOnlyList<OrleansSocial.Posts.Mention> Mentions { get; init; } = [];
}

/// <summary>One account in a reader's story tray: its live stories the reader may see, in order, each with whether they saw it.</summary>
[GenerateSerializer, Immutable, Alias("social.TrayEntry")]
public sealed record TrayEntry([property: Id(0)] PublicAccount Account, [property: Id(1)] IReadOnlyList<StoryView> Stories, [property: Id(2)] IReadOnlyList<bool> Seen)
{
    public bool HasUnseen => Seen.Contains(false);

    public DateTimeOffset Latest => Stories[^1].CreatedAt;
}

/// <summary>
/// A reader's story tray (key: the reader's account id): built from the reader's follows and each followed account's
/// live stories for them, then kept — each followed account's grain tells the trays that hold its stories when they
/// change (a story posted or ended, its close-friends list changed), the reader's own views mark stories seen, and a
/// change of whom the reader follows, mutes or blocks rebuilds it.
/// </summary>
[Alias("social.IStoryTrayGrain")]
public interface IStoryTrayGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Accounts the reader follows that have live stories for them, unseen first, then by latest story; muted and
    /// blocked accounts never appear.
    /// </summary>
    Task<StoryTray> GetTrayAsync();

    /// <summary>The stories <paramref name="accountId"/> has for the reader changed: ask it again at the next read.</summary>
    [OneWay]
    Task AccountChangedAsync(long accountId);

    /// <summary>The reader viewed <paramref name="storyId"/>.</summary>
    [OneWay]
    Task SeenAsync(Guid storyId);
}

/// <summary>
/// A reader's tray as its grain answers it: the same object for every read until something in it changes (so a front
/// end in the grain's process may keep what it made of it).
/// </summary>
[GenerateSerializer, Immutable, Alias("social.StoryTray")]
public sealed record StoryTray([property: Id(0)] IReadOnlyList<TrayEntry> Entries);

/// <summary>
/// A followed account's live stories for a reader, and whether the account will tell the reader's tray when they change
/// (<see cref="IStoryTrayGrain.AccountChangedAsync"/>); an account followed by very many readers with trays does not
/// keep track of them all, and such trays ask it again at every read.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.FollowedStories")]
public sealed record FollowedStories([property: Id(0)] IReadOnlyList<StoryView> Stories, [property: Id(1)] bool Watched);

/// <summary>
/// One story, a grain keyed by a time-ordered Guid: its row (the truth) held in memory, audience checks against the
/// author's and reader's grains, and an Orleans reminder for its expiry, so a story ends on time across silo restarts.
/// </summary>
[Alias("social.IStoryGrain")]
public interface IStoryGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Posts the story. <see cref="MediaRefusedException"/> when the media is not the author's own processed, unused upload
    /// (or a video over a minute); <see cref="LimitExceededException"/> past the author's limits.
    /// </summary>
    Task<StoryView> CreateAsync(NewStory story);

    /// <summary>The story as <paramref name="viewerId"/> may see it; null when it does not exist, has ended, or is not for them.</summary>
    Task<StoryView?> GetAsync(long viewerId);

    /// <summary>Ends the story now (the author only; 404 for anyone else, as if it did not exist).</summary>
    Task DeleteAsync(long actorId);

    /// <summary>
    /// A moderator's removal (the moderation desk has checked the role): ended at once everywhere as a deletion is; the
    /// row is kept for appeal and audit. False when it had ended already.
    /// </summary>
    Task<bool> RemoveAsync();

    /// <summary>A removed story comes back (an appeal granted) if it is still within its lifetime. False otherwise.</summary>
    Task<bool> RestoreAsync();

    /// <summary>
    /// Records that <paramref name="viewerId"/> viewed the story, once however often it is called; the author's own views
    /// are not recorded. <see cref="KeyNotFoundException"/> when the viewer may not see it.
    /// </summary>
    Task ViewAsync(long viewerId);

    /// <summary>
    /// Who viewed the story, newest first, each with their reaction: for its author alone (<see cref="KeyNotFoundException"/>
    /// for anyone else).
    /// </summary>
    [ReadOnly]
    Task<IReadOnlyList<StoryViewer>> GetViewersAsync(long actorId, PageQuery page);

    /// <summary>
    /// A reply: a direct message from <paramref name="viewerId"/> to the author in their direct conversation, quoting the
    /// story (a retry with the same client id returns the first message). <see cref="KeyNotFoundException"/> when the
    /// viewer may not see the story (outside its audience, across a block, ended);
    /// <see cref="OrleansSocial.Posts.ActionRefusedException"/> for the author's own story or when the author's
    /// <c>dm_policy</c> refuses the viewer.
    /// </summary>
    Task<OrleansSocial.Conversations.MessageView> ReplyAsync(long viewerId, string clientId, string text);

    /// <summary>
    /// A reaction (one emoji): a lighter reply — the same direct message, marked a reaction — and kept on the viewer's
    /// view, so the author's viewer list shows it (a new reaction replaces the old one). Reacting counts as viewing.
    /// </summary>
    Task<OrleansSocial.Conversations.MessageView> ReactAsync(long viewerId, string emoji);
}

/// <summary>Someone who viewed a story (the author's viewer list): when, and the emoji they reacted with, if any.</summary>
[GenerateSerializer, Immutable, Alias("social.StoryViewer")]
public sealed record StoryViewer([property: Id(0)] long Cursor, [property: Id(1)] PublicAccount Account, [property: Id(2)] DateTimeOffset ViewedAt,
    [property: Id(3)] string? Reaction);

/// <summary>Story reactions: one emoji.</summary>
public static class StoryReactions
{
    /// <summary>
    /// Whether <paramref name="text"/> is one emoji: a single user-perceived character (a grapheme cluster, so skin tones,
    /// flags and joined sequences count as one) that starts with a pictographic symbol.
    /// </summary>
    public static bool IsEmoji(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 32 || new System.Globalization.StringInfo(text).LengthInTextElements != 1)
        {
            return false;
        }

        var first = System.Text.Rune.GetRuneAt(text, 0);
        return System.Text.Rune.GetUnicodeCategory(first) == System.Globalization.UnicodeCategory.OtherSymbol
            || (first.Value is >= 0x1F1E6 and <= 0x1F1FF) // regional indicators (flags)
            || (text.Length > 1 && text.Contains('\u20E3', StringComparison.Ordinal)); // keycaps
    }
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

    /// <summary>
    /// Least time between two <c>story_viewed</c> events of one story to its author (views in between are counted in the
    /// next). Default 2 seconds.
    /// </summary>
    public TimeSpan ViewedEventInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most highlights per account. Default 100.</summary>
    public int MaxHighlights { get; set; } = 100;

    /// <summary>Most stories in one highlight. Default 100.</summary>
    public int MaxStoriesPerHighlight { get; set; } = 100;

    /// <summary>Longest highlight title, in characters. Default 50.</summary>
    public int MaxHighlightTitleLength { get; set; } = 50;

    /// <summary>
    /// Longest a reader's tray is kept before it is built afresh (changes are told to it as they happen; this bounds what
    /// a lost message could leave stale). Default 1 minute.
    /// </summary>
    public TimeSpan TrayLifetime { get; set; } = TimeSpan.FromMinutes(1);
}
