using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OrleansSocial.Grains.Notifications;
using OrleansSocial.Posts;
using OrleansSocial.Realtime;
using Orleans;
using OrleansSocial.Timelines;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Timelines;

public enum FanoutKind
{
    /// <summary>A new post or repost joins its audience's timelines.</summary>
    Add,

    /// <summary>A deleted post (or withdrawn repost) leaves every timeline.</summary>
    Remove,

    /// <summary>An edited post: timelines holding it hear of the new text.</summary>
    Edit,
}

/// <summary>
/// One fan-out: <see cref="Actor"/> is whose followers are the audience (the author, or the reposter); <see cref="Tags"/>
/// the hashtags whose followers also get a public post; <see cref="Started"/> when the post was accepted (a timestamp of
/// the silo's <see cref="TimeProvider"/>).
/// </summary>
public sealed record FanoutJob(FanoutKind Kind, TimelineEntry Entry, long Actor, string Visibility, bool AuthorIsPrivate, long ActorFollowers,
    IReadOnlyList<string> Tags, long Started);

/// <summary>What became of a job handed to <see cref="TimelineFanout.TryEnqueue"/>.</summary>
public enum FanoutQueued
{
    /// <summary>Queued; it runs in turn.</summary>
    Queued,

    /// <summary>The same post's (or repost's) fan-out is queued or running in this silo already: nothing was added.</summary>
    InFlight,

    /// <summary>
    /// The silo's queue is full: the job was not queued. A new post or repost stays marked unfinished in its row, and the
    /// sweeper runs it once there is room; a removal or an edit is left to the rows (reads skip deleted posts and render
    /// the current text).
    /// </summary>
    Full,
}

/// <summary>How one fan-out went: timelines written and the time from the post being accepted to the last of them.</summary>
public sealed record FanoutResult(FanoutKind Kind, Guid PostId, long Key, long? RepostedBy, int Deliveries, bool Skipped, TimeSpan Duration);

/// <summary>
/// Fan-out on write, off the author's turn: the post grain enqueues a job after its row is committed and returns; here
/// the audience is walked in id order, <see cref="TimelineOptions.FanoutBatch"/> accounts per statement (one
/// INSERT … SELECT writes the batch's rows, skipping inactive, muting and blocked accounts), then, of the accounts that
/// got the entry, those whose timeline grain holds its entries in memory have it told and those with live connections
/// are sent the <c>update</c> event — <see cref="IAudienceDirectoryGrain"/> says which, one call per partition and batch,
/// so a post to 10,000 mostly offline followers activates no grain and publishes on no stream of theirs.
/// Authors with more than <see cref="TimelineOptions.CelebrityFollowers"/> followers are not fanned out: their
/// followers' timelines merge their recent posts at read time.
/// </summary>
/// <remarks>
/// Jobs wait in a bounded queue in memory (<see cref="TimelineOptions.FanoutQueue"/> per silo); a post or repost is marked
/// fanned out in its row when its job finished, so the rows are the durable queue behind the memory one. The silo knows
/// which posts' fan-outs it holds (queued or running) and which its full queue turned away. A sweeper (every
/// <see cref="SweepPeriod"/> on every silo; within <see cref="OverflowSweepPeriod"/> of a post being turned away, and then
/// every <see cref="OverflowSweepPeriod"/> while such posts are owed)
/// hands back to their post grains, as the queue has room, first the posts it turned away, then any post or repost left
/// unmarked for longer than <see cref="SweepDelay"/> — its silo died mid fan-out, or the job failed; a grain queues the
/// fan-out in its own silo unless that silo holds it already: work in flight is never run twice.
/// The slow sweep also removes from timelines the entries of posts deleted in the last day, in case a removal was lost.
/// <see cref="Lag"/> is the age of the oldest post whose fan-out this silo has not finished (metric
/// <c>social.fanout.lag</c>; readiness degrades past <see cref="TimelineOptions.FanoutLagDegradedSeconds"/>).
/// </remarks>
public sealed partial class TimelineFanout : IAsyncDisposable
{
    public static readonly TimeSpan SweepPeriod = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan OverflowSweepPeriod = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan SweepDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SweepHorizon = TimeSpan.FromDays(1);
    private const int SweepBatch = 500;
    private const int Workers = 2;
    private const int KeptResults = 1_000;

    private static readonly Meter Meter = new("OrleansSocial.Social");
    private static readonly Counter<long> Deliveries = Meter.CreateCounter<long>("social.timeline.deliveries", description: "Timeline entries written by fan-out");
    private static readonly Histogram<double> Durations = Meter.CreateHistogram<double>("social.fanout.duration", "ms", "Post accepted to last timeline written");
    private static readonly Counter<long> Overflows = Meter.CreateCounter<long>("social.fanout.overflowed",
        description: "New posts and reposts whose fan-out found the silo's queue full (left to the sweeper)");

    // The fan-outs of this process's silos (one, except in tests), for the observable instruments.
    private static readonly ConcurrentDictionary<TimelineFanout, byte> Running = new();

    static TimelineFanout()
    {
        Meter.CreateObservableGauge("social.fanout.lag", () => Running.IsEmpty ? 0 : Running.Keys.Max(f => f.Lag.TotalMilliseconds), "ms",
            "Age of the oldest new post or repost whose fan-out the silo has not finished (queued, running or overflowed)");
        Meter.CreateObservableGauge("social.fanout.queued", () => Running.Keys.Sum(f => f._inFlight.Count),
            description: "New posts and reposts whose fan-out is queued or running in the silo");
    }

    private readonly TimelineStore _store;
    private readonly IGrainFactory _grains;
    private readonly IServiceProvider _services;
    private readonly TimelineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TimelineFanout> _logger;
    private readonly Channel<FanoutJob>[] _queues;
    // New posts and reposts whose fan-out is queued or running here, with when each was accepted.
    private readonly ConcurrentDictionary<(Guid PostId, long? RepostedBy), long> _inFlight = new();
    // New posts and reposts accepted here whose fan-out a full queue turned away, with when each was accepted, until
    // they are queued again (or the sweeper finds them done elsewhere).
    private readonly ConcurrentDictionary<(Guid PostId, long? RepostedBy), long> _overflowed = new();
    private readonly ConcurrentDictionary<Guid, FanoutResult> _results = new();
    private readonly ConcurrentQueue<Guid> _resultOrder = new();
    private readonly Task[] _loops;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _overflowSignal = new(0, 1);
    private readonly Task _sweeper;

    public TimelineFanout(TimelineStore store, IGrainFactory grains, IServiceProvider services, TimelineOptions options, TimeProvider time,
        ILogger<TimelineFanout> logger)
    {
        (_store, _grains, _services, _options, _time, _logger) = (store, grains, services, options, time, logger);
        var capacity = Math.Max(1, options.FanoutQueue / Workers);
        _queues = [.. Enumerable.Range(0, Workers).Select(_ => Channel.CreateBounded<FanoutJob>(new BoundedChannelOptions(capacity) { SingleReader = true }))];
        Running[this] = 0;
        // Often first resolved inside a grain call: the loops must not inherit that call's context (its call chain).
        using (ExecutionContext.SuppressFlow())
        {
            _loops = [.. _queues.Select(q => Task.Run(() => RunAsync(q.Reader)))];
            _sweeper = Task.Run(SweepLoopAsync);
        }
    }

    /// <summary>
    /// Queues the job unless this silo holds the same post's fan-out already or its queue is full; never waits (it runs in
    /// the post grain's turn, and the fan-out calls that grain).
    /// </summary>
    public FanoutQueued TryEnqueue(FanoutJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var tracked = job.Kind == FanoutKind.Add;
        var key = (job.Entry.PostId, job.Entry.RepostedBy);
        if (tracked && !_inFlight.TryAdd(key, job.Started))
        {
            return FanoutQueued.InFlight;
        }

        // One worker per actor: an author's entries reach timelines in the order they were posted.
        if (_queues[(int)((ulong)job.Actor % Workers)].Writer.TryWrite(job))
        {
            _overflowed.TryRemove(key, out _);
            return FanoutQueued.Queued;
        }

        if (tracked)
        {
            _inFlight.TryRemove(key, out _);
            _overflowed.TryAdd(key, job.Started);
            Overflows.Add(1);
            if (_overflowSignal.CurrentCount == 0)
            {
                try
                {
                    _overflowSignal.Release(); // the sweep loop hands it back within OverflowSweepPeriod, not at its next slow sweep
                }
                catch (SemaphoreFullException)
                {
                }
            }
        }

        return FanoutQueued.Full;
    }

    /// <summary>
    /// How far behind the fan-out is: the age of the oldest new post or repost accepted in this silo whose fan-out has not
    /// finished — queued, running, or turned away by a full queue and not yet picked up by the sweeper. Zero when idle.
    /// </summary>
    public TimeSpan Lag
    {
        get
        {
            var oldest = long.MaxValue;
            foreach (var started in _inFlight.Values.Concat(_overflowed.Values))
            {
                oldest = Math.Min(oldest, started);
            }

            return oldest == long.MaxValue ? TimeSpan.Zero : _time.GetElapsedTime(oldest);
        }
    }

    /// <summary>New posts and reposts whose fan-out is queued or running in this silo.</summary>
    public int Queued => _inFlight.Count;

    /// <summary>How the fan-out of a new post went, once it finished (the last <c>1,000</c> are kept).</summary>
    public FanoutResult? ResultOf(Guid postId) => _results.TryGetValue(postId, out var result) ? result : null;

    /// <summary>
    /// Hands the fan-outs that did not finish (posts and reposts older than <see cref="SweepDelay"/>, up to a day old) back
    /// to their post grains, as many as this silo's queue has room for; returns how many were queued again (those a silo
    /// still holds are not).
    /// </summary>
    public async Task<int> SweepAsync()
    {
        // This silo's own turned-away posts first: it knows them, so they need not wait for the sweep delay.
        var resumed = _overflowed.IsEmpty ? 0 : await ResumeOverflowedAsync().ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var room = Room;
        if (room > 0)
        {
            resumed += await ResumeAsync(await _store.UnfinishedAsync(now - SweepHorizon, now - SweepDelay, Math.Min(SweepBatch, room)).ConfigureAwait(false))
                .ConfigureAwait(false);
        }

        return resumed;
    }

    private int Room => Math.Max(0, _options.FanoutQueue - _inFlight.Count);

    // The oldest turned-away posts, as many as there is room for: those still unfinished go back to their grains; the
    // others were fanned out since (by another silo, their grain having moved) or are gone, and are owed no longer.
    private async Task<int> ResumeOverflowedAsync()
    {
        var keys = _overflowed.OrderBy(o => o.Value).Take(Math.Min(SweepBatch, Room)).Select(o => o.Key).ToHashSet();
        if (keys.Count == 0)
        {
            return 0;
        }

        var unfinished = (await _store.UnfinishedAmongAsync([.. keys.Select(k => k.PostId).Distinct()]).ConfigureAwait(false))
            .Where(u => keys.Contains((u.Entry.PostId, u.Entry.RepostedBy))).ToList();
        foreach (var done in keys.Except(unfinished.Select(u => (u.Entry.PostId, u.Entry.RepostedBy))))
        {
            _overflowed.TryRemove(done, out _);
        }

        return await ResumeAsync(unfinished).ConfigureAwait(false);
    }

    private async Task<int> ResumeAsync(IEnumerable<(TimelineEntry Entry, DateTimeOffset At)> unfinished)
    {
        var resumed = 0;
        foreach (var (entry, at) in unfinished)
        {
            switch (await _grains.Reference<IPostGrain>(entry.PostId).ResumeFanoutAsync(entry.RepostedBy, entry.Key, at).ConfigureAwait(false))
            {
                case null:
                    await _store.MarkFannedOutAsync(entry.PostId, entry.RepostedBy).ConfigureAwait(false);
                    _overflowed.TryRemove((entry.PostId, entry.RepostedBy), out _);
                    break;
                case true:
                    resumed++;
                    break;
            }
        }

        return resumed;
    }

    /// <summary>Removes from timelines the entries of posts deleted in the last day (in case a removal was lost).</summary>
    public Task PurgeDeletedAsync() => _store.PurgeDeletedAsync(_time.GetUtcNow() - SweepHorizon);

    // Sweeps every SweepPeriod (the first after SweepDelay), and within OverflowSweepPeriod of a post being turned away:
    // then every OverflowSweepPeriod while such posts are owed. Deleted posts' entries are purged at the slow pace only.
    private async Task SweepLoopAsync()
    {
        try
        {
            var purgeDue = _time.GetTimestamp() + (long)(SweepDelay.TotalSeconds * _time.TimestampFrequency);
            await WaitAsync(SweepDelay).ConfigureAwait(false);
            while (!_stopping.IsCancellationRequested)
            {
                try
                {
                    await SweepAsync().ConfigureAwait(false);
                    if (_time.GetTimestamp() >= purgeDue)
                    {
                        purgeDue = _time.GetTimestamp() + (long)(SweepPeriod.TotalSeconds * _time.TimestampFrequency);
                        await PurgeDeletedAsync().ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogSweepFailed(_logger, e);
                }

                await WaitAsync(_overflowed.IsEmpty ? SweepPeriod : OverflowSweepPeriod).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Waits the period, or less when a post is turned away meanwhile: then OverflowSweepPeriod more, for the queue to drain.
    private async Task WaitAsync(TimeSpan period)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var delay = Task.Delay(period, _time, either.Token);
        var overflow = _overflowSignal.WaitAsync(either.Token);
        var first = await Task.WhenAny(delay, overflow).ConfigureAwait(false);
        await either.CancelAsync().ConfigureAwait(false); // the other ends cancelled (a signal it took meanwhile is lost: the 1 s sweeps go on)
        _stopping.Token.ThrowIfCancellationRequested();
        if (first == overflow && period > OverflowSweepPeriod)
        {
            await Task.Delay(OverflowSweepPeriod, _time, _stopping.Token).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Running.TryRemove(this, out _);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sweeper.ConfigureAwait(false);
        _stopping.Dispose();
        _overflowSignal.Dispose();
        foreach (var queue in _queues)
        {
            queue.Writer.TryComplete();
        }

        await Task.WhenAll(_loops).ConfigureAwait(false);
    }

    private async Task RunAsync(ChannelReader<FanoutJob> jobs)
    {
        await foreach (var job in jobs.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                var result = job.Kind switch
                {
                    FanoutKind.Add => await AddAsync(job).ConfigureAwait(false),
                    FanoutKind.Remove => await RemoveAsync(job).ConfigureAwait(false),
                    _ => await EditAsync(job).ConfigureAwait(false),
                };
                Remember(result);
            }
            catch (Exception e)
            {
                LogFanoutFailed(_logger, e, job.Kind, job.Entry.PostId);
            }
            finally
            {
                // Done or failed: either way no longer held here (a failed one is left unmarked for the sweeper).
                if (job.Kind == FanoutKind.Add)
                {
                    _inFlight.TryRemove((job.Entry.PostId, job.Entry.RepostedBy), out _);
                }
            }
        }
    }

    private async Task<FanoutResult> AddAsync(FanoutJob job)
    {
        var entry = job.Entry;
        var post = await _grains.Reference<IPostGrain>(entry.PostId).GetPublishedAsync().ConfigureAwait(false);
        if (post is null)
        {
            return Finish(job, 0, skipped: false);
        }

        var reposter = entry.RepostedBy is { } r ? await _grains.Reference<IUserGrain>(r).GetAccountAsync(0).ConfigureAwait(false) : null;
        var update = PostEvents.Of(post, p => UserEvents.Create(UserEventNames.Update, TimelineEvent.From(entry.Key, p, reposter)));

        // The actor's own timeline always has it.
        var delivered = 0;
        if (await _store.InsertAsync(job.Actor, entry).ConfigureAwait(false))
        {
            delivered += await DeliverAsync([job.Actor], entry, update).ConfigureAwait(false);
        }

        if (job.Visibility == PostVisibility.Private)
        {
            await _store.MarkFannedOutAsync(entry.PostId, entry.RepostedBy).ConfigureAwait(false);
            return Finish(job, delivered, skipped: false);
        }

        var celebrity = job.ActorFollowers > _options.CelebrityFollowers;
        var activeSince = _time.GetUtcNow().AddDays(-_options.InactiveDays);
        var audiences = new List<FanoutAudience>();
        if (!celebrity)
        {
            audiences.Add(new FanoutAudience.FollowersOf(job.Actor));
        }

        if (entry.RepostedBy is null && job.Visibility == PostVisibility.Public && !job.AuthorIsPrivate && job.Tags.Count > 0)
        {
            audiences.Add(new FanoutAudience.TagFollowers(job.Tags));
        }

        foreach (var audience in audiences)
        {
            long? cursor = 0;
            while (cursor is { } after)
            {
                var (next, owners) = await _store.FanoutBatchAsync(entry, audience, job.AuthorIsPrivate, after, _options.FanoutBatch, activeSince)
                    .ConfigureAwait(false);
                delivered += await DeliverAsync(owners, entry, update).ConfigureAwait(false);
                cursor = next;
            }
        }

        await _store.MarkFannedOutAsync(entry.PostId, entry.RepostedBy).ConfigureAwait(false);
        return Finish(job, delivered, celebrity);
    }

    private async Task<int> DeliverAsync(long[] owners, TimelineEntry entry, PostEvents update)
    {
        if (owners.Length == 0)
        {
            return 0;
        }

        // The rows have it; beyond them only timelines held in memory are told, and only live accounts sent the event.
        var audience = await SplitAsync(owners).ConfigureAwait(false);
        await Task.WhenAll(audience.Loaded.Select(o => _grains.Reference<ITimelineGrain>(o).AddAsync(entry))).ConfigureAwait(false);
        await PublishAsync(audience.Live, update).ConfigureAwait(false);
        Deliveries.Add(owners.Length);
        return owners.Length;
    }

    // One call per directory partition the owners fall in.
    private async Task<AudienceSplit> SplitAsync(long[] owners)
    {
        if (owners.Length == 1)
        {
            return await IAudienceDirectoryGrain.For(_grains, owners[0]).SplitAsync(owners).ConfigureAwait(false);
        }

        var parts = await Task.WhenAll(owners.GroupBy(o => (ulong)o % IAudienceDirectoryGrain.Partitions)
            .Select(g => IAudienceDirectoryGrain.For(_grains, g.First()).SplitAsync([.. g]))).ConfigureAwait(false);
        return new AudienceSplit([.. parts.SelectMany(p => p.Live)], [.. parts.SelectMany(p => p.Loaded)]);
    }

    private async Task<FanoutResult> RemoveAsync(FanoutJob job)
    {
        var entry = job.Entry;
        var owners = await _store.RemoveAsync(entry.PostId, entry.RepostedBy).ConfigureAwait(false);
        var key = entry.RepostedBy is null ? (long?)null : entry.Key;
        var audience = owners.Length == 0 ? new AudienceSplit([], []) : await SplitAsync(owners).ConfigureAwait(false);
        await Task.WhenAll(audience.Loaded.Select(o => _grains.Reference<ITimelineGrain>(o).RemoveAsync(entry.PostId, key))).ConfigureAwait(false);
        var removed = UserEvents.Create(UserEventNames.Delete, new TimelineDeleteEvent(entry.PostId.ToString(), key?.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await PublishAsync(audience.Live, removed).ConfigureAwait(false);
        return Finish(job, owners.Length, skipped: false);
    }

    private async Task<FanoutResult> EditAsync(FanoutJob job)
    {
        var post = await _grains.Reference<IPostGrain>(job.Entry.PostId).GetPublishedAsync().ConfigureAwait(false);
        if (post is null)
        {
            return Finish(job, 0, skipped: false);
        }

        // Timelines keep an entry after a block or an unfollow (reads filter it): the edit goes only to those who may
        // still see the post, and who do not mute its author.
        var owners = await _store.OwnersAsync(job.Entry.PostId).ConfigureAwait(false);
        owners = owners.Length == 0 ? owners : (await SplitAsync(owners).ConfigureAwait(false)).Live;
        owners = owners.Length == 0 ? owners : await _grains.Reference<IPostGrain>(job.Entry.PostId).AudienceAmongAsync(owners, leaveOutMuting: true).ConfigureAwait(false);
        var updated = PostEvents.Of(post, p => UserEvents.Create(UserEventNames.PostUpdated, PostEvent.From(p)));
        await PublishAsync(owners, updated).ConfigureAwait(false);
        return Finish(job, owners.Length, skipped: false);
    }

    // At-most-once like every event: a client that missed one reads the timeline over REST after its `ready`.
    private Task PublishAsync(long[] owners, UserEvent e) => UserEvents.PublishAsync(_services, owners, e);

    // A quoted post is embedded only for the owners who may see it themselves; the others get the post as REST shows it
    // to them, with its quote left out.
    private async Task PublishAsync(long[] owners, PostEvents events)
    {
        if (events.QuoteId is not { } quoted || owners.Length == 0)
        {
            await PublishAsync(owners, events.WithQuote).ConfigureAwait(false);
            return;
        }

        var allowed = await _grains.Reference<IPostGrain>(quoted).AudienceAmongAsync(owners, leaveOutMuting: false).ConfigureAwait(false);
        var shown = allowed.ToHashSet();
        await Task.WhenAll(PublishAsync(allowed, events.WithQuote), PublishAsync([.. owners.Where(o => !shown.Contains(o))], events.WithoutQuote!))
            .ConfigureAwait(false);
    }

    private FanoutResult Finish(FanoutJob job, int deliveries, bool skipped)
    {
        var elapsed = _time.GetElapsedTime(job.Started);
        if (job.Kind == FanoutKind.Add)
        {
            Durations.Record(elapsed.TotalMilliseconds);
        }

        return new FanoutResult(job.Kind, job.Entry.PostId, job.Entry.Key, job.Entry.RepostedBy, deliveries, skipped, elapsed);
    }

    // Kept for the new posts' fan-outs (what the feeds benchmark reads).
    private void Remember(FanoutResult result)
    {
        if (result.Kind != FanoutKind.Add || result.RepostedBy is not null)
        {
            return;
        }

        _results[result.PostId] = result;
        _resultOrder.Enqueue(result.PostId);
        while (_resultOrder.Count > KeptResults && _resultOrder.TryDequeue(out var old))
        {
            _results.TryRemove(old, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping unfinished fan-outs failed; the next sweep tries again")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fan-out ({Kind}) of post {PostId} failed")]
    private static partial void LogFanoutFailed(ILogger logger, Exception exception, FanoutKind kind, Guid postId);
}

/// <summary>The payload of <c>update</c>: a new home timeline entry, shaped like the REST timeline item (ids as strings).</summary>
public sealed record TimelineEvent(string Key, PostEvent Post, ActorEvent? RepostedBy)
{
    public static TimelineEvent From(long key, PostView post, PublicAccount? reposter) =>
        new(key.ToString(System.Globalization.CultureInfo.InvariantCulture), PostEvent.From(post), reposter is null ? null : ActorEvent.From(reposter));
}

/// <summary>
/// One post event as recipients may get it: with the quoted post embedded (for those who may see that post), and,
/// when the post quotes one, without it (for the rest).
/// </summary>
internal sealed record PostEvents(UserEvent WithQuote, UserEvent? WithoutQuote, Guid? QuoteId)
{
    public static PostEvents Of(PostView post, Func<PostView, UserEvent> create) => post.Quote is { } quote
        ? new(create(post), create(post with { Quote = null }), quote.Id)
        : new(create(post), null, null);
}

/// <summary>The payload of <c>delete</c>: the post gone from timelines, or (with a key) one repost of it.</summary>
public sealed record TimelineDeleteEvent(string PostId, string? Key);

/// <summary>
/// A post in an event, shaped like the REST post (without the reader's own flags). Its attachments come without URLs
/// (a silo cannot sign them, and followers-only media need signed ones): id, type, sizes, alt text and blurhash, enough
/// to lay the post out with placeholders; the client reads the post or its timeline for the URLs.
/// </summary>
public sealed record PostEvent(string Id, ActorEvent Author, string Text, string Visibility, PostEvent? Quote, IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt, DateTimeOffset? EditedAt, long LikesCount, long RepostsCount, long CommentsCount, IReadOnlyList<MediaEvent> MediaAttachments)
{
    public static PostEvent From(PostView p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new(p.Id.ToString(), ActorEvent.From(p.Author), p.Text, p.Visibility, p.Quote is null ? null : From(p.Quote), p.Tags, p.CreatedAt,
            p.EditedAt, p.Counts.Likes, p.Counts.Reposts, p.Counts.Comments,
            p.Media is not { Count: > 0 } media ? [] : [.. media.Select(m => new MediaEvent(m.Id.ToString(), m.Type, m.Meta.Original.Width, m.Meta.Original.Height, m.Description, m.Blurhash))]);
    }
}

/// <summary>An attachment in a live event: what a client needs to reserve its place and show its blurhash.</summary>
public sealed record MediaEvent(string Id, string Type, int Width, int Height, string Description, string Blurhash);
