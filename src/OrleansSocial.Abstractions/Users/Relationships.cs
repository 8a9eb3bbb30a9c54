using Orleans;

namespace OrleansSocial.Users;

/// <summary>How the viewer stands with another account (Mastodon's Relationship).</summary>
[GenerateSerializer, Immutable, Alias("social.Relationship")]
public sealed record Relationship(
    [property: Id(0)] long Id, [property: Id(1)] bool Following, [property: Id(2)] bool FollowedBy, [property: Id(3)] bool Requested, [property: Id(4)] bool RequestedBy, [property: Id(5)] bool Blocking, [property: Id(6)] bool BlockedBy, [property: Id(7)] bool Muting,
    [property: Id(8)] DateTimeOffset? MutingExpiresAt);

/// <summary>
/// What one account is to another right now, from the first one's side: the facts visibility, feeds and notifications
/// decide on. Held hot by the first account's grain (<see cref="IUserGrain.GetRelationToAsync"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("social.RelationFacts")]
public sealed record RelationFacts([property: Id(0)] bool Following, [property: Id(1)] bool Blocking, [property: Id(2)] bool BlockedBy, [property: Id(3)] bool Muting)
{
    public static RelationFacts None { get; } = new(false, false, false, false);

    public bool BlockedEitherWay => Blocking || BlockedBy;
}

/// <summary>An account's followers, following and posts counts.</summary>
[GenerateSerializer, Immutable, Alias("social.AccountCounts")]
public sealed record AccountCounts([property: Id(0)] long Followers, [property: Id(1)] long Following, [property: Id(2)] long Posts)
{
    public static AccountCounts Zero { get; } = new(0, 0, 0);

    public AccountCounts Add(CountsChange change) => change is null || change.IsEmpty ? this
        : new(Followers + change.Followers, Following + change.Following, Posts + change.Posts);
}

/// <summary>
/// What one change to the rows did to an account's counts (+1, −1 or 0 each), with the version of that change: a number
/// from <c>account_versions</c> taken while the change held the account's lock, so it is unique and grows with every
/// change touching the account. The grain adds each change once, and only if it is newer than the rows it counted.
/// <see cref="Recount"/> is set when a follow, unfollow or block found its rows already as asked — most likely a retry of
/// a change whose notice was lost with its caller — so the grain counts its rows afresh.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.CountsChange")]
public sealed record CountsChange([property: Id(0)] long Followers, [property: Id(1)] long Following, [property: Id(2)] long Posts, [property: Id(3)] long Version)
{
    [Id(4)] public bool Recount { get; init; }

    public bool IsEmpty => Followers == 0 && Following == 0 && Posts == 0;
}

/// <summary>An account as anyone who may see it sees it.</summary>
[GenerateSerializer, Immutable, Alias("social.PublicAccount")]
public sealed record PublicAccount(
    [property: Id(0)] long Id, [property: Id(1)] string Username, [property: Id(2)] string DisplayName, [property: Id(3)] string Bio, [property: Id(4)] string Website, [property: Id(5)] bool IsPrivate, [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] long FollowersCount, [property: Id(8)] long FollowingCount, [property: Id(9)] long PostsCount,
    [property: Id(10)] string? AvatarKey = null, [property: Id(11)] string? HeaderKey = null)
{
    /// <summary>Limited (silenced) by a moderator. Not shown to others: it only narrows who sees the account's content.</summary>
    [Id(12)]
    public bool Limited { get; init; }

    /// <summary>
    /// Whether the account's content is for its followers only: it is private, or limited (whose posts and stories reach
    /// only its followers, and neither trends nor search).
    /// </summary>
    public bool FollowersOnly => IsPrivate || Limited;
}

/// <summary>One page of a list in the cursor convention: ids are the rows' sequence numbers, newest first.</summary>
[GenerateSerializer, Immutable, Alias("social.PageQuery")]
public sealed record PageQuery([property: Id(0)] int Limit, [property: Id(1)] long? MaxId = null, [property: Id(2)] long? SinceId = null, [property: Id(3)] long? MinId = null);

/// <summary>An account in a list, with the cursor of its row (the follow, request, block or mute).</summary>
[GenerateSerializer, Immutable, Alias("social.AccountListItem")]
public sealed record AccountListItem([property: Id(0)] long Cursor, [property: Id(1)] PublicAccount Account, [property: Id(2)] DateTimeOffset? Until = null);

/// <summary>A followed hashtag with the cursor of the follow row.</summary>
[GenerateSerializer, Immutable, Alias("social.FollowedTag")]
public sealed record FollowedTag([property: Id(0)] long Cursor, [property: Id(1)] string Tag);

/// <summary>A bookmark: the post and the cursor of the bookmark row.</summary>
[GenerateSerializer, Immutable, Alias("social.BookmarkRow")]
public sealed record BookmarkRow([property: Id(0)] long Cursor, [property: Id(1)] Guid PostId);

/// <summary>
/// A relationship change the rules forbid: following or being followed across a block. The front end answers 403;
/// the message says why.
/// </summary>
[GenerateSerializer, Alias("social.RelationshipRefusedException")]
public sealed class RelationshipRefusedException : Exception
{
    public RelationshipRefusedException()
    {
    }

    public RelationshipRefusedException(string message) : base(message)
    {
    }

    public RelationshipRefusedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>A private account's followers or following, asked for by someone who is not an approved follower.</summary>
[GenerateSerializer, Alias("social.ListHiddenException")]
public sealed class ListHiddenException : Exception
{
    public ListHiddenException()
    {
    }

    public ListHiddenException(string message) : base(message)
    {
    }

    public ListHiddenException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>Limits of the close-friends list (the audience of close-friends stories).</summary>
public static class CloseFriends
{
    /// <summary>Most accounts on one list.</summary>
    public const int Capacity = 1000;

    /// <summary>Most accounts one request adds or removes.</summary>
    public const int MaxPerRequest = 100;
}
