using Orleans;
using OrleansSocial.Users;

namespace OrleansSocial.Posts;

/// <summary>A comment as one viewer sees it.</summary>
[GenerateSerializer, Immutable, Alias("social.CommentView")]
public sealed record CommentView(
    [property: Id(0)] long Id, [property: Id(1)] Guid PostId, [property: Id(2)] PublicAccount Author, [property: Id(3)] string Text, [property: Id(4)] long? ParentId, [property: Id(5)] DateTimeOffset CreatedAt, [property: Id(6)] DateTimeOffset? EditedAt,
    [property: Id(7)] long RepliesCount, [property: Id(8)] long LikesCount, [property: Id(9)] bool Liked);
