using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Orleans;
using OrleansSocial.Media;
using OrleansSocial.Text;
using OrleansSocial.Users;

namespace OrleansSocial.Posts;

/// <summary>Who may see a post: everyone (subject to the author's privacy), the author's followers, or the author only.</summary>
public static class PostVisibility
{
    public const string Public = "public";
    public const string Followers = "followers";
    public const string Private = "private";

    public static bool IsValid(string? value) => value is Public or Followers or Private;
}

/// <summary>
/// A post to create. <see cref="IdempotencyKey"/> makes a retried create return the first post. <see cref="MediaIds"/>
/// are the author's own processed, unattached uploads, in the order the post shows them.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.NewPost")]
public sealed record NewPost([property: Id(0)] long AuthorId, [property: Id(1)] string Text, [property: Id(2)] string Visibility, [property: Id(3)] Guid? QuoteOf, [property: Id(4)] string? IdempotencyKey,
    [property: Id(5)] IReadOnlyList<Guid>? MediaIds = null);

/// <summary>An edit of a post: its new text, its attachments (null: unchanged) and alt texts by attachment id.</summary>
[GenerateSerializer, Immutable, Alias("social.PostChange")]
public sealed record PostChange([property: Id(0)] string Text, [property: Id(1)] IReadOnlyList<Guid>? MediaIds = null, [property: Id(2)] IReadOnlyDictionary<Guid, string>? Descriptions = null);

[GenerateSerializer, Immutable, Alias("social.Mention")]
public sealed record Mention([property: Id(0)] long Id, [property: Id(1)] string Username);

[GenerateSerializer, Immutable, Alias("social.PostCounts")]
public sealed record PostCounts([property: Id(0)] long Likes, [property: Id(1)] long Reposts, [property: Id(2)] long Bookmarks, [property: Id(3)] long Comments);

/// <summary>
/// Views a post grain of this process hands to many readers until the post changes (no viewer flags set). Whatever is
/// made from one — a response, its JSON — may be kept with it and shared; a view that arrived from another process is
/// not among them, being a new object each time.
/// </summary>
public static class SharedPostViews
{
    private static readonly ConditionalWeakTable<PostView, StrongBox<object?>> Kept = new();

    /// <summary>Marks <paramref name="view"/> as handed out to many readers (until it is garbage).</summary>
    public static void Keep(PostView view) => Kept.AddOrUpdate(view, new StrongBox<object?>());

    public static bool IsShared(PostView view) => Kept.TryGetValue(view, out _);

    /// <summary>The slot for what is made from a shared view (empty until something is), or null for a view not shared.</summary>
    public static StrongBox<object?>? MadeFrom(PostView view) => Kept.TryGetValue(view, out var made) ? made : null;
}

/// <summary>A post as one viewer sees it, with that viewer's liked / reposted / bookmarked flags and its attachments in order.</summary>
[GenerateSerializer, Immutable, Alias("social.PostView")]
public sealed record PostView(
    [property: Id(0)] Guid Id, [property: Id(1)] PublicAccount Author, [property: Id(2)] string Text, [property: Id(3)] string Visibility, [property: Id(4)] PostView? Quote, [property: Id(5)] IReadOnlyList<string> Tags, [property: Id(6)] IReadOnlyList<Mention> Mentions,
    [property: Id(7)] DateTimeOffset CreatedAt, [property: Id(8)] DateTimeOffset? EditedAt, [property: Id(9)] PostCounts Counts, [property: Id(10)] bool Liked, [property: Id(11)] bool Reposted, [property: Id(12)] bool Bookmarked,
    [property: Id(13)] IReadOnlyList<MediaAttachment>? Media = null)
{
    /// <summary>
    /// Whether the post's media may be linked by stable URLs: it is public and so is its author. Otherwise clients get
    /// time-limited ones (only those who may see the post are handed them).
    /// </summary>
    public bool MediaPublic => Visibility == PostVisibility.Public && !Author.FollowersOnly;

    /// <summary>A moderator marked the post's media sensitive: clients show them behind a warning.</summary>
    [Id(14)]
    public bool Sensitive { get; init; }

    /// <summary>A keyword filter holds the post for review: only its author sees it (as private) until a moderator approves it.</summary>
    [Id(15)]
    public bool Held { get; init; }
}

/// <summary>An earlier text of an edited post, with the attachments it had (their ids and alt texts then).</summary>
[GenerateSerializer, Immutable, Alias("social.PostEdit")]
public sealed record PostEdit([property: Id(0)] string Text, [property: Id(1)] DateTimeOffset EditedAt, [property: Id(2)] IReadOnlyList<EditedMedia>? Media = null);

/// <summary>An attachment as an earlier version of a post had it.</summary>
[GenerateSerializer, Immutable, Alias("social.EditedMedia")]
public sealed record EditedMedia([property: Id(0)] Guid Id, [property: Id(1)] string Description);

/// <summary>What the viewer is to the author of a post: the facts the visibility policy decides on.</summary>
[GenerateSerializer, Immutable, Alias("social.ViewerFacts")]
public sealed record ViewerFacts([property: Id(0)] bool IsAuthor, [property: Id(1)] bool AuthorIsPrivate, [property: Id(2)] bool FollowsAuthor, [property: Id(3)] bool BlockedEitherWay);

/// <summary>
/// The one place that decides whether a viewer may see a post. The author always may (until it is deleted); a block
/// either way hides it; a public post of a public account is for everyone, of a private account for its approved
/// followers; a followers-only post for approved followers; a private post for the author alone.
/// </summary>
public static class VisibilityPolicy
{
    /// <summary>
    /// Whether <see cref="ViewerFacts.FollowsAuthor"/> can change the answer for this reader: only for someone other than
    /// the author, signed in, when the author is private or the post is not public. Readers ask it before looking it up.
    /// </summary>
    public static bool FollowingMatters(string visibility, bool authorIsPrivate, long viewer, long author) =>
        viewer != 0 && viewer != author && (authorIsPrivate || visibility != PostVisibility.Public);

    public static bool CanView(string visibility, bool deleted, ViewerFacts viewer)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        if (deleted)
        {
            return false;
        }

        if (viewer.IsAuthor)
        {
            return true;
        }

        return !viewer.BlockedEitherWay && visibility switch
        {
            PostVisibility.Public => !viewer.AuthorIsPrivate || viewer.FollowsAuthor,
            PostVisibility.Followers => viewer.FollowsAuthor,
            _ => false,
        };
    }
}

/// <summary>Text rules and the entities parsed out of a post.</summary>
public static partial class PostText
{
    public const int DefaultMaxLength = 500;

    /// <summary>Hashtags (<c>#tag</c>: letters, digits, underscores; stored lower-case), distinct, in order of appearance.</summary>
    public static IReadOnlyList<string> Tags(string text) =>
        TagPattern().Matches(ClientText.Nfc(text)).Select(m => m.Groups[1].Value.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Take(30).ToArray();

    /// <summary>Mentioned usernames (<c>@name</c>), lower-case, distinct.</summary>
    public static IReadOnlyList<string> MentionedUsernames(string text) =>
        MentionPattern().Matches(text).Select(m => m.Groups[1].Value.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Take(30).ToArray();

    /// <summary>Why the text is refused, or null. A post with attachments may have no text.</summary>
    public static string? Problem(string? text, int maxLength, bool hasMedia = false) =>
        string.IsNullOrWhiteSpace(text) ? (hasMedia ? null : "The post needs some text.")
        : text.Trim().Length > maxLength ? $"A post is at most {maxLength} characters."
        : ClientText.Problem(text, longText: true) is { } problem ? problem
        : null;

    [GeneratedRegex(@"(?<![\p{L}\p{N}_&/])#([\p{L}\p{N}_]{1,100})")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"(?<![\p{L}\p{N}_/@])@([A-Za-z0-9_]{3,30})\b")]
    private static partial Regex MentionPattern();
}

/// <summary>Hashtag names as users give them (with or without the #) and as they are stored (lower case).</summary>
public static partial class TagRules
{
    /// <summary>The stored form of <paramref name="tag"/>; <see cref="ArgumentException"/> naming <c>tag</c> when it is not a hashtag.</summary>
    public static string Normalize(string? tag)
    {
        var name = ClientText.Nfc((tag ?? "").Trim().TrimStart('#'));
        return TagName().IsMatch(name)
            ? name.ToLowerInvariant()
            : throw new ArgumentException("A hashtag is 1 to 100 letters, digits or underscores.", "tag");
    }

    [GeneratedRegex(@"^[\p{L}\p{N}_]{1,100}$")]
    private static partial Regex TagName();
}

/// <summary>An action the rules forbid on something the caller can see (editing another's post, reposting a private one): 403.</summary>
[GenerateSerializer, Alias("social.ActionRefusedException")]
public sealed class ActionRefusedException : Exception
{
    public ActionRefusedException()
    {
    }

    public ActionRefusedException(string message) : base(message)
    {
    }

    public ActionRefusedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>Settings of posts (section <c>Posts</c>).</summary>
public sealed class PostOptions
{
    /// <summary>Longest post text, in characters. Default 500.</summary>
    public int MaxLength { get; set; } = PostText.DefaultMaxLength;

    /// <summary>
    /// Per post and per kind (likes, reposts, bookmarks), how many accounts its grain holds in memory to answer a
    /// viewer's liked / reposted / bookmarked flags without a query. A post with more asks the rows. Default 10,000.
    /// </summary>
    public int ReactionsHeldInMemory { get; set; } = 10_000;

    /// <summary>Most attachments on a post (images; a video or GIF goes alone). Default 4.</summary>
    public int MaxAttachments { get; set; } = 4;
}
