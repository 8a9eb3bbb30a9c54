using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansSocial.Conversations;
using OrleansSocial.Posts;
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
public sealed partial class StoryGrain(
    [PersistentState("figures")] IPersistentState<Storage.StoredFigures<StoryFigures>> figures,
    StoryStore store, StoryViewWriter views, Posts.PostStore posts, StoryOptions options, TimelineOptions timelineOptions,
    ConversationOptions conversationOptions, TimeProvider time, ILogger<StoryGrain> logger)
    : Grain, IStoryGrain, IRemindable
{
    private const string ExpiryReminder = "expire";

    private StoryRecord? _record;
    private IGrainTimer? _viewedTimer;
    private DateTimeOffset _lastViewedEvent;

    private Guid Id => this.GetPrimaryKey();

    // The view count, kept in Orleans grain storage and written when the activation ends (Storage.WriteBehind): stored
    // figures stand unless views were recorded since they were written (the row's views_open mark), then the rows are
    // counted.
    private Storage.WriteBehind<StoryFigures>? _hot;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _hot = new Storage.WriteBehind<StoryFigures>(figures, async () => new StoryFigures(await store.CountViewsAsync(Id)));
        var stored = _hot.Stored;
        _record = await store.LoadAsync(Id, count: stored is null);
        if (_record is { Counted: false } && stored is not null)
        {
            _record = _record with { Views = stored.Views };
        }
        else if (_record is { Counted: true, Views: > 0 })
        {
            _hot.MarkDirty(); // counted afresh: stored when this activation ends, so the next need not count
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_hot is { Dirty: true } hot && _record is { } story)
        {
            var written = await hot.WriteAsync(new StoryFigures(story.Views));
            _record = story with { Views = written.Views };
            await store.CloseViewsAsync(Id);
        }
    }

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
        if (story.Audience == StoryAudience.Public && author.FollowersOnly)
        {
            throw new ArgumentException("A private account's stories are for its followers or close friends.", "audience");
        }

        var tags = PostText.Tags(story.Caption);
        var mentions = await posts.ResolveMentionsAsync(PostText.MentionedUsernames(story.Caption));
        var media = await store.InsertAsync(Id, story, tags, mentions, now, expiresAt, options);
        _record = new StoryRecord(Id, story.AuthorId, media, story.Caption, story.LinkUrl, story.Audience, now, expiresAt, null) { Tags = tags, Mentions = mentions };
        await this.RegisterOrUpdateReminder(ExpiryReminder, expiresAt - now, TimeSpan.FromMinutes(1));
        await GrainFactory.GetGrain<IUserGrain>(story.AuthorId).AddLiveStoryAsync(
            new LiveStory(Id, now, expiresAt, story.Audience, media, story.Caption, story.LinkUrl) { Tags = tags, Mentions = mentions });
        // Announced after the answer, on this activation's scheduler: the post does not wait for its audience's streams.
        _ = AnnounceAsync(_record, UserEventNames.StoryPosted);
        _ = TellMentionedAsync(_record);
        return new StoryView(Id, author, media, story.Caption, story.LinkUrl, story.Audience, now, expiresAt) { Tags = tags, Mentions = mentions };
    }

    // The accounts the caption mentions hear of it as a direct message from the author quoting the story (kind mention):
    // those who may see the story and whose dm_policy (and blocks) let the author message them; nobody else is told.
    // After the answer, best effort, one at a time.
    private async Task TellMentionedAsync(StoryRecord story)
    {
        foreach (var mention in story.Mentions.Where(m => m.Id != story.AuthorId))
        {
            try
            {
                if (await GetAsync(mention.Id) is null)
                {
                    continue;
                }

                var conversation = GrainFactory.GetGrain<IConversationGrain>(ConversationKinds.DirectId(story.AuthorId, mention.Id));
                await conversation.StartDirectAsync(story.AuthorId, mention.Id);
                await conversation.SendAsync(new NewMessage(story.AuthorId, $"story:{story.Id:N}:mention", story.Caption, null)
                {
                    StoryId = story.Id,
                    StoryKind = StoryQuoteKinds.Mention,
                });
            }
#pragma warning disable CA1031 // one mention refused or failed does not stop the others; the story stands
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogMentionNotSent(logger, e, story.Id, mention.Id);
            }
        }
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
        var follows = !isAuthor && story.Audience != StoryAudience.CloseFriends && (story.Audience == StoryAudience.Followers || author.FollowersOnly)
            && (await GrainFactory.GetGrain<IUserGrain>(viewerId).GetRelationToAsync(story.AuthorId)).Following;
        var closeFriend = !isAuthor && story.Audience == StoryAudience.CloseFriends
            && await GrainFactory.GetGrain<IUserGrain>(story.AuthorId).IsCloseFriendAsync(viewerId);
        return StoryAudience.CanView(story.Audience, isAuthor, author.FollowersOnly, follows, closeFriend)
            ? new StoryView(Id, author, story.Media, story.Caption, story.LinkUrl, story.Audience, story.CreatedAt, story.ExpiresAt, isAuthor ? story.Views : null)
            {
                Tags = story.Tags,
                Mentions = story.Mentions,
            }
            : null;
    }

    public async Task ViewAsync(long viewerId)
    {
        _ = await GetAsync(viewerId) ?? throw new KeyNotFoundException("No such story.");
        var story = _record!;
        if (viewerId != story.AuthorId && await views.RecordAsync(Id, viewerId, time.GetUtcNow()))
        {
            Viewed();
            GrainFactory.GetGrain<IStoryTrayGrain>(viewerId).SeenAsync(Id).Ignore();
        }
    }

    public Task<IReadOnlyList<StoryViewer>> GetViewersAsync(long actorId, PageQuery page) =>
        _record is { } story && story.AuthorId == actorId && story.LiveAt(time.GetUtcNow())
            ? store.ViewersAsync(Id, actorId, page)
            : throw new KeyNotFoundException("No such story.");

    public async Task<MessageView> ReplyAsync(long viewerId, string clientId, string text)
    {
        conversationOptions.RequireText(text); // before a conversation is started for it
        var conversation = await ConversationWithAuthorAsync(viewerId);
        return await conversation.SendAsync(new NewMessage(viewerId, clientId, text, null) { StoryId = Id, StoryKind = StoryQuoteKinds.Reply });
    }

    public async Task<MessageView> ReactAsync(long viewerId, string emoji)
    {
        if (!StoryReactions.IsEmoji(emoji))
        {
            throw new ArgumentException("emoji is one emoji.", "emoji");
        }

        // The message first (the author's dm_policy may refuse it), then the reaction on the view. The same emoji again is
        // the same message (its client id), so reacting twice — or a retry after a failure between the two — sends once.
        var conversation = await ConversationWithAuthorAsync(viewerId);
        var message = await conversation.SendAsync(new NewMessage(viewerId, $"story:{Id:N}:{emoji}", emoji, null) { StoryId = Id, StoryKind = StoryQuoteKinds.Reaction });
        if (await store.ReactAsync(Id, viewerId, emoji, time.GetUtcNow()))
        {
            Viewed();
            GrainFactory.GetGrain<IStoryTrayGrain>(viewerId).SeenAsync(Id).Ignore();
        }

        return message;
    }

    // The direct conversation of a viewer who may see the story and its author, started if need be: the author's
    // dm_policy and blocks either way decide (ActionRefusedException), as for any direct message.
    private async Task<IConversationGrain> ConversationWithAuthorAsync(long viewerId)
    {
        _ = await GetAsync(viewerId) ?? throw new KeyNotFoundException("No such story.");
        var author = _record!.AuthorId;
        if (viewerId == author)
        {
            throw new ActionRefusedException("You cannot reply to your own story.");
        }

        var conversation = GrainFactory.GetGrain<IConversationGrain>(ConversationKinds.DirectId(viewerId, author));
        await conversation.StartDirectAsync(viewerId, author);
        return conversation;
    }

    // A new viewer: counted, and the author told — at most once per ViewedEventInterval, the views in between in the next.
    private void Viewed()
    {
        _record = _record! with { Views = _record.Views + 1 };
        _hot!.MarkDirty();
        if (_viewedTimer is not null)
        {
            return; // an event is due already: it will carry this view
        }

        var wait = _lastViewedEvent + options.ViewedEventInterval - time.GetUtcNow();
        _viewedTimer = this.RegisterGrainTimer(AnnounceViewsAsync, new GrainTimerCreationOptions(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    private async Task AnnounceViewsAsync(CancellationToken cancellationToken)
    {
        _viewedTimer?.Dispose();
        _viewedTimer = null;
        _lastViewedEvent = time.GetUtcNow();
        if (_record is not { } story)
        {
            return;
        }

        try
        {
            var e = UserEvents.Create(UserEventNames.StoryViewed, new StoryViewedEvent(story.Id.ToString(), story.Views));
            await UserEvents.PublishAsync(ServiceProvider, [story.AuthorId], e);
        }
#pragma warning disable CA1031 // best effort: the viewer list is the truth
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogAnnounceFailed(logger, e, story.Id);
        }
    }

    public async Task DeleteAsync(long actorId)
    {
        if (_record?.AuthorId != actorId || !await EndEarlyAsync(keepMedia: false))
        {
            throw new KeyNotFoundException("No such story.");
        }
    }

    public Task<bool> RemoveAsync() => EndEarlyAsync(keepMedia: true);

    // Its author's deletion, or a moderator's removal (its media kept for appeal and audit): ended at once, and its
    // audience told.
    private async Task<bool> EndEarlyAsync(bool keepMedia)
    {
        if (_record is not { } story || !story.LiveAt(time.GetUtcNow()))
        {
            return false;
        }

        await EndAsync(story, deleted: true, keepMedia);
        await AnnounceAsync(story, UserEventNames.StoryDeleted);
        return true;
    }

    public async Task<bool> RestoreAsync()
    {
        var now = time.GetUtcNow();
        if (_record is not { EndedAt: not null } story || story.ExpiresAt <= now || !await store.RestoreAsync(Id, now))
        {
            return false;
        }

        _record = story with { EndedAt = null };
        await this.RegisterOrUpdateReminder(ExpiryReminder, story.ExpiresAt - now, TimeSpan.FromMinutes(1));
        await GrainFactory.GetGrain<IUserGrain>(story.AuthorId).AddLiveStoryAsync(
            new LiveStory(Id, story.CreatedAt, story.ExpiresAt, story.Audience, story.Media, story.Caption, story.LinkUrl) { Tags = story.Tags, Mentions = story.Mentions });
        _ = AnnounceAsync(_record, UserEventNames.StoryPosted);
        return true;
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

            await EndAsync(story, deleted: false, keepMedia: false);
        }
        else
        {
            await StopReminderAsync();
        }
    }

    // The row and media first (the truth), then the author's live list, then the reminder: a crash before the last step
    // leaves the reminder to run this again, and each step is idempotent.
    private async Task EndAsync(StoryRecord story, bool deleted, bool keepMedia)
    {
        var now = time.GetUtcNow();
        await store.EndAsync(story.Id, story.AuthorId, now, deleted, keepMedia);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Story {StoryId}: the mentioned account {AccountId} was not told")]
    private static partial void LogMentionNotSent(ILogger logger, Exception exception, Guid storyId, long accountId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Announcing story {StoryId} failed")]
    private static partial void LogAnnounceFailed(ILogger logger, Exception exception, Guid storyId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Story {StoryId} ended ({How}).")]
    private static partial void LogEnded(ILogger logger, Guid storyId, string how);
}

/// <summary>The payload of <c>story_posted</c> and <c>story_deleted</c>: which story of which account (ids as strings).</summary>
public sealed record StoryEvent(string StoryId, string AccountId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>The payload of <c>story_viewed</c> (to the author): how many have viewed the story now.</summary>
public sealed record StoryViewedEvent(string StoryId, long ViewsCount);
