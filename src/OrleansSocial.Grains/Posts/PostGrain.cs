using OrleansSocial.Grains.Storage;
using OrleansSocial.Grains.Users;
using OrleansSocial.Notifications;
using OrleansSocial.Posts;
using Orleans;
using Orleans.Runtime;
using OrleansSocial.Timelines;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Posts;

/// <summary>
/// A post and its counters, hot. Likes, reposts, bookmarks and comments are rows written at once (the truth), in a
/// transaction that marks the post's stored figures open (<c>posts.counts_open</c>); the counters are kept here and in the grain's Orleans
/// state (<c>counters</c>, <see cref="WriteBehind{T}"/>), written when the grain deactivates — then the mark is cleared —
/// and read back at activation, unless the mark says an activation died before writing them: then the rows are counted.
/// The posts row's counter columns are a copy written at most <see cref="FlushPeriod"/> after a change, for SQL that
/// ranks by them (trending). Who liked, reposted and bookmarked it is held too (up to
/// <see cref="PostOptions.ReactionsHeldInMemory"/> each), and whether a viewer may see it is decided from the author's
/// and viewer's grains: a read of a hot post runs no query.
/// </summary>
public sealed class PostGrain(
    [PersistentState("counters")] IPersistentState<StoredFigures<PostCounts>> counters,
    PostStore store, ReactionWriter reactions, CommentStore comments, RelationshipStore relationships, PostOptions options,
    Timelines.TimelineFanout fanout, LocalViews views, TimeProvider time, Moderation.KeywordFilters keywordFilters)
    : Grain, IPostGrain
{
    public static readonly TimeSpan FlushPeriod = TimeSpan.FromSeconds(2);

    private PostRecord? _record;
    private PostCounts _countsHeld = new(0, 0, 0, 0);

    // What readers see changes with these two (and with who reacted, which changes the counters too): the view this
    // silo's readers may take without a call (LocalViews) is withdrawn in the same turn.
    private PostRecord? Record
    {
        get => _record;
        set
        {
            _record = value;
            views.Withdraw(Id);
        }
    }

    private PostCounts Counts
    {
        get => _countsHeld;
        set
        {
            _countsHeld = value;
            views.Withdraw(Id);
        }
    }

    private WriteBehind<PostCounts>? _hot;
    private bool _countsDirty; // the posts row's counter columns
    private bool _trendsDirty;
    private Engagement _likes = Engagement.Empty();
    private Engagement _reposts = Engagement.Empty();
    private Engagement _bookmarks = Engagement.Empty();

    private Guid Id => this.GetPrimaryKey();

    // Every view asks the author's grain: one reference per post (a post's author never changes).
    private IUserGrain? _author;

    private IUserGrain Author(PostRecord post) => _author ??= GrainFactory.Reference<IUserGrain>(post.AuthorId);

    private static readonly Task<PostView?> NoView = Task.FromResult<PostView?>(null);

    // The view most readers get (none of their flags set), with the post record it shows. It is kept, and handed out as
    // the same completed task, while the author's snapshot (by value), the record, the counters and the quoted view stay
    // the same: a hot post read by many timelines allocates nothing per read, and what the API renders from it can be
    // cached by reference.
    private Task<PostView?>? _plain;
    private PostRecord? _plainOf;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _hot = new WriteBehind<PostCounts>(counters, async () => await store.CountAsync(Id) ?? Counts);
        var stored = _hot.Stored;
        if (await store.LoadAsync(Id, options.ReactionsHeldInMemory, count: stored is null) is { } loaded)
        {
            // Stored figures are trusted unless reactions or comments changed since they were written (the rows were
            // counted then).
            var trusted = loaded.CountsOpen ? null : stored;
            Counts = trusted ?? loaded.Counts;
            (Record, _countsDirty) = (loaded.Post, loaded.Stale || (trusted is not null && loaded.Counts != Counts));
            (_likes, _reposts, _bookmarks) = (loaded.Likes, loaded.Reposts, loaded.Bookmarks);

            // Counted afresh: stored (and the mark cleared) when this activation ends, so the next need not count.
            if (trusted is null && (loaded.CountsOpen || Counts.Likes + Counts.Reposts + Counts.Bookmarks + Counts.Comments > 0))
            {
                _hot.MarkDirty();
            }
        }

        if (_countsDirty)
        {
            FlushLater();
        }
    }

    // Dirty figures go out at most FlushPeriod after the first change, by a one-shot timer armed then: a post nobody
    // engages with has no timer (a periodic one on each of 10,000 idle posts cost 5,000 empty grain turns a second).
    private IGrainTimer? _flushTimer;

    private void FlushLater() =>
        _flushTimer ??= this.RegisterGrainTimer(async _ =>
        {
            _flushTimer?.Dispose();
            _flushTimer = null;
            await FlushAsync(closing: false);
        }, new GrainTimerCreationOptions(FlushPeriod, Timeout.InfiniteTimeSpan) { KeepAlive = false });

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        views.Withdraw(Id);
        return FlushAsync(closing: true);
    }

    public async Task<Guid> CreateAsync(NewPost post)
    {
        ArgumentNullException.ThrowIfNull(post);
        if (Record is not null)
        {
            return Record.Id;
        }

        if (PostText.Problem(post.Text, options.MaxLength, hasMedia: post.MediaIds is { Count: > 0 }) is { } problem)
        {
            throw new ArgumentException(problem, "text");
        }

        if (!PostVisibility.IsValid(post.Visibility))
        {
            throw new ArgumentException("visibility is public, followers or private.", "visibility");
        }

        if (post.QuoteOf is { } quoted && await GrainFactory.Reference<IPostGrain>(quoted).GetUnembeddedAsync(post.AuthorId) is null)
        {
            throw new ArgumentException("The quoted post does not exist or you cannot see it.", "quote_id");
        }

        var text = post.Text.Trim();
        var tags = PostText.Tags(text);
        var mentions = await store.ResolveMentionsAsync(PostText.MentionedUsernames(text));
        var now = time.GetUtcNow();
        var started = time.GetTimestamp();
        var heldBy = await keywordFilters.MatchAsync(text);
        var (id, counts, seq, media) = await store.InsertAsync(Id, post with { Text = text }, tags, mentions, now, options.MaxAttachments, heldBy);
        if (id != Id)
        {
            DeactivateOnIdle(); // a retried create: the first post is the answer and this id stays unused
            return id;
        }

        // Held by a keyword filter: private (its author's) until a moderator approves it.
        Record = new PostRecord(Id, post.AuthorId, text, heldBy is null ? post.Visibility : PostVisibility.Private, post.QuoteOf, now, null, false, tags, mentions, seq, media)
        {
            HeldVisibility = heldBy is null ? null : post.Visibility,
        };
        await GrainFactory.Reference<IUserGrain>(post.AuthorId).ApplyCountsAsync(counts!);
        await FanOutAsync(Timelines.FanoutKind.Add, new TimelineEntry(seq, Id, post.AuthorId, null), started);
        await AnnounceAsync(Record);
        return Id;
    }

    public async Task<bool> ReleaseAsync()
    {
        if (Record is not { Deleted: false, HeldVisibility: not null } post || await store.ReleaseAsync(Id) is not { } visibility)
        {
            return false;
        }

        Record = post with { Visibility = visibility, HeldVisibility = null };
        _trendsDirty = true;
        FlushLater();
        await FanOutAsync(Timelines.FanoutKind.Add, new TimelineEntry(post.Seq, Id, post.AuthorId, null));
        await AnnounceAsync(Record);
        return true;
    }

    // A post now shown: the accounts it mentions and the author it quotes hear of it (each only if they may see it).
    private async Task AnnounceAsync(PostRecord post)
    {
        var mentions = post.Mentions;

        // Mentioned accounts hear of it only if they may see the post (the inbox drops it if they block the author).
        foreach (var mention in mentions)
        {
            if (await ViewAsync(mention.Id, embedQuote: false) is not null)
            {
                await NotifyAsync(mention.Id, NotificationTypes.Mention, post.AuthorId);
            }
        }

        // The quoted author hears of the quote only if they may see the quoting post.
        if (post.QuoteOf is { } quotedId && await GrainFactory.Reference<IPostGrain>(quotedId).GetUnembeddedAsync(post.AuthorId) is { } q
            && await ViewAsync(q.Author.Id, embedQuote: false) is not null)
        {
            await NotifyAsync(q.Author.Id, NotificationTypes.Quote, post.AuthorId, quotedId);
        }
    }

    public Task<PostView?> GetAsync(long viewerId) => AsTask(ViewAsync(viewerId, embedQuote: true));

    public Task<PostView?> GetUnembeddedAsync(long viewerId) => AsTask(ViewAsync(viewerId, embedQuote: false));

    private Task<PostView?> AsTask(ValueTask<PostView?> view) =>
        !view.IsCompletedSuccessfully ? view.AsTask()
        : view.Result is not { } shown ? NoView
        : _plain is { } plain && ReferenceEquals(plain.Result, shown) ? plain
        : Task.FromResult<PostView?>(shown);

    public async Task<PostView> EditAsync(long editorId, PostChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var post = await AuthorOnlyAsync(editorId);
        var hasMedia = (change.MediaIds ?? [.. post.Media.Select(m => m.Id)]).Count > 0;
        if (PostText.Problem(change.Text, options.MaxLength, hasMedia) is { } problem)
        {
            throw new ArgumentException(problem, "text");
        }

        var trimmed = change.Text.Trim();
        var tags = PostText.Tags(trimmed);
        var mentions = await store.ResolveMentionsAsync(PostText.MentionedUsernames(trimmed));
        var now = time.GetUtcNow();
        var media = await store.EditAsync(post, trimmed, tags, mentions, change.MediaIds, change.Descriptions, now, options.MaxAttachments);
        Record = post with { Text = trimmed, EditedAt = now, Tags = tags, Mentions = mentions, Media = media };
        await FanOutAsync(Timelines.FanoutKind.Edit, new TimelineEntry(post.Seq, Id, post.AuthorId, null));
        return await RequireViewAsync(editorId);
    }

    public async Task DeleteAsync(long editorId) => await EndAsync(await AuthorOnlyAsync(editorId), keepMedia: false);

    public async Task<bool> RemoveAsync()
    {
        if (Record is not { Deleted: false } post)
        {
            return false;
        }

        await EndAsync(post, keepMedia: true);
        return true;
    }

    public async Task<bool> RemoveCommentAsync(long commentId)
    {
        if (await comments.GetAsync(Id, commentId) is not { Deleted: false } comment || !await comments.DeleteAsync(comment, time.GetUtcNow()))
        {
            return false;
        }

        CommentGone();
        return true;
    }

    // A comment of this post was deleted: one fewer, written behind.
    private void CommentGone()
    {
        Counts = Counts with { Comments = Counts.Comments - 1 };
        (_countsDirty, _trendsDirty) = (true, true);
        _hot!.MarkDirty();
        FlushLater();
    }

    public async Task<bool> SetSensitiveAsync(bool sensitive)
    {
        if (Record is not { Deleted: false } post || !await store.SetSensitiveAsync(Id, sensitive))
        {
            return false;
        }

        Record = post with { Sensitive = sensitive }; // a new record: the views handed out and published are made anew
        return true;
    }

    public async Task<bool> RestoreAsync()
    {
        if (Record is not { Deleted: true } post || await store.RestoreAsync(Id, post.AuthorId) is not { } counts)
        {
            return false;
        }

        Record = post with { Deleted = false };
        _trendsDirty = true;
        FlushLater();
        await Author(post).ApplyCountsAsync(counts);
        await FanOutAsync(Timelines.FanoutKind.Add, new TimelineEntry(post.Seq, Id, post.AuthorId, null));
        return true;
    }

    public async Task<bool> RestoreCommentAsync(long commentId)
    {
        if (await comments.GetAsync(Id, commentId) is not { Deleted: true } comment || !await comments.RestoreAsync(comment))
        {
            return false;
        }

        Counts = Counts with { Comments = Counts.Comments + 1 };
        (_countsDirty, _trendsDirty) = (true, true);
        _hot!.MarkDirty();
        FlushLater();
        return true;
    }

    // Deleted by its author, or removed by a moderator (its media kept for appeal): gone from every read, and a removal
    // fanned out to the timelines holding it.
    private async Task EndAsync(PostRecord post, bool keepMedia)
    {
        var counts = await store.DeleteAsync(Id, post.AuthorId, time.GetUtcNow(), keepMedia);
        Record = post with { Deleted = true };
        _trendsDirty = true;
        FlushLater();
        if (counts is not null)
        {
            await Author(post).ApplyCountsAsync(counts);
        }

        await FanOutAsync(Timelines.FanoutKind.Remove, new TimelineEntry(post.Seq, Id, post.AuthorId, null));
    }

    public async Task<PostView?> GetPublishedAsync() =>
        Record is { Deleted: false } post && await Author(post).GetAccountAsync(0) is { } author
            ? Plain(post, author, post.QuoteOf is { } q ? await GrainFactory.Reference<IPostGrain>(q).GetPublishedAsync() : null)
            : null;

    public async Task<long[]> AudienceAmongAsync(long[] accounts, bool leaveOutMuting)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        if (Record is not { Deleted: false } post || accounts.Length == 0 || await Author(post).GetAccountAsync(0) is not { } author)
        {
            return [];
        }

        var facts = await relationships.ViewerFactsAsync(post.AuthorId, accounts);
        return [.. accounts.Where(a => facts.TryGetValue(a, out var f)
            && VisibilityPolicy.CanView(post.Visibility, post.Deleted, new ViewerFacts(a == post.AuthorId, author.FollowersOnly, f.Follows, f.BlockedEitherWay))
            && !(leaveOutMuting && f.Muting))];
    }

    public async Task<bool?> ResumeFanoutAsync(long? repostedBy, long key, DateTimeOffset acceptedAt)
    {
        if (Record is not { Deleted: false } post)
        {
            return null;
        }

        // Its lag counts from when it was accepted, not from now.
        var started = time.GetTimestamp() - (long)((time.GetUtcNow() - acceptedAt).TotalSeconds * time.TimestampFrequency);
        return await FanOutAsync(Timelines.FanoutKind.Add, new TimelineEntry(key, Id, post.AuthorId, repostedBy), started) == Timelines.FanoutQueued.Queued;
    }

    public Task<Guid?> GetQuotedIdAsync() => Task.FromResult(Record is { Deleted: false } p ? p.QuoteOf : null);

    // Timelines change off this grain's turn: the job is queued (or, the queue being full, left to the sweeper) and the call returns.
    private async Task<Timelines.FanoutQueued> FanOutAsync(Timelines.FanoutKind kind, TimelineEntry entry, long? started = null)
    {
        var post = Record!;
        var actor = entry.RepostedBy ?? post.AuthorId;
        var author = await Author(post).GetAccountAsync(0);
        var actorAccount = actor == post.AuthorId ? author : await GrainFactory.Reference<IUserGrain>(actor).GetAccountAsync(0);
        switch (kind)
        {
            case Timelines.FanoutKind.Add:
                await GrainFactory.Reference<IUserGrain>(actor).RecordEntryAsync(entry);
                break;
            case Timelines.FanoutKind.Remove:
                await GrainFactory.Reference<IUserGrain>(actor).ForgetEntryAsync(post.Id, entry.RepostedBy is null ? null : entry.Key);
                break;
        }

        return fanout.TryEnqueue(new Timelines.FanoutJob(kind, entry, actor, post.Visibility, author?.FollowersOnly ?? true, actorAccount?.FollowersCount ?? 0,
            post.Tags, started ?? time.GetTimestamp()));
    }

    public async Task<IReadOnlyList<PostEdit>> GetHistoryAsync(long viewerId)
    {
        await RequireViewAsync(viewerId);
        return await store.HistoryAsync(Id);
    }

    public Task<PostView> LikeAsync(long viewerId) => SetAsync(viewerId, "likes", true);

    public Task<PostView> UnlikeAsync(long viewerId) => SetAsync(viewerId, "likes", false);

    public Task<PostView> BookmarkAsync(long viewerId) => SetAsync(viewerId, "bookmarks", true);

    public Task<PostView> UnbookmarkAsync(long viewerId) => SetAsync(viewerId, "bookmarks", false);

    public async Task<PostView> RepostAsync(long viewerId)
    {
        var view = await RequireViewAsync(viewerId);
        return view.Visibility != PostVisibility.Public
            ? throw new ActionRefusedException("Only public posts can be reposted.")
            : await SetAsync(viewerId, "reposts", true);
    }

    public Task<PostView> UnrepostAsync(long viewerId) => SetAsync(viewerId, "reposts", false);

    public async Task<IReadOnlyList<AccountListItem>> GetLikedByAsync(long viewerId, PageQuery page)
    {
        await RequireViewAsync(viewerId);
        return await relationships.ListAsync("likes", "post_id", "account_id", Id, viewerId, page, default);
    }

    public async Task<IReadOnlyList<AccountListItem>> GetRepostedByAsync(long viewerId, PageQuery page)
    {
        await RequireViewAsync(viewerId);
        return await relationships.ListAsync("reposts", "post_id", "account_id", Id, viewerId, page, default);
    }

    public async Task<CommentView> AddCommentAsync(long viewerId, string text, long? parentId)
    {
        await RequireViewAsync(viewerId);
        if (PostText.Problem(text, options.MaxLength) is { } problem)
        {
            throw new ArgumentException(problem, "text");
        }

        CommentRecord? replyTo = null;
        if (parentId is { } parent)
        {
            replyTo = await comments.GetAsync(Id, parent);
            if (replyTo is not { Deleted: false })
            {
                throw new ArgumentException("No such comment on this post.", "parent_comment_id");
            }

            if ((await RelationAsync(viewerId, replyTo.AuthorId)).BlockedEitherWay)
            {
                throw new ActionRefusedException("You cannot reply to this comment.");
            }
        }

        var id = await comments.InsertAsync(Id, viewerId, parentId, text.Trim(), time.GetUtcNow());
        Counts = Counts with { Comments = Counts.Comments + 1 };
        (_countsDirty, _trendsDirty) = (true, true);
        _hot!.MarkDirty();
        FlushLater();
        if (replyTo is not null)
        {
            await NotifyAsync(replyTo.AuthorId, NotificationTypes.Reply, viewerId, Id, id);
        }

        // The post's author hears of every comment, once: as a reply when it answers them.
        if (replyTo?.AuthorId != Record!.AuthorId)
        {
            await NotifyAsync(Record.AuthorId, NotificationTypes.Comment, viewerId, Id, id);
        }

        return await CommentAsync(viewerId, id);
    }

    public async Task<IReadOnlyList<CommentView>> GetCommentsAsync(long viewerId, long? parentId, PageQuery page)
    {
        await RequireViewAsync(viewerId);
        if (parentId is { } parent && await comments.GetAsync(Id, parent) is not { Deleted: false })
        {
            throw new KeyNotFoundException("No such comment.");
        }

        return await comments.ListAsync(Id, parentId, viewerId, page);
    }

    public async Task<CommentView> EditCommentAsync(long viewerId, long commentId, string text)
    {
        var comment = await VisibleCommentAsync(viewerId, commentId);
        if (comment.AuthorId != viewerId)
        {
            throw new ActionRefusedException("Only its author can edit a comment.");
        }

        if (PostText.Problem(text, options.MaxLength) is { } problem)
        {
            throw new ArgumentException(problem, "text");
        }

        await comments.EditAsync(commentId, text.Trim(), time.GetUtcNow());
        return await CommentAsync(viewerId, commentId);
    }

    public async Task DeleteCommentAsync(long viewerId, long commentId)
    {
        var comment = await VisibleCommentAsync(viewerId, commentId);
        if (comment.AuthorId != viewerId && Record!.AuthorId != viewerId)
        {
            throw new ActionRefusedException("Only the comment's author or the post's author can delete it.");
        }

        if (await comments.DeleteAsync(comment, time.GetUtcNow()))
        {
            CommentGone();
        }
    }

    public Task<CommentView> LikeCommentAsync(long viewerId, long commentId) => SetCommentLikeAsync(viewerId, commentId, true);

    public Task<CommentView> UnlikeCommentAsync(long viewerId, long commentId) => SetCommentLikeAsync(viewerId, commentId, false);

    private async Task<CommentView> SetCommentLikeAsync(long viewerId, long commentId, bool on)
    {
        await VisibleCommentAsync(viewerId, commentId);
        await comments.SetLikeAsync(commentId, viewerId, on);
        return await CommentAsync(viewerId, commentId);
    }

    // A comment the viewer cannot see (post hidden, comment deleted, a block with its author) is a missing one.
    private async Task<CommentRecord> VisibleCommentAsync(long viewerId, long commentId)
    {
        await RequireViewAsync(viewerId);
        var comment = await comments.GetAsync(Id, commentId);
        if (comment is not { Deleted: false } || (await RelationAsync(viewerId, comment.AuthorId)).BlockedEitherWay)
        {
            throw new KeyNotFoundException("No such comment.");
        }

        return comment;
    }

    private async Task<CommentView> CommentAsync(long viewerId, long commentId) =>
        (await comments.ListAsync(Id, null, viewerId, new PageQuery(1), only: commentId)).FirstOrDefault()
        ?? throw new KeyNotFoundException("No such comment.");

    private async Task<PostView> SetAsync(long viewerId, string table, bool on)
    {
        var view = await RequireViewAsync(viewerId);
        await ChangeReactionAsync(viewerId, table, on);

        // The row now says "on" (or "off") whether or not this call changed it: no need to ask the database again.
        return table switch
        {
            "likes" => view with { Counts = Counts, Liked = on },
            "reposts" => view with { Counts = Counts, Reposted = on },
            _ => view with { Counts = Counts, Bookmarked = on },
        };
    }

    public async Task ForgetAccountAsync(long accountId)
    {
        if (Record is null)
        {
            return;
        }

        // Its like, repost (out of timelines too) and bookmark; its comments (counted down); its likes of comments here.
        foreach (var table in new[] { "likes", "reposts", "bookmarks" })
        {
            await ChangeReactionAsync(accountId, table, on: false);
        }

        foreach (var comment in await comments.ByAuthorAsync(Id, accountId))
        {
            if (await comments.DeleteAsync(comment, time.GetUtcNow()))
            {
                CommentGone();
            }
        }

        await comments.ForgetLikesAsync(Id, accountId);
        views.Withdraw(Id);
    }

    public async Task EraseAsync()
    {
        if (Record is { Deleted: false } post)
        {
            await EndAsync(post, keepMedia: false);
        }
    }

    // Adds or removes the account's like (repost, bookmark): the row, the held set and counters, timelines for a repost,
    // and the author's notification for a new one.
    // Who reacted, as held here, after a row of the table was added or removed.
    private void Hold(string table, long viewerId, bool on)
    {
        var limit = options.ReactionsHeldInMemory;
        switch (table)
        {
            case "likes":
                _likes = _likes.With(viewerId, on, limit);
                break;
            case "reposts":
                _reposts = _reposts.With(viewerId, on, limit);
                break;
            default:
                _bookmarks = _bookmarks.With(viewerId, on, limit);
                break;
        }
    }

    private async Task RecountAsync(string table, long viewerId, bool on)
    {
        views.Withdraw(Id);
        Hold(table, viewerId, on);
        if (await store.CountAsync(Id) is { } counted && counted != Counts)
        {
            Counts = counted;
            CountsChanged(table);
        }
    }

    // The counters moved: stored (grain state and the posts row) and reported to trends within FlushPeriod.
    private void CountsChanged(string table)
    {
        _countsDirty = true;
        _hot!.MarkDirty();
        _trendsDirty |= table != "bookmarks";
        FlushLater();
    }

    private async Task ChangeReactionAsync(long viewerId, string table, bool on)
    {
        var held = table switch { "likes" => _likes, "reposts" => _reposts, _ => _bookmarks };
        if (held.Has(viewerId) != on) // known to be so already: nothing to write
        {
            string? notify = !on ? null : table switch { "likes" => NotificationTypes.Like, "reposts" => NotificationTypes.Repost, _ => null };
            var started = time.GetTimestamp();
            var (changed, notification, seq) = await reactions.WriteAsync(
                new ReactionChange(table, Id, viewerId, on, notify is null ? null : Record!.AuthorId, notify, time.GetUtcNow()));
            if (changed && seq is { } repostKey)
            {
                await FanOutAsync(on ? Timelines.FanoutKind.Add : Timelines.FanoutKind.Remove, new TimelineEntry(repostKey, Id, Record!.AuthorId, viewerId), started);
            }

            if (changed)
            {
                views.Withdraw(Id); // before the reaction sets change: a reader here never pairs new flags with old counts
                var delta = on ? 1 : -1;
                Hold(table, viewerId, on);
                Counts = table switch
                {
                    "likes" => Counts with { Likes = Counts.Likes + delta },
                    "reposts" => Counts with { Reposts = Counts.Reposts + delta },
                    _ => Counts with { Bookmarks = Counts.Bookmarks + delta },
                };
                CountsChanged(table);
            }
            else if (held.Has(viewerId) is not null)
            {
                // The row was already as asked, though this activation held who reacted and believed otherwise: another
                // activation of this post changed it after this one loaded (one on a silo that died with its write in
                // flight, whose caller retried here). The counters are behind the rows too: they are counted again.
                await RecountAsync(table, viewerId, on);
            }

            if (notification is not null)
            {
                await GrainFactory.Reference<INotificationInboxGrain>(Record!.AuthorId)
                    .DeliverAsync(notification.Id, new NotificationRequest(notify!, viewerId, Id), notification.CreatedAt);
            }
        }
    }

    private Task NotifyAsync(long recipient, string type, long actor, Guid? post = null, long? comment = null) =>
        GrainFactory.Reference<INotificationInboxGrain>(recipient).NotifyAsync(new NotificationRequest(type, actor, post ?? Id, comment));

    private async Task<PostRecord> AuthorOnlyAsync(long editorId)
    {
        await RequireViewAsync(editorId);
        return Record!.AuthorId == editorId ? Record : throw new ActionRefusedException("Only the author can change this post.");
    }

    private async Task<PostView> RequireViewAsync(long viewerId) =>
        await ViewAsync(viewerId, embedQuote: false) ?? throw new KeyNotFoundException("No such post.");

    private async ValueTask<PostView?> ViewAsync(long viewerId, bool embedQuote)
    {
        if (Record is not { Deleted: false } post)
        {
            return null;
        }

        // The author's grain answers null across a block either way — or, when it is active in this silo, what it published
        // answers the same without a call; whether the viewer follows the author is asked only when it matters (a private
        // account or a followers-only post), from the viewer's grain. All of it is in memory.
        var author = views.TryGet(post.AuthorId, out var published) ? published.For(viewerId) : await Author(post).GetAccountAsync(viewerId);
        if (author is null)
        {
            return null;
        }

        var isAuthor = viewerId == post.AuthorId;
        var follows = VisibilityPolicy.FollowingMatters(post.Visibility, author.FollowersOnly, viewerId, post.AuthorId)
            && (await RelationAsync(viewerId, post.AuthorId)).Following;
        if (!VisibilityPolicy.CanView(post.Visibility, post.Deleted, new ViewerFacts(isAuthor, author.FollowersOnly, follows, BlockedEitherWay: false)))
        {
            return null;
        }

        var flags = await FlagsAsync(viewerId);
        var quote = embedQuote && post.QuoteOf is { } quoted
            ? await GrainFactory.Reference<IPostGrain>(quoted).GetUnembeddedAsync(viewerId)
            : null;
        return flags == default ? Plain(post, author, quote)
            : new PostView(post.Id, author, post.Text, post.Visibility, quote, post.Tags, post.Mentions, post.CreatedAt, post.EditedAt, Counts,
                flags.Liked, flags.Reposted, flags.Bookmarked, post.Media) { Sensitive = post.Sensitive, Held = post.HeldVisibility is not null };
    }

    private PostView Plain(PostRecord post, PublicAccount author, PostView? quote)
    {
        // The author by value: from a grain in another silo it arrives as a new object each time.
        if (_plain?.Result is { } kept && ReferenceEquals(_plainOf, post) && kept.Author.Equals(author)
            && ReferenceEquals(kept.Counts, Counts) && ReferenceEquals(kept.Quote, quote))
        {
            if (!views.TryGet(Id, out var published) || !ReferenceEquals(published.Plain, kept))
            {
                Publish(kept, post);
            }

            return kept;
        }

        var plain = new PostView(post.Id, author, post.Text, post.Visibility, quote, post.Tags, post.Mentions, post.CreatedAt, post.EditedAt, Counts,
            Liked: false, Reposted: false, Bookmarked: false, post.Media) { Sensitive = post.Sensitive, Held = post.HeldVisibility is not null };
        (_plain, _plainOf) = (Task.FromResult<PostView?>(plain), post);
        SharedPostViews.Keep(plain);
        Publish(plain, post);
        return plain;
    }

    private void Publish(PostView plain, PostRecord post) =>
        views.Publish(Id, new LocalPost(plain, post.AuthorId, post.QuoteOf, _likes, _reposts, _bookmarks));

    private async ValueTask<ViewerFlags> FlagsAsync(long viewerId)
    {
        if (viewerId == 0)
        {
            return default;
        }

        return (_likes.Has(viewerId), _reposts.Has(viewerId), _bookmarks.Has(viewerId)) is (bool liked, bool reposted, bool bookmarked)
            ? new ViewerFlags(liked, reposted, bookmarked)
            : await store.FlagsAsync(Id, viewerId);
    }

    private Task<RelationFacts> RelationAsync(long viewerId, long otherId) =>
        viewerId == 0 || viewerId == otherId ? Task.FromResult(RelationFacts.None) : GrainFactory.Reference<IUserGrain>(viewerId).GetRelationToAsync(otherId);

    // The counter columns at every flush (for SQL that ranks by them); the grain state when the activation ends, and only
    // then, after it, the mark that the stored figures are behind the rows is cleared with the columns.
    private async Task FlushAsync(bool closing)
    {
        if (closing && _hot is { Dirty: true } && Record is not null)
        {
            var written = await _hot.WriteAsync(Counts);
            if (written != Counts)
            {
                Counts = written; // counted afresh after a conflicting write
            }

            await store.WriteCountsAsync(Id, Counts, close: true);
            _countsDirty = false;
        }
        else if (_countsDirty && Record is not null)
        {
            _countsDirty = false;
            await store.WriteCountsAsync(Id, Counts);
        }

        // Trends hear of engagement with the same delay as the counter columns.
        if (_trendsDirty && Record is { } post)
        {
            _trendsDirty = false;
            var eligible = !post.Deleted && post.Visibility == PostVisibility.Public
                && await Author(post).GetAccountAsync(0) is { FollowersOnly: false };
            await GrainFactory.Reference<ITrendsGrain>(0)
                .ReportAsync(new TrendingCandidate(Id, post.CreatedAt, Counts.Likes, Counts.Comments, Counts.Reposts, eligible));
        }
    }
}
