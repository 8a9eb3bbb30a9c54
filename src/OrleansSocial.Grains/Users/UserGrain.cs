using System.Text.Json;
using OrleansSocial.Notifications;
using OrleansSocial.Realtime;
using OrleansSocial.Runtime;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>
/// An account's hot state. The profile is read from its row when the grain activates, served from memory, and
/// written back with a version check; a conflicting write means another activation or process changed the row, so
/// the grain re-reads it and the caller gets <see cref="InconsistentStateException"/> to retry.
/// </summary>
public sealed class UserGrain(UserProfileStore store, RelationshipStore relationships, Posts.PostStore posts) : Grain, IUserGrain
{
    private static readonly JsonSerializerOptions EventJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private UserProfile? _profile;
    private long _version;
    private AccountCounts _counts = new(0, 0, 0, -1);

    public override async Task OnActivateAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken).ConfigureAwait(false);

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

        if (await store.UpdateAsync(next, _version, CancellationToken.None).ConfigureAwait(false) is not { } version)
        {
            await LoadAsync(CancellationToken.None).ConfigureAwait(false);
            throw new InconsistentStateException($"The profile of account {current.Id} was changed elsewhere; it has been re-read, try again.");
        }

        (_profile, _version) = (next, version);
        await PublishAsync(next).ConfigureAwait(false);
        return next;
    }

    public async Task<UserProfile?> ReloadAsync()
    {
        var before = _profile;
        await LoadAsync(CancellationToken.None).ConfigureAwait(false);
        if (_profile is not null && _profile != before)
        {
            await PublishAsync(_profile).ConfigureAwait(false);
        }

        return _profile;
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var row = await store.GetAsync(this.GetPrimaryKeyLong(), ct).ConfigureAwait(false);
        (_profile, _version) = row is { } r ? (r.Profile, r.Version) : (null, 0);
        if (row is { } loaded)
        {
            Apply(loaded.Counts);
        }
    }

    public async Task<PublicAccount?> GetAccountAsync(long viewerId)
    {
        if (_profile is not { } p || (viewerId != 0 && viewerId != p.Id && await relationships.IsBlockedEitherWayAsync(viewerId, p.Id, default).ConfigureAwait(false)))
        {
            return null;
        }

        return new PublicAccount(p.Id, p.Username, p.DisplayName, p.Bio, p.Website, p.IsPrivate, p.CreatedAt, _counts.Followers, _counts.Following, _counts.Posts);
    }

    public Task<Relationship> FollowAsync(long targetId) => ChangeAsync(relationships.FollowAsync(Id, targetId), targetId);

    public Task<Relationship> UnfollowAsync(long targetId) => ChangeAsync(relationships.UnfollowAsync(Id, targetId));

    // Blocks and mutes change whose notifications show, on both sides for a block.
    public Task<Relationship> BlockAsync(long targetId) => ChangeAsync(relationships.BlockAsync(Id, targetId), targetId, refreshInboxes: true);

    public Task<Relationship> UnblockAsync(long targetId) => ChangeAsync(relationships.UnblockAsync(Id, targetId), targetId, refreshInboxes: true);

    public Task<Relationship> MuteAsync(long targetId, TimeSpan? duration) => ChangeAsync(relationships.MuteAsync(Id, targetId, duration), targetId, refreshInboxes: true);

    public Task<Relationship> UnmuteAsync(long targetId) => ChangeAsync(relationships.UnmuteAsync(Id, targetId), targetId, refreshInboxes: true);

    public Task<Relationship> AuthorizeFollowRequestAsync(long requesterId) => ChangeAsync(relationships.AuthorizeAsync(Id, requesterId), requesterId);

    public Task<Relationship> RejectFollowRequestAsync(long requesterId) => ChangeAsync(relationships.RejectAsync(Id, requesterId));

    public Task<IReadOnlyList<Relationship>> GetRelationshipsAsync(long[] targetIds) => relationships.GetRelationshipsAsync(Id, targetIds, default);

    public async Task<IReadOnlyList<AccountListItem>> GetFollowersAsync(long viewerId, PageQuery page)
    {
        await EnsureListVisibleAsync(viewerId).ConfigureAwait(false);
        return await relationships.ListAsync("follows", "followee_id", "follower_id", Id, viewerId, page, default).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AccountListItem>> GetFollowingAsync(long viewerId, PageQuery page)
    {
        await EnsureListVisibleAsync(viewerId).ConfigureAwait(false);
        return await relationships.ListAsync("follows", "follower_id", "followee_id", Id, viewerId, page, default).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<AccountListItem>> GetFollowRequestsAsync(PageQuery page) =>
        relationships.ListAsync("follow_requests", "target_id", "requester_id", Id, Id, page, default);

    public Task<IReadOnlyList<AccountListItem>> GetBlocksAsync(PageQuery page) =>
        relationships.ListAsync("blocks", "blocker_id", "blocked_id", Id, Id, page, default);

    public Task<IReadOnlyList<AccountListItem>> GetMutesAsync(PageQuery page) =>
        relationships.ListAsync("mutes", "muter_id", "muted_id", Id, Id, page, default, "(r.expires_at IS NULL OR r.expires_at > @now)");

    public async Task<IReadOnlyList<BookmarkRow>> GetBookmarksAsync(PageQuery page) =>
        (await posts.BookmarksAsync(Id, page).ConfigureAwait(false)).Select(r => new BookmarkRow(r.Cursor, r.PostId)).ToArray();

    public Task ApplyCountsAsync(AccountCounts counts)
    {
        Apply(counts);
        return Task.CompletedTask;
    }

    private long Id => this.GetPrimaryKeyLong();

    private void Apply(AccountCounts counts)
    {
        if (counts.Version > _counts.Version)
        {
            _counts = counts;
        }
    }

    // The rows and counters change in one transaction; the counters are then pushed to the grains holding them hot.
    private async Task<Relationship> ChangeAsync(Task<RelationshipChange> change, long? other = null, bool refreshInboxes = false)
    {
        var result = await change.ConfigureAwait(false);
        if (result.Notify is { } type && other is { } recipient)
        {
            await GrainFactory.GetGrain<INotificationInboxGrain>(recipient).NotifyAsync(new NotificationRequest(type, Id)).ConfigureAwait(false);
        }

        if (refreshInboxes && other is { } affected)
        {
            await GrainFactory.GetGrain<INotificationInboxGrain>(Id).RefreshAsync().ConfigureAwait(false);
            await GrainFactory.GetGrain<INotificationInboxGrain>(affected).RefreshAsync().ConfigureAwait(false);
        }

        foreach (var (account, counts) in result.Counts)
        {
            if (account == Id)
            {
                Apply(counts);
            }
            else
            {
                await GrainFactory.GetGrain<IUserGrain>(account).ApplyCountsAsync(counts).ConfigureAwait(false);
            }
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

        if (viewerId != 0 && await relationships.IsBlockedEitherWayAsync(viewerId, p.Id, default).ConfigureAwait(false))
        {
            throw new KeyNotFoundException("No such account.");
        }

        if (p.IsPrivate && (viewerId == 0 || !await relationships.IsFollowingAsync(viewerId, p.Id, default).ConfigureAwait(false)))
        {
            throw new ListHiddenException("This account is private: only its approved followers see whom it follows and who follows it.");
        }
    }

    // At-most-once, like every stream event: a lost event costs a client nothing it cannot re-read from /accounts/me.
    private Task PublishAsync(UserProfile profile) =>
        UserEvents.For(ServiceProvider, profile.Id).OnNextAsync(new UserEvent(UserEventNames.AccountUpdated,
            JsonSerializer.SerializeToElement(AccountUpdatedEvent.From(profile), EventJson)));
}

/// <summary>The payload of <c>account_updated</c>: the account as <c>GET /api/v1/accounts/me</c> returns it (ids are strings).</summary>
public sealed record AccountUpdatedEvent(string Id, string Username, string Email, bool EmailVerified, string DisplayName, string Bio, string Website,
    bool IsPrivate, string Role, DateTimeOffset CreatedAt)
{
    public static AccountUpdatedEvent From(UserProfile p) => new(p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Username, p.Email,
        p.EmailVerified, p.DisplayName, p.Bio, p.Website, p.IsPrivate, p.Role, p.CreatedAt);
}
