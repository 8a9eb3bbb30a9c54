using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansSocial.Realtime;
using OrleansSocial.Stories;
using OrleansSocial.Timelines;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Stories;

/// <summary>
/// A story: its row held in memory from activation, shown to a reader when <see cref="StoryAudience.CanView"/> says so
/// (the author's grain answers no account across a block; the reader's grain says whether it follows; the author's
/// whether the reader is a close friend). At creation it registers an Orleans reminder (persisted by the ADO.NET
/// reminder service) due at the story's expiry; the reminder ends it — the row marked ended, the media marked deleted
/// for the media sweep, the author's live list told — and the grain deactivates. The reminder repeats every minute
/// until the ending has been recorded, so a failure or a silo crash on the way delays the end but never loses it.
/// </summary>
public sealed partial class StoryGrain(StoryStore store, Users.RelationshipStore relationships, StoryOptions options, TimelineOptions timelineOptions,
    TimeProvider time, ILogger<StoryGrain> logger)
    : Grain, IStoryGrain, IRemindable
{
    private const string ExpiryReminder = "expire";

    private StoryRecord? _record;

    private Guid Id => this.GetPrimaryKey();

    public override async Task OnActivateAsync(CancellationToken cancellationToken) => _record = await store.LoadAsync(Id);

    public async Task<StoryView> CreateAsync(NewStory story)
    {
        ArgumentNullException.ThrowIfNull(story);
        if (_record is not null)
        {
            throw new InvalidOperationException("This story already exists.");
        }

        var now = time.GetUtcNow();
        var expiresAt = now + options.Lifetime;
        var author = await GrainFactory.GetGrain<IUserGrain>(story.AuthorId).GetAccountAsync(story.AuthorId) ?? throw new KeyNotFoundException("No such account.");
        if (story.Audience == StoryAudience.Public && author.IsPrivate)
        {
            throw new ArgumentException("A private account's stories are for its followers or close friends.", "audience");
        }

        var media = await store.InsertAsync(Id, story, now, expiresAt, options);
        _record = new StoryRecord(Id, story.AuthorId, media, story.Caption, story.LinkUrl, story.Audience, now, expiresAt, null);
        await this.RegisterOrUpdateReminder(ExpiryReminder, expiresAt - now, TimeSpan.FromMinutes(1));
        await GrainFactory.GetGrain<IUserGrain>(story.AuthorId).AddLiveStoryAsync(new LiveStory(Id, now, expiresAt, story.Audience, media, story.Caption, story.LinkUrl));
        // Announced after the answer, on this activation's scheduler: the post does not wait for its audience's streams.
        _ = AnnounceAsync(_record, UserEventNames.StoryPosted);
        return new StoryView(Id, author, media, story.Caption, story.LinkUrl, story.Audience, now, expiresAt);
    }

    public async Task<StoryView?> GetAsync(long viewerId)
    {
        if (_record is not { } story || !story.LiveAt(time.GetUtcNow()) || viewerId == 0)
        {
            return null;
        }

        // Across a block either way the author's grain answers null: the story does not exist for this reader.
        var author = await GrainFactory.GetGrain<IUserGrain>(story.AuthorId).GetAccountAsync(viewerId);
        if (author is null)
        {
            return null;
        }

        var isAuthor = viewerId == story.AuthorId;
        var follows = !isAuthor && story.Audience != StoryAudience.CloseFriends && (story.Audience == StoryAudience.Followers || author.IsPrivate)
            && (await GrainFactory.GetGrain<IUserGrain>(viewerId).GetRelationToAsync(story.AuthorId)).Following;
        var closeFriend = !isAuthor && story.Audience == StoryAudience.CloseFriends
            && await GrainFactory.GetGrain<IUserGrain>(story.AuthorId).IsCloseFriendAsync(viewerId);
        return StoryAudience.CanView(story.Audience, isAuthor, author.IsPrivate, follows, closeFriend)
            ? new StoryView(Id, author, story.Media, story.Caption, story.LinkUrl, story.Audience, story.CreatedAt, story.ExpiresAt, isAuthor ? story.Views : null)
            : null;
    }

    public async Task ViewAsync(long viewerId)
    {
        _ = await GetAsync(viewerId) ?? throw new KeyNotFoundException("No such story.");
        var story = _record!;
        if (viewerId != story.AuthorId && await store.RecordViewAsync(Id, viewerId, time.GetUtcNow()))
        {
            _record = story with { Views = story.Views + 1 };
        }
    }

    public Task<IReadOnlyList<AccountListItem>> GetViewersAsync(long actorId, PageQuery page) =>
        _record is { } story && story.AuthorId == actorId && story.LiveAt(time.GetUtcNow())
            ? relationships.ListAsync("story_views", "story_id", "viewer_id", Id, actorId, page, default)
            : throw new KeyNotFoundException("No such story.");

    public async Task DeleteAsync(long actorId)
    {
        if (_record is not { } story || !story.LiveAt(time.GetUtcNow()) || story.AuthorId != actorId)
        {
            throw new KeyNotFoundException("No such story.");
        }

        await EndAsync(story);
        await AnnounceAsync(story, UserEventNames.StoryDeleted);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ExpiryReminder)
        {
            return;
        }

        if (_record is { EndedAt: null } story)
        {
            if (story.ExpiresAt > time.GetUtcNow())
            {
                return; // a tick before the due time (clock skew between silos): the next one ends it
            }

            await EndAsync(story);
        }
        else
        {
            await StopReminderAsync();
        }
    }

    // The row and media first (the truth), then the author's live list, then the reminder: a crash before the last step
    // leaves the reminder to run this again, and each step is idempotent.
    private async Task EndAsync(StoryRecord story)
    {
        var now = time.GetUtcNow();
        await store.EndAsync(story.Id, now);
        _record = story with { EndedAt = now };
        await GrainFactory.GetGrain<IUserGrain>(story.AuthorId).RemoveLiveStoryAsync(story.Id);
        await StopReminderAsync();
        LogEnded(logger, story.Id, story.ExpiresAt <= now ? "expired" : "deleted");
        DeactivateOnIdle();
    }

    // story_posted / story_deleted to the story's audience (followers, or close friends), a page at a time, up to the
    // number of followers beyond which an account's posts are merged at read rather than pushed: past that, trays are
    // read, not pushed. Never throws (events are at most once; the tray is the truth).
    private async Task AnnounceAsync(StoryRecord story, string name)
    {
        try
        {
            var e = UserEvents.Create(name, new StoryEvent(story.Id.ToString(), story.AuthorId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                story.CreatedAt, story.ExpiresAt));
            var (after, sent) = (0L, 0);
            while (sent < timelineOptions.CelebrityFollowers)
            {
                var page = await store.AudiencePageAsync(story.AuthorId, story.Audience, after, 1000);
                if (page.Length == 0)
                {
                    break;
                }

                await UserEvents.PublishAsync(ServiceProvider, page, e);
                (after, sent) = (page[^1], sent + page.Length);
            }
        }
#pragma warning disable CA1031 // an announcement is best effort: the story stands
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogAnnounceFailed(logger, e, story.Id);
        }
    }

    private async Task StopReminderAsync()
    {
        if (await this.GetReminder(ExpiryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Announcing story {StoryId} failed")]
    private static partial void LogAnnounceFailed(ILogger logger, Exception exception, Guid storyId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Story {StoryId} ended ({How}).")]
    private static partial void LogEnded(ILogger logger, Guid storyId, string how);
}

/// <summary>The payload of <c>story_posted</c> and <c>story_deleted</c>: which story of which account (ids as strings).</summary>
public sealed record StoryEvent(string StoryId, string AccountId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);
