using OrleansSocial.Users;

namespace OrleansSocial.Posts;

/// <summary>A comment as one viewer sees it.</summary>
public sealed record CommentView(
    long Id, Guid PostId, PublicAccount Author, string Text, long? ParentId, DateTimeOffset CreatedAt, DateTimeOffset? EditedAt,
    long RepliesCount, long LikesCount, bool Liked);
