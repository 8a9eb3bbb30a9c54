using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Users;

namespace OrleansSocial.Posts;

/// <summary>
/// One per post (key: the post id, a time-ordered Guid). Holds the post and its counters hot; every read and action
/// goes through <see cref="VisibilityPolicy"/>: a post the caller may not see behaves as missing
/// (<see cref="KeyNotFoundException"/>, or null from reads).
/// </summary>
[Alias("social.IPostGrain")]
public interface IPostGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Creates the post under this grain's id and returns the id of the post: this one, or the one created earlier with
    /// the same idempotency key. <see cref="ArgumentException"/> names a bad field; a quote the author cannot see is
    /// <see cref="KeyNotFoundException"/>.
    /// </summary>
    Task<Guid> CreateAsync(NewPost post);

    /// <summary>The post as <paramref name="viewerId"/> (0: anonymous) sees it, or null.</summary>
    [ReadOnly]
    Task<PostView?> GetAsync(long viewerId);

    /// <summary>The post without its quoted post embedded (what a quoting post embeds: quote chains stop at one level).</summary>
    [ReadOnly]
    Task<PostView?> GetUnembeddedAsync(long viewerId);

    /// <summary>
    /// The post as its fan-out audience sees it, without anyone's own flags: the payload of timeline events, sent only
    /// to accounts the fan-out chose by the visibility rules. Null when deleted.
    /// </summary>
    [ReadOnly]
    Task<PostView?> GetPublishedAsync();

    /// <summary>
    /// Those of <paramref name="accounts"/> who may see this post, by the rule every read applies
    /// (<see cref="VisibilityPolicy"/>), in one query for all of them; with <paramref name="leaveOutMuting"/> also leaving
    /// out those who mute its author (as home timelines do). Live events carry the post only to them.
    /// </summary>
    [ReadOnly]
    Task<long[]> AudienceAmongAsync(long[] accounts, bool leaveOutMuting);

    /// <summary>The id of the post this one quotes, whoever asks (threads walk quote chains and render each post for their viewer).</summary>
    [ReadOnly]
    Task<Guid?> GetQuotedIdAsync();

    /// <summary>
    /// Queues again, in this grain's silo, the fan-out of this post (or of <paramref name="repostedBy"/>'s repost of it,
    /// timeline key <paramref name="key"/>, accepted at <paramref name="acceptedAt"/>) that did not finish: true when
    /// queued; false when that silo holds it already (queued or running) or its queue is full; null when there is nothing
    /// to fan out (the post is gone).
    /// </summary>
    Task<bool?> ResumeFanoutAsync(long? repostedBy, long key, DateTimeOffset acceptedAt);

    /// <summary>
    /// Replaces the text and, when <see cref="PostChange.MediaIds"/> is given, the attachments; sets alt texts
    /// (<see cref="PostChange.Descriptions"/>). Author only (<see cref="ActionRefusedException"/> otherwise); the version
    /// before goes to the history. <see cref="OrleansSocial.Media.MediaRefusedException"/> for media it cannot take.
    /// </summary>
    Task<PostView> EditAsync(long editorId, PostChange change);

    /// <summary>Deletes the post (author only): it disappears from every read, list and count.</summary>
    Task DeleteAsync(long editorId);

    /// <summary>
    /// A moderator's removal (the moderation desk has checked the role): gone from every read path as a deletion is, its
    /// row and media kept for appeal and audit. False when it was gone already.
    /// </summary>
    Task<bool> RemoveAsync();

    /// <summary>A moderator's removal of one of this post's comments (kept, marked deleted). False when it was gone already.</summary>
    Task<bool> RemoveCommentAsync(long commentId);

    /// <summary>A moderator marks (or, an appeal granted, clears) the post's media sensitive. False when nothing changed.</summary>
    Task<bool> SetSensitiveAsync(bool sensitive);

    /// <summary>Brings back a removed post (an appeal granted): everywhere again, fanned out anew. False when it was not removed.</summary>
    Task<bool> RestoreAsync();

    /// <summary>
    /// A moderator approves a post a keyword filter held: it takes the visibility it was posted with, is fanned out and
    /// its mentions are told. False when it is not held (or is deleted).
    /// </summary>
    Task<bool> ReleaseAsync();

    /// <summary>Brings back a removed comment (an appeal granted). False when it was not removed.</summary>
    Task<bool> RestoreCommentAsync(long commentId);

    /// <summary>Earlier texts, oldest first.</summary>
    [ReadOnly]
    Task<IReadOnlyList<PostEdit>> GetHistoryAsync(long viewerId);

    Task<PostView> LikeAsync(long viewerId);

    /// <summary>
    /// For an account being erased: takes back its like, repost and bookmark of this post, deletes its comments here and
    /// its likes of comments here, with every counter. Idempotent.
    /// </summary>
    Task ForgetAccountAsync(long accountId);

    /// <summary>For its author's erasure: deletes the post as its author would (timelines, counters, media), whoever may see it now. Idempotent.</summary>
    Task EraseAsync();

    Task<PostView> UnlikeAsync(long viewerId);

    Task<PostView> BookmarkAsync(long viewerId);

    Task<PostView> UnbookmarkAsync(long viewerId);

    /// <summary>Reposts (public posts only; <see cref="ActionRefusedException"/> for others).</summary>
    Task<PostView> RepostAsync(long viewerId);

    Task<PostView> UnrepostAsync(long viewerId);

    [ReadOnly]
    Task<IReadOnlyList<AccountListItem>> GetLikedByAsync(long viewerId, PageQuery page);

    [ReadOnly]
    Task<IReadOnlyList<AccountListItem>> GetRepostedByAsync(long viewerId, PageQuery page);

    /// <summary>
    /// Comments on the post, or replies to <paramref name="parentId"/> when given. <see cref="ArgumentException"/> names a
    /// bad field (an unknown parent is <c>parent_comment_id</c>); replying to someone who blocks you, or whom you block,
    /// is <see cref="ActionRefusedException"/>.
    /// </summary>
    Task<CommentView> AddCommentAsync(long viewerId, string text, long? parentId);

    /// <summary>Top-level comments (<paramref name="parentId"/> null) or the direct replies to one, newest first, each with its reply count.</summary>
    [ReadOnly]
    Task<IReadOnlyList<CommentView>> GetCommentsAsync(long viewerId, long? parentId, PageQuery page);

    /// <summary>Edits one's own comment.</summary>
    Task<CommentView> EditCommentAsync(long viewerId, long commentId, string text);

    /// <summary>Deletes a comment: its author may, and so may the post's author.</summary>
    Task DeleteCommentAsync(long viewerId, long commentId);

    Task<CommentView> LikeCommentAsync(long viewerId, long commentId);

    Task<CommentView> UnlikeCommentAsync(long viewerId, long commentId);
}

/// <summary>
/// Post views a silo's grains published in this process, for a front end hosted with the silo (the <c>all</c> role): a
/// read of a post whose grain is active here is answered as the grain would answer it, without a call. A front end on
/// its own (the <c>frontend</c> role) has none registered and always asks the grain.
/// </summary>
public interface ILocalPostReader
{
    /// <summary>
    /// True with what <see cref="IPostGrain.GetAsync"/> would return to <paramref name="viewerId"/> (null: no such post for
    /// them); false when what is published here cannot tell, and the grain must be asked.
    /// </summary>
    bool TryRead(Guid postId, long viewerId, out PostView? view);
}
