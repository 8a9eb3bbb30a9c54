using Orleans;
using Orleans.Concurrency;

namespace OrleansSocial.Users;

/// <summary>
/// One per account, keyed by the account id. Holds the account's profile hot (and, with later features, its
/// counters and relationship summaries); the <c>accounts</c> row is the durable truth, written with a version check.
/// </summary>
[Alias("social.IUserGrain")]
public interface IUserGrain : IGrainWithIntegerKey
{
    /// <summary>The profile, or null when no account has this id.</summary>
    [ReadOnly]
    Task<UserProfile?> GetProfileAsync();

    /// <summary>
    /// Applies the fields given (null ones are left as they are), saves them and tells the user's other connections
    /// (<c>account_updated</c>). Throws <see cref="ArgumentException"/> for a value <see cref="ProfileRules"/> refuses and
    /// <see cref="KeyNotFoundException"/> when the account does not exist.
    /// </summary>
    Task<UserProfile> UpdateProfileAsync(ProfileUpdate update);

    /// <summary>
    /// Makes <paramref name="mediaId"/> (a processed upload of this account for <paramref name="purpose"/>, <c>avatar</c> or
    /// <c>header</c>; null: back to the default) the account's picture, tells its other connections, and returns the
    /// profile with the blob token of the picture it replaced (the caller deletes those blobs).
    /// </summary>
    Task<ProfileImageChange> SetProfileImageAsync(string purpose, Guid? mediaId);

    /// <summary>Re-reads the row after a change made outside the grain (email verified, role granted).</summary>
    Task<UserProfile?> ReloadAsync();

    /// <summary>
    /// The account as <paramref name="viewerId"/> (0: anonymous) sees it, with its counters; null when there is no such
    /// account or a block stands between them (a blocked viewer cannot tell it from a missing account).
    /// </summary>
    [ReadOnly]
    Task<PublicAccount?> GetAccountAsync(long viewerId);

    /// <summary>
    /// Relationship changes made by this account toward <paramref name="targetId"/>. All are idempotent. Following a public
    /// account takes effect at once, a private one files a follow request. <see cref="KeyNotFoundException"/>: no such
    /// account; <see cref="ArgumentException"/>: oneself; <see cref="RelationshipRefusedException"/>: a block stands between.
    /// </summary>
    Task<Relationship> FollowAsync(long targetId);

    /// <summary>Stops following, or withdraws a pending follow request.</summary>
    Task<Relationship> UnfollowAsync(long targetId);

    /// <summary>Blocks: removes follows both ways and pending requests both ways.</summary>
    Task<Relationship> BlockAsync(long targetId);

    Task<Relationship> UnblockAsync(long targetId);

    /// <summary>Mutes, for <paramref name="duration"/> or until unmuted.</summary>
    Task<Relationship> MuteAsync(long targetId, TimeSpan? duration);

    Task<Relationship> UnmuteAsync(long targetId);

    /// <summary>Approves a follow request to this (private) account; <see cref="KeyNotFoundException"/> when there is none.</summary>
    Task<Relationship> AuthorizeFollowRequestAsync(long requesterId);

    Task<Relationship> RejectFollowRequestAsync(long requesterId);

    /// <summary>How this account stands with each of <paramref name="targetIds"/> that exists.</summary>
    [ReadOnly]
    Task<IReadOnlyList<Relationship>> GetRelationshipsAsync(long[] targetIds);

    /// <summary>
    /// This account's followers as <paramref name="viewerId"/> may see them. <see cref="ListHiddenException"/> when the
    /// account is private and the viewer is neither it nor an approved follower; <see cref="KeyNotFoundException"/> when a
    /// block stands between them.
    /// </summary>
    [ReadOnly]
    Task<IReadOnlyList<AccountListItem>> GetFollowersAsync(long viewerId, PageQuery page);

    /// <summary>The accounts this account follows, under the same rules as <see cref="GetFollowersAsync"/>.</summary>
    [ReadOnly]
    Task<IReadOnlyList<AccountListItem>> GetFollowingAsync(long viewerId, PageQuery page);

    /// <summary>Pending follow requests to this account (its owner's view).</summary>
    [ReadOnly]
    Task<IReadOnlyList<AccountListItem>> GetFollowRequestsAsync(PageQuery page);

    [ReadOnly]
    Task<IReadOnlyList<AccountListItem>> GetBlocksAsync(PageQuery page);

    /// <summary>Current mutes (expired ones are left out), with when each ends.</summary>
    [ReadOnly]
    Task<IReadOnlyList<AccountListItem>> GetMutesAsync(PageQuery page);

    /// <summary>This account's close-friends list, newest first: its owner's alone (the API serves it only under <c>/me</c>).</summary>
    [ReadOnly]
    Task<IReadOnlyList<AccountListItem>> GetCloseFriendsAsync(PageQuery page);

    /// <summary>
    /// Puts accounts on the close-friends list (idempotent); how many were new. <see cref="ArgumentException"/> for this
    /// account itself, an account that does not exist or is blocked either way, or past <see cref="CloseFriends.Capacity"/>.
    /// </summary>
    Task<int> AddCloseFriendsAsync(long[] accountIds);

    /// <summary>Takes accounts off the close-friends list (idempotent); how many were on it.</summary>
    Task<int> RemoveCloseFriendsAsync(long[] accountIds);

    /// <summary>Whether <paramref name="accountId"/> is on this account's close-friends list (for the audience of its stories).</summary>
    [ReadOnly]
    Task<bool> IsCloseFriendAsync(long accountId);

    /// <summary>This account's live stories, oldest first (held by the grain).</summary>
    [ReadOnly]
    Task<IReadOnlyList<OrleansSocial.Stories.LiveStory>> GetLiveStoriesAsync();

    /// <summary>
    /// This account's live stories <paramref name="viewerId"/> may see, oldest first, for a reader who follows this
    /// account (the tray lists only those): followers and public stories, and close-friends ones when the reader is on the
    /// list; none across a block. One call per account in a tray.
    /// </summary>
    /// <remarks>The account then tells the viewer's tray when these change, unless it is followed by very many trays.</remarks>
    [ReadOnly]
    Task<OrleansSocial.Stories.FollowedStories> GetStoriesForFollowerAsync(long viewerId);

    /// <summary>
    /// This account's highlights, newest first, as <paramref name="viewerId"/> may see them: everyone for a public account,
    /// approved followers for a private one (<see cref="ListHiddenException"/> otherwise), no one across a block
    /// (<see cref="KeyNotFoundException"/>). Close-friends stories in them only for those on the list.
    /// </summary>
    [ReadOnly]
    Task<IReadOnlyList<OrleansSocial.Stories.Highlight>> GetHighlightsAsync(long viewerId);

    /// <summary>
    /// Creates a highlight of this account's stories (live or expired, not deleted; the owner's call).
    /// <see cref="ArgumentException"/> names <c>title</c> or <c>story_ids</c>.
    /// </summary>
    Task<OrleansSocial.Stories.Highlight> CreateHighlightAsync(OrleansSocial.Stories.HighlightChange change);

    /// <summary>
    /// Replaces a highlight's title and stories; stories that leave their last highlight after they expired lose their
    /// media. <see cref="KeyNotFoundException"/> for no such highlight of this account.
    /// </summary>
    Task<OrleansSocial.Stories.Highlight> UpdateHighlightAsync(Guid id, OrleansSocial.Stories.HighlightChange change);

    /// <summary>Deletes a highlight; its expired stories in no other highlight lose their media.</summary>
    Task DeleteHighlightAsync(Guid id);

    /// <summary>A story of this account went live (its grain tells).</summary>
    Task AddLiveStoryAsync(OrleansSocial.Stories.LiveStory story);

    /// <summary>A story of this account ended (expired or deleted); idempotent.</summary>
    Task RemoveLiveStoryAsync(Guid storyId);

    /// <summary>This account's bookmarks, newest first (the posts are read through their grains).</summary>
    [ReadOnly]
    Task<IReadOnlyList<BookmarkRow>> GetBookmarksAsync(PageQuery page);

    /// <summary>
    /// How this account stands toward <paramref name="otherId"/> (follows, blocks, is blocked by, mutes), from memory:
    /// the grain holds its followees, blocks both ways and mutes, loaded once and kept current by relationship changes.
    /// </summary>
    [AlwaysInterleave]
    Task<RelationFacts> GetRelationToAsync(long otherId);

    /// <summary>
    /// A relationship change another account's grain made with this one: <paramref name="relationship"/> is how this
    /// account now stands with it, <paramref name="change"/> what it did to this account's counters, with the version of
    /// that change (facts older than what the grain holds are ignored; a change is counted once).
    /// </summary>
    [AlwaysInterleave]
    Task ApplyRelationshipAsync(Relationship relationship, CountsChange change);

    /// <summary>
    /// Whether <paramref name="senderId"/> may message this account: no block either way, and its <c>dm_policy</c> lets
    /// them (everyone; followers: only approved followers; nobody). <see cref="KeyNotFoundException"/>: no such account.
    /// </summary>
    [AlwaysInterleave]
    Task<bool> AcceptsMessagesFromAsync(long senderId);

    /// <summary>The accounts this account follows (from its relationship summary).</summary>
    [AlwaysInterleave]
    Task<long[]> GetFolloweesAsync();

    /// <summary>The accounts a block stands between this account and, either way (from its relationship summary).</summary>
    [AlwaysInterleave]
    Task<long[]> GetBlockedEitherWayAsync();

    /// <summary>
    /// What reading this account's home timeline needs to know of it, in one call: whom it mutes now (expired mutes left
    /// out), whom a block stands between it and either way, and whom it follows. The same object is returned until one of
    /// them changes.
    /// </summary>
    [AlwaysInterleave]
    Task<ReaderFacts> GetReaderFactsAsync();

    /// <summary>
    /// This account's newest posts and reposts (up to 100), held hot: what a follower's home timeline merges at read time
    /// when the account has too many followers to fan out to.
    /// </summary>
    [AlwaysInterleave]
    Task<IReadOnlyList<OrleansSocial.Timelines.TimelineEntry>> GetRecentEntriesAsync();

    /// <summary>A new post or repost of this account (ignored until the recent entries are loaded).</summary>
    [AlwaysInterleave]
    Task RecordEntryAsync(OrleansSocial.Timelines.TimelineEntry entry);

    /// <summary>A post of this account deleted (<paramref name="key"/> null), or its repost withdrawn.</summary>
    [AlwaysInterleave]
    Task ForgetEntryAsync(Guid postId, long? key);

    /// <summary>Follows a hashtag: its public posts join the home timeline. Idempotent; <see cref="ArgumentException"/> for a bad tag.</summary>
    Task FollowTagAsync(string tag);

    Task UnfollowTagAsync(string tag);

    /// <summary>The hashtags this account follows, newest first (cursor: the follow's row).</summary>
    [ReadOnly]
    Task<IReadOnlyList<FollowedTag>> GetFollowedTagsAsync(PageQuery page);

    /// <summary>This account's conversations, most recently active first (cursor: the activity), with unread counts.</summary>
    [ReadOnly]
    Task<IReadOnlyList<OrleansSocial.Conversations.ConversationSummary>> GetConversationsAsync(PageQuery page);

    /// <summary>Messages this account has not read, across its conversations (its own messages do not count).</summary>
    [ReadOnly]
    Task<long> GetUnreadMessagesAsync();

    /// <summary>What a change another grain made (a post written or deleted) did to this account's counters; counted once.</summary>
    [AlwaysInterleave]
    Task ApplyCountsAsync(CountsChange change);

    /// <summary>
    /// A front end reports how many live connections this account has on it (the absolute number, so a report can be
    /// repeated; an older <see cref="ConnectionReport.Version"/> than one already seen is ignored), and renews its lease:
    /// unless reported again within <see cref="ConnectionReport.Lease"/>, those connections are taken as gone (the front
    /// end died). Online while any front end holds one; going online or offline sends <c>presence</c> to the account's
    /// conversation partners.
    /// </summary>
    Task ReportConnectionsAsync(ConnectionReport report);

    /// <summary>
    /// Whether the account is online and when it was last seen — only for itself and for accounts sharing a
    /// conversation with it and not blocked either way (null for anyone else: presence does not leak).
    /// </summary>
    Task<Presence?> GetPresenceAsync(long viewerId);
}

/// <summary>A front end's count of one account's live connections on it; see <see cref="IUserGrain.ReportConnectionsAsync"/>.</summary>
[GenerateSerializer, Immutable, Alias("social.ConnectionReport")]
public sealed record ConnectionReport([property: Id(0)] string FrontEnd, [property: Id(1)] int Count, [property: Id(2)] long Version, [property: Id(3)] TimeSpan Lease);

/// <summary>An account's presence: online now, or when it was last seen (null: never seen online).</summary>
[GenerateSerializer, Immutable, Alias("social.Presence")]
public sealed record Presence([property: Id(0)] long AccountId, [property: Id(1)] bool Online, [property: Id(2)] DateTimeOffset? LastSeenAt);

/// <summary>A reader's side of a home timeline read (see <see cref="IUserGrain.GetReaderFactsAsync"/>); never changed once made.</summary>
[GenerateSerializer, Immutable, Alias("social.ReaderFacts")]
public sealed record ReaderFacts([property: Id(0)] long[] Muting, [property: Id(1)] long[] BlockedEitherWay, [property: Id(2)] long[] Followees);

/// <summary>How an owner's account deletion runs.</summary>
public sealed class ErasureOptions
{
    /// <summary>How long a deleted account waits (hidden, and restored by signing in) before it is erased. Default 30 days.</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the erasure's reminder fires once due: the cadence at which an interrupted erasure resumes. Default 1 minute.</summary>
    public TimeSpan ResumePeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Items (posts, engaged posts, counterpart accounts) one step of the erasure handles. Default 100.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>The pause between steps (the grain takes other calls meanwhile). Default 20 ms.</summary>
    public TimeSpan StepInterval { get; set; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>Where an account's deletion stands.</summary>
[GenerateSerializer, Immutable, Alias("social.ErasureStatus")]
public sealed record ErasureStatus([property: Id(0)] DateTimeOffset EraseAfter, [property: Id(1)] bool Cancelled, [property: Id(2)] bool Started,
    [property: Id(3)] string Step, [property: Id(4)] bool Finished);

/// <summary>
/// The deletion of one account (keyed by its id): deactivation at once, erasure after the grace period in resumable
/// steps driven by a reminder, or cancellation while the grace period lasts.
/// </summary>
[Alias("social.IAccountErasureGrain")]
public interface IAccountErasureGrain : IGrainWithIntegerKey
{
    /// <summary>Deactivates the account (hidden, sessions revoked) and schedules its erasure; when it will be erased, or null when it is deleted already.</summary>
    Task<DateTimeOffset?> RequestAsync();

    /// <summary>Restores a deactivated account whose erasure has not started; false when there is nothing to cancel.</summary>
    Task<bool> CancelAsync();

    /// <summary>Where the deletion stands; null when none was asked for.</summary>
    Task<ErasureStatus?> GetStatusAsync();
}
