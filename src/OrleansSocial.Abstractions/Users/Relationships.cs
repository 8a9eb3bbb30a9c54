namespace OrleansSocial.Users;

/// <summary>How the viewer stands with another account (Mastodon's Relationship).</summary>
public sealed record Relationship(
    long Id, bool Following, bool FollowedBy, bool Requested, bool RequestedBy, bool Blocking, bool BlockedBy, bool Muting,
    DateTimeOffset? MutingExpiresAt);

/// <summary>
/// What one account is to another right now, from the first one's side: the facts visibility, feeds and notifications
/// decide on. Held hot by the first account's grain (<see cref="IUserGrain.GetRelationToAsync"/>).
/// </summary>
public sealed record RelationFacts(bool Following, bool Blocking, bool BlockedBy, bool Muting)
{
    public static RelationFacts None { get; } = new(false, false, false, false);

    public bool BlockedEitherWay => Blocking || BlockedBy;
}

/// <summary>An account's followers, following and posts counts; <see cref="Version"/> orders concurrent updates.</summary>
public sealed record AccountCounts(long Followers, long Following, long Posts, long Version);

/// <summary>An account as anyone who may see it sees it.</summary>
public sealed record PublicAccount(
    long Id, string Username, string DisplayName, string Bio, string Website, bool IsPrivate, DateTimeOffset CreatedAt,
    long FollowersCount, long FollowingCount, long PostsCount);

/// <summary>One page of a list in the cursor convention: ids are the rows' sequence numbers, newest first.</summary>
public sealed record PageQuery(int Limit, long? MaxId = null, long? SinceId = null, long? MinId = null);

/// <summary>An account in a list, with the cursor of its row (the follow, request, block or mute).</summary>
public sealed record AccountListItem(long Cursor, PublicAccount Account, DateTimeOffset? Until = null);

/// <summary>A followed hashtag with the cursor of the follow row.</summary>
public sealed record FollowedTag(long Cursor, string Tag);

/// <summary>A bookmark: the post and the cursor of the bookmark row.</summary>
public sealed record BookmarkRow(long Cursor, Guid PostId);

/// <summary>
/// A relationship change the rules forbid: following or being followed across a block. The front end answers 403;
/// the message says why.
/// </summary>
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
