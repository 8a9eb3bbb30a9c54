using System.Text.Json;
using OrleansSocial.Notifications;
using OrleansSocial.Realtime;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;
using OrleansSocial.Grains.Storage;
using OrleansSocial.Timelines;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>
/// An account's hot state. The profile is read from its row when the grain activates, served from memory, and
/// written back with a version check; a conflicting write means another activation or process changed the row, so
/// the grain re-reads it and the caller gets <see cref="InconsistentStateException"/> to retry. The relationship summary
/// (followees, blocks both ways, mutes) is hot too: loaded from the tables, then kept current by the versioned results of
/// every relationship change, whichever of the two accounts' grains made it.
/// </summary>
/// <remarks>
/// The counters (followers, following, posts) live here and in the grain's Orleans state (<c>counters</c>): the rows
/// they count (follows, posts) change without touching the account's row beyond marking its stored figures open, and
/// each change tells this grain what it moved, with its version; the grain adds every change newer than the figures it
/// loaded, once. At activation it takes its stored figures, or counts the rows when the mark says they are behind; when
/// it deactivates after changes it counts the rows under the account's lock, stores those figures and clears the mark
/// (<see cref="UserProfileStore.BeginCloseCountsAsync"/>) — so a change whose news never reached the grain is counted then.
/// At most <see cref="FlushPeriod"/> after a change the grain counts the rows again (under the lock, with the version that
/// count is current to, keeping the changes told since) and writes the row's counter columns, a copy for SQL — at once
/// when the followers count crosses <see cref="TimelineOptions.CelebrityFollowers"/> (home timelines pick the accounts
/// they merge rather than receive by that column) or a follow finds its row already there (a retry, whose first notice
/// may have died with its caller). A notice lost for good is so counted within the flush period of the next change.
/// </remarks>
public sealed partial class UserGrain(
    [PersistentState("counters")] IPersistentState<StoredFigures<AccountCounts>> counters,
    UserProfileStore store, RelationshipStore relationships, Posts.PostStore posts, Timelines.TimelineStore timelines,
    Conversations.ConversationStore conversations, Posts.LocalViews views, TimelineOptions timelineOptions, Stories.StoryStore stories, Stories.HighlightStore highlights,
    OrleansSocial.Stories.StoryOptions storyOptions, TimeProvider time, Analytics.AnalyticsBuffer analytics)
    : Grain, IUserGrain
{
    public static readonly TimeSpan FlushPeriod = TimeSpan.FromSeconds(2);

    private UserProfile? _profile;
    private long _version;
    private AccountCounts _counts = AccountCounts.Zero;
    private long _countsVersion = long.MaxValue; // no change is counted before the figures are loaded
    // The changes counted since the figures were counted from the rows, by version (each is counted once).
    private readonly SortedDictionary<long, CountsChange> _sinceCounted = [];
    private WriteBehind<AccountCounts>? _hot;
    private bool _copyDirty;
    private IGrainTimer? _flushTimer;
    private readonly RelationSummary _relations = new();
    private Task? _relationsLoading;
    private List<TimelineEntry>? _recent;
    private (UserProfile Profile, AccountCounts Counts, Task<PublicAccount?> Task)? _account;
    private static readonly Task<PublicAccount?> NoAccount = Task.FromResult<PublicAccount?>(null);
    private const int RecentEntries = 100;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _hot = new WriteBehind<AccountCounts>(counters, () => Task.FromResult(_counts));
        var stored = _hot.Stored;
        var loaded = await store.LoadAsync(Id, count: stored is null, cancellationToken);
        (_profile, _version) = loaded is { } l ? (l.Profile, l.ProfileVersion) : (null, 0);
        if (loaded is not null)
        {
            _counts = loaded.Counted || stored is null ? loaded.Counts : stored;
            _countsVersion = loaded.CountsVersion;
            if (loaded.Counted)
            {
                _hot.MarkDirty(); // stored (and the mark cleared) when this activation ends, so the next need not count
                _copyDirty = true;
                FlushLater();
            }
        }

        views.Withdraw(Id);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        views.Withdraw(Id);
        TellTrays(); // the next activation does not know them
        if (_hot is { Dirty: true } hot && _profile is not null)
        {
            await using var closing = await store.BeginCloseCountsAsync(Id);
            if (closing is not null)
            {
                _counts = closing.Counted; // what a conflicting write's recount returns: these were counted under the lock
                await closing.CompleteAsync(await hot.WriteAsync(_counts));
            }
        }
        else if (_copyDirty)
        {
            await RecountAsync();
        }
    }

    // At most FlushPeriod after the first change (a one-shot timer armed then) the rows are counted again and the row's copy
    // written: a change whose notice never arrived (its caller died after committing) is counted then.
    private void FlushLater() =>
        _flushTimer ??= this.RegisterGrainTimer(async _ =>
        {
            _flushTimer?.Dispose();
            _flushTimer = null;
            if (_copyDirty)
            {
                await RecountAsync();
            }
        }, new GrainTimerCreationOptions(FlushPeriod, Timeout.InfiniteTimeSpan) { KeepAlive = false });

    // The figures counted from the rows, plus the changes told since that the count did not see (this call interleaves).
    private async Task RecountAsync()
    {
        if (_profile is null)
        {
            return;
        }

        _copyDirty = false;
        if (await store.RecountAsync(Id) is not { } fresh || fresh.Version < _countsVersion)
        {
            return;
        }

        foreach (var seen in _sinceCounted.Keys.TakeWhile(v => v <= fresh.Version).ToArray())
        {
            _sinceCounted.Remove(seen);
        }

        var counts = _sinceCounted.Values.Aggregate(fresh.Counts, (sum, change) => sum.Add(change));
        _countsVersion = fresh.Version;
        if (counts != _counts)
        {
            _counts = counts;
            views.Withdraw(Id);
        }

        if (_sinceCounted.Count > 0)
        {
            _copyDirty = true; // the copy lacks them
            FlushLater();
        }
    }

    public Task<UserProfile?> GetProfileAsync() => Task.FromResult(_profile);

    public async Task<UserProfile> UpdateProfileAsync(ProfileUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var current = _profile ?? throw new KeyNotFoundException($"Account {this.GetPrimaryKeyLong()} does not exist.");
        var errors = ProfileRules.Validate(update);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors.Keys.First());
        }

        var next = ProfileRules.Apply(current, update);
        if (next == current)
        {
            return current;
        }

        if (await store.UpdateAsync(next, _version, CancellationToken.None) is not { } version)
        {
            await LoadAsync(CancellationToken.None);
            throw new InconsistentStateException($"The profile of account {current.Id} was changed elsewhere; it has been re-read, try again.");
        }

        (_profile, _version) = (next, version);
        views.Withdraw(Id);
        await PublishAsync(next);
        return next;
    }

    public async Task<ProfileImageChange> SetProfileImageAsync(string purpose, Guid? mediaId)
    {
        var current = _profile ?? throw new KeyNotFoundException($"Account {this.GetPrimaryKeyLong()} does not exist.");
        if (await store.SetImageAsync(current.Id, purpose, mediaId, _version, CancellationToken.None) is not { } set)
        {
            await LoadAsync(CancellationToken.None);
            throw new InconsistentStateException($"The profile of account {current.Id} was changed elsewhere; it has been re-read, try again.");
        }

        // The new key is read back with the row: the upload's blob key is the store's to name.
        await LoadAsync(CancellationToken.None);
        var next = _profile!;
        views.Withdraw(Id);
        await PublishAsync(next);
        return new ProfileImageChange(next, set.ReleasedToken);
    }

    public async Task<UserProfile?> ReloadAsync()
    {
        var before = _profile;
        await LoadAsync(CancellationToken.None);
        if (_profile is not null && _profile != before)
        {
            views.Withdraw(Id); // the published account was the one before (or is no longer shown: suspended)
            await PublishAsync(_profile);
        }

        return _profile;
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var row = await store.GetAsync(Id, ct);
        (_profile, _version) = row is { } r ? (r.Profile, r.Version) : (null, 0);
        views.Withdraw(Id);
    }

    // Every post view asks for its author's account: answered from memory, without an allocation once the relations
    // are loaded, by one completed task per profile and counts (rebuilt when either changes).
    public Task<PublicAccount?> GetAccountAsync(long viewerId)
    {
        // A suspended or deleted account is no account to anyone: its profile, posts and stories (which ask here) are hidden.
        if (_profile is not { Hidden: false } p)
        {
            return NoAccount;
        }

        if (viewerId != 0 && viewerId != p.Id)
        {
            if (!_relations.IsLoaded)
            {
                return AfterRelationsLoadAsync(() => GetAccountAsync(viewerId));
            }

            if (_relations.Get(viewerId, time.GetUtcNow()).BlockedEitherWay)
            {
                return NoAccount;
            }
        }

        if (_account is not { } account || !ReferenceEquals(account.Profile, p) || !ReferenceEquals(account.Counts, _counts))
        {
            _account = account = (p, _counts, Task.FromResult<PublicAccount?>(new PublicAccount(p.Id, p.Username, p.DisplayName, p.Bio, p.Website,
                p.IsPrivate, p.CreatedAt, _counts.Followers, _counts.Following, _counts.Posts, p.AvatarKey, p.HeaderKey) { Limited = p.Limited }));
        }

        // Published with the block set it is decided by, once that is loaded; withdrawn when either changes.
        if (_relations.IsLoaded && (!views.TryGet(p.Id, out var published) || !ReferenceEquals(published.Account, account.Task.Result)))
        {
            var blocked = _relations.BlockedEitherWay.ToArray();
            Array.Sort(blocked);
            views.Publish(new Posts.LocalAccount(account.Task.Result!, blocked));
        }

        return account.Task;
    }

    public Task<Relationship> FollowAsync(long targetId) => ChangeAsync(relationships.FollowAsync(Id, targetId), timelines: Timeline.MergeIfFollowing);

    public Task<Relationship> UnfollowAsync(long targetId) => ChangeAsync(relationships.UnfollowAsync(Id, targetId), timelines: Timeline.Purge);

    // Blocks and mutes change whose notifications show, on both sides for a block; muted accounts are left out of
    // timelines when they are read, so a mute that ends shows them again.
    public Task<Relationship> BlockAsync(long targetId) => ChangeAsync(relationships.BlockAsync(Id, targetId), refreshInboxes: true, Timeline.PurgeBoth);

    public Task<Relationship> UnblockAsync(long targetId) => ChangeAsync(relationships.UnblockAsync(Id, targetId), refreshInboxes: true);

    public Task<Relationship> MuteAsync(long targetId, TimeSpan? duration) => ChangeAsync(relationships.MuteAsync(Id, targetId, duration), refreshInboxes: true);

    public Task<Relationship> UnmuteAsync(long targetId) => ChangeAsync(relationships.UnmuteAsync(Id, targetId), refreshInboxes: true);

    public Task<Relationship> AuthorizeFollowRequestAsync(long requesterId) =>
        ChangeAsync(relationships.AuthorizeAsync(Id, requesterId), timelines: Timeline.MergeIntoOther);

    public Task<Relationship> RejectFollowRequestAsync(long requesterId) => ChangeAsync(relationships.RejectAsync(Id, requesterId));

    public Task<IReadOnlyList<Relationship>> GetRelationshipsAsync(long[] targetIds) => relationships.GetRelationshipsAsync(Id, targetIds, default);

    public async Task<IReadOnlyList<AccountListItem>> GetFollowersAsync(long viewerId, PageQuery page)
    {
        await EnsureListVisibleAsync(viewerId);
        return await relationships.ListAsync("follows", "followee_id", "follower_id", Id, viewerId, page, default);
    }

    public async Task<IReadOnlyList<AccountListItem>> GetFollowingAsync(long viewerId, PageQuery page)
    {
        await EnsureListVisibleAsync(viewerId);
        return await relationships.ListAsync("follows", "follower_id", "followee_id", Id, viewerId, page, default);
    }

    public Task<IReadOnlyList<AccountListItem>> GetFollowRequestsAsync(PageQuery page) =>
        relationships.ListAsync("follow_requests", "target_id", "requester_id", Id, Id, page, default);

    public Task<IReadOnlyList<AccountListItem>> GetBlocksAsync(PageQuery page) =>
        relationships.ListAsync("blocks", "blocker_id", "blocked_id", Id, Id, page, default);

    public Task<IReadOnlyList<AccountListItem>> GetMutesAsync(PageQuery page) =>
        relationships.ListAsync("mutes", "muter_id", "muted_id", Id, Id, page, default, "(r.expires_at IS NULL OR r.expires_at > @now)");

    public Task<IReadOnlyList<AccountListItem>> GetCloseFriendsAsync(PageQuery page) =>
        relationships.ListAsync("close_friends", "owner_id", "friend_id", Id, Id, page, default);

    public async Task<int> AddCloseFriendsAsync(long[] accountIds)
    {
        var added = await relationships.AddCloseFriendsAsync(Id, [.. accountIds.Distinct()], CloseFriends.Capacity, default);
        _closeFriends?.UnionWith(accountIds);
        TellTrays();
        return added;
    }

    public async Task<int> RemoveCloseFriendsAsync(long[] accountIds)
    {
        var removed = await relationships.RemoveCloseFriendsAsync(Id, [.. accountIds.Distinct()], default);
        _closeFriends?.ExceptWith(accountIds);
        TellTrays();
        return removed;
    }

    public async Task<IReadOnlyList<BookmarkRow>> GetBookmarksAsync(PageQuery page) =>
        (await posts.BookmarksAsync(Id, page)).Select(r => new BookmarkRow(r.Cursor, r.PostId)).ToArray();

    public Task ApplyCountsAsync(CountsChange change) => Apply(change) ? RecountAsync() : Task.CompletedTask;

    public Task<RelationFacts> GetRelationToAsync(long otherId) => RelationToAsync(otherId);

    public async Task<bool> AcceptsMessagesFromAsync(long senderId)
    {
        var p = _profile is { Deactivated: false } live ? live : throw new KeyNotFoundException("No such account.");
        if (senderId == p.Id)
        {
            return true;
        }

        if ((await RelationToAsync(senderId)).BlockedEitherWay)
        {
            return false;
        }

        return p.DmPolicy switch
        {
            DmPolicies.Everyone => true,
            DmPolicies.Followers => (await GrainFactory.Reference<IUserGrain>(senderId).GetRelationToAsync(p.Id)).Following,
            _ => false,
        };
    }

    public async Task<long[]> GetFolloweesAsync()
    {
        await EnsureRelationsAsync();
        return [.. _relations.FolloweeIds];
    }

    // Asked on every message of a conversation (who must not get it): from memory, without allocating when none.
    public Task<long[]> GetBlockedEitherWayAsync() =>
        !_relations.IsLoaded ? AfterRelationsLoadAsync(GetBlockedEitherWayAsync)
        : _relations.BlockedEitherWay is { Length: > 0 } blocked ? Task.FromResult<long[]>([.. blocked]) : NoAccounts;

    private static readonly Task<long[]> NoAccounts = Task.FromResult<long[]>([]);

    // Asked on every home timeline read: answered from memory, the same object until the relationships change (or a mute
    // runs out), so the reader's timeline grain can keep what it built from it.
    public Task<ReaderFacts> GetReaderFactsAsync()
    {
        if (!_relations.IsLoaded)
        {
            return AfterRelationsLoadAsync(GetReaderFactsAsync);
        }

        var now = time.GetUtcNow();
        var (muting, blocked, followees) = (_relations.Muting(now), _relations.BlockedEitherWay, _relations.FolloweeIds);
        if (_readerFacts is not { } held || !ReferenceEquals(held.Muting, muting) || !ReferenceEquals(held.Blocked, blocked)
            || !ReferenceEquals(held.Followees, followees))
        {
            _readerFacts = held = (muting, blocked, followees, Task.FromResult(new ReaderFacts([.. muting], [.. blocked], [.. followees])));
        }

        // Published for the reader's timeline grain when it is in this silo (it then reads them without a call); withdrawn
        // with the account on any relationship change, and running out with the next mute that does.
        if (!views.TryGetReader(Id, now, out var published) || !ReferenceEquals(published, held.Facts.Result))
        {
            views.PublishReader(Id, held.Facts.Result, _relations.MutingValidUntil(now));
        }

        return held.Facts;
    }

    private (long[] Muting, long[] Blocked, long[] Followees, Task<ReaderFacts> Facts)? _readerFacts;

    public async Task<IReadOnlyList<TimelineEntry>> GetRecentEntriesAsync()
    {
        _recent ??= await timelines.AccountEntriesAsync(Id, new PageQuery(RecentEntries), excludeReposts: false);
        return [.. _recent];
    }

    public Task RecordEntryAsync(TimelineEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_recent is { } recent && recent.All(e => e.Key != entry.Key))
        {
            recent.Insert(0, entry);
            recent.Sort((a, b) => b.Key.CompareTo(a.Key));
            if (recent.Count > RecentEntries)
            {
                recent.RemoveRange(RecentEntries, recent.Count - RecentEntries);
            }
        }

        return Task.CompletedTask;
    }

    public Task ForgetEntryAsync(Guid postId, long? key)
    {
        _recent?.RemoveAll(e => e.PostId == postId && (key is null || e.Key == key));
        return Task.CompletedTask;
    }

    public async Task FollowTagAsync(string tag)
    {
        var normal = OrleansSocial.Posts.TagRules.Normalize(tag);
        if (await timelines.FollowTagAsync(Id, normal))
        {
            await GrainFactory.Reference<ITimelineGrain>(Id).MergeTagAsync(normal);
        }
    }

    public Task UnfollowTagAsync(string tag) => timelines.UnfollowTagAsync(Id, OrleansSocial.Posts.TagRules.Normalize(tag));

    public Task<IReadOnlyList<FollowedTag>> GetFollowedTagsAsync(PageQuery page) => timelines.FollowedTagsAsync(Id, page);

    public async Task<IReadOnlyList<OrleansSocial.Conversations.ConversationSummary>> GetConversationsAsync(PageQuery page)
    {
        var rows = await conversations.ListAsync(Id, page);
        var members = rows.SelectMany(r => r.Conversation.Members).Select(m => m.Account).Distinct().ToArray();

        // This account's own entry from here: a call to this grain would wait for the call running it.
        var found = await Task.WhenAll(members.Select(m => m == Id ? GetAccountAsync(0) : GrainFactory.Reference<IUserGrain>(m).GetAccountAsync(0)));
        var accounts = members.Zip(found).ToDictionary(p => p.First, p => p.Second);
        return [.. rows.Select(r => new OrleansSocial.Conversations.ConversationSummary(r.Cursor, r.Conversation.ToView(accounts), r.Last, r.Unread))];
    }

    public Task<long> GetUnreadMessagesAsync() => conversations.UnreadAsync(Id);

    public Task ApplyRelationshipAsync(Relationship relationship, CountsChange change) =>
        ApplyRelationship(relationship, change) ? RecountAsync() : Task.CompletedTask;

    // Whether the rows must be counted again (and the row's copy written) at once.
    private bool ApplyRelationship(Relationship relationship, CountsChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var urgent = Apply(change);
        _relations.Apply(relationship, change.Version);
        _closeFriends = null; // a block takes accounts off the list in the database: read it again at next need
        views.Withdraw(Id); // the block set may have changed
        TellTrays();
        return urgent;
    }

    private async Task<RelationFacts> RelationToAsync(long otherId)
    {
        await EnsureRelationsAsync();
        return _relations.Get(otherId, time.GetUtcNow());
    }

    // For answers given from memory once the relations are loaded: the first asks again after the load.
    private async Task<T> AfterRelationsLoadAsync<T>(Func<Task<T>> answer)
    {
        await EnsureRelationsAsync();
        return await answer();
    }

    private async Task EnsureRelationsAsync()
    {
        if (!_relations.IsLoaded)
        {
            await (_relationsLoading ??= LoadRelationsAsync());
        }
    }

    // Interleaving callers share one load; changes pushed meanwhile are merged by version, so none is lost.
    private async Task LoadRelationsAsync()
    {
        try
        {
            var loaded = await relationships.LoadSummaryAsync(Id, CancellationToken.None);
            _relations.Load(loaded?.Version ?? 0, loaded?.Rows ?? []);
            views.Withdraw(Id);
        }
        finally
        {
            _relationsLoading = null;
        }
    }

    private long Id => this.GetPrimaryKeyLong();

    // A change is counted once, and only if the figures held were counted before it. Returns whether the rows must be
    // counted again at once: the change found its rows already as asked (a retry whose first notice may be lost), or the
    // followers count crossed the celebrity threshold (the row's copy decides who merges rather than receives).
    private bool Apply(CountsChange change)
    {
        if (change.Recount && _profile is not null)
        {
            return true;
        }

        if (change.IsEmpty || change.Version <= _countsVersion || !_sinceCounted.TryAdd(change.Version, change))
        {
            return false;
        }

        var before = _counts;
        _counts = _counts.Add(change);
        views.Withdraw(Id);
        _hot?.MarkDirty();
        _copyDirty = true;
        FlushLater();
        var threshold = timelineOptions.CelebrityFollowers;
        return before.Followers > threshold != _counts.Followers > threshold;
    }


    // The rows and counters change in one transaction; the results are then pushed to the grains holding them hot.
    private enum Timeline
    {
        Unchanged,
        MergeIfFollowing,
        MergeIntoOther,
        Purge,
        PurgeBoth,
    }

    private async Task<Relationship> ChangeAsync(Task<RelationshipChange> change, bool refreshInboxes = false, Timeline timelines = Timeline.Unchanged)
    {
        var result = await change;
        var other = result.Relationship.Id;

        // Follower growth, for insights.
        foreach (var (account, counts) in result.Counts)
        {
            for (var i = 0; i < Math.Abs(counts.Followers); i++)
            {
                analytics.Follower(account, gained: counts.Followers > 0);
            }
        }

        if (ApplyRelationship(result.Relationship, result.Counts[Id]))
        {
            await RecountAsync();
        }

        await GrainFactory.Reference<IUserGrain>(other).ApplyRelationshipAsync(result.Mirror, result.Counts[other]);
        if (result.Notify is { } type)
        {
            await GrainFactory.Reference<INotificationInboxGrain>(other).NotifyAsync(new NotificationRequest(type, Id));
        }

        if (refreshInboxes)
        {
            await GrainFactory.Reference<INotificationInboxGrain>(Id).RefreshAsync();
            await GrainFactory.Reference<INotificationInboxGrain>(other).RefreshAsync();
        }

        switch (timelines)
        {
            case Timeline.MergeIfFollowing when result.Relationship.Following:
                await GrainFactory.Reference<ITimelineGrain>(Id).MergeAccountAsync(other);
                break;
            case Timeline.MergeIntoOther when result.Mirror.Following:
                await GrainFactory.Reference<ITimelineGrain>(other).MergeAccountAsync(Id);
                break;
            case Timeline.Purge when !result.Relationship.Following:
                await GrainFactory.Reference<ITimelineGrain>(Id).PurgeAccountAsync(other);
                break;
            case Timeline.PurgeBoth:
                await GrainFactory.Reference<ITimelineGrain>(Id).PurgeAccountAsync(other);
                await GrainFactory.Reference<ITimelineGrain>(other).PurgeAccountAsync(Id);
                break;
        }

        return result.Relationship;
    }

    private async Task EnsureListVisibleAsync(long viewerId)
    {
        var p = _profile ?? throw new KeyNotFoundException("No such account.");
        if (viewerId == p.Id)
        {
            return;
        }

        var relation = viewerId == 0 ? RelationFacts.None : await RelationToAsync(viewerId);
        if (relation.BlockedEitherWay)
        {
            throw new KeyNotFoundException("No such account.");
        }

        if (p.IsPrivate && (viewerId == 0 || !(await GrainFactory.Reference<IUserGrain>(viewerId).GetRelationToAsync(p.Id)).Following))
        {
            throw new ListHiddenException("This account is private: only its approved followers see whom it follows and who follows it.");
        }
    }

    // At-most-once, like every stream event: a lost event costs a client nothing it cannot re-read from /accounts/me.
    private Task PublishAsync(UserProfile profile)
    {
        TellTrays(); // trays show the account as it was
        return UserEvents.PublishAsync(ServiceProvider, profile.Id, UserEvents.Create(UserEventNames.AccountUpdated, AccountUpdatedEvent.From(profile)));
    }
}

/// <summary>The payload of <c>account_updated</c>: the account as <c>GET /api/v1/accounts/me</c> returns it (ids are strings).</summary>
public sealed record AccountUpdatedEvent(string Id, string Username, string Email, bool EmailVerified, string DisplayName, string Bio, string Website,
    bool IsPrivate, string Role, DateTimeOffset CreatedAt, string DmPolicy)
{
    public static AccountUpdatedEvent From(UserProfile p) => new(p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Username, p.Email,
        p.EmailVerified, p.DisplayName, p.Bio, p.Website, p.IsPrivate, p.Role, p.CreatedAt, p.DmPolicy);
}
