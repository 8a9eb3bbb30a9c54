using System.Runtime.InteropServices;
using Orleans;
using OrleansSocial.Timelines;
using OrleansSocial.Users;
using Microsoft.Extensions.Logging;
using Npgsql;
using OrleansSocial.Analytics;
using OrleansSocial.Grains.Analytics;

namespace OrleansSocial.Grains.Timelines;

/// <summary>
/// An account's home timeline. The entries (newest first, at most <see cref="TimelineOptions.Capacity"/>) are loaded
/// from <c>timeline_entries</c> on first read — rebuilt from the tables first when the account was inactive for longer
/// than <see cref="TimelineOptions.InactiveDays"/> — and then kept current by fan-out (<see cref="AddAsync"/>,
/// <see cref="RemoveAsync"/>) and by the owner's relationship changes. Reads merge in the recent entries of followed
/// accounts too popular to fan out, leave out muted accounts and repeated reposts, and render each post for the owner.
/// </summary>
public sealed class TimelineGrain(TimelineStore store, TimelineOptions options, Posts.LocalViews views, TimeProvider time, AnalyticsBuffer analytics,
    ILogger<TimelineGrain> logger) : Grain, ITimelineGrain
{
    private static readonly TimeSpan LedgerWriteInterval = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan CelebrityRefresh = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ActivityRefresh = TimeSpan.FromHours(1);

    // Read only: the muted set of a reader who mutes no one.
    private static readonly HashSet<long> NoOne = [];

    private List<TimelineEntry>? _entries;
    private Task? _loading;
    private int _reading;
    private readonly List<Action<List<TimelineEntry>>> _whileReading = [];
    private long[] _celebrities = [];
    private DateTimeOffset _celebritiesAt = DateTimeOffset.MinValue;
    private DateTimeOffset _activeAt = DateTimeOffset.MinValue;
    private Guid _epoch;
    private IGrainTimer? _registration;

    private long Id => this.GetPrimaryKeyLong();

    public async Task<IReadOnlyList<TimelineItem>> ReadAsync(PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await EnsureLoadedAsync();
        var now = time.GetUtcNow();
        if (now - _activeAt > ActivityRefresh)
        {
            _activeAt = now;
            await store.TouchAsync(Id);
        }

        // Newest first: what fan-out wrote here, and what the followed celebrities posted lately.
        var all = await MergedAsync(now);
        // The reader's facts as their grain published them in this silo, or (not published here) from the grain.
        var reader = ReaderOf(views.TryGetReader(Id, now, out var published) ? published : await GrainFactory.Reference<IUserGrain>(Id).GetReaderFactsAsync());
        var muting = reader.Muting;
        var limit = Math.Clamp(page.Limit, 1, 100);
        var items = new List<TimelineItem>(limit);
        if (page.MinId is { } min)
        {
            // Oldest first from just after min_id (for catching up), returned newest first.
            var after = all.Where(e => e.Key > min).ToArray();
            var shown = Shown(after, 0, after.Length, muting).Reverse();
            items = await TimelineRendering.RenderAsync(GrainFactory, Id, shown, limit, reader);
            await CountAsync(items);
            return [.. items.OrderByDescending(i => i.Key)];
        }

        // A slice at a time, copied: fan-out may change the list while posts are being rendered.
        var start = page.MaxId is { } max ? FirstOlderThan(all, max) : 0;
        while (items.Count < limit && start < all.Count)
        {
            var chunk = Math.Min(limit * 2, all.Count - start);
            var slice = CollectionsMarshal.AsSpan(all).Slice(start, Math.Min(chunk + options.RepostWindow, all.Count - start)).ToArray();
            var shown = Shown(slice, 0, chunk, muting).Where(e => page.SinceId is not { } since || e.Key > since);
            items.AddRange(await TimelineRendering.RenderAsync(GrainFactory, Id, shown, limit - items.Count, reader));
            if (page.SinceId is { } sinceId && slice[chunk - 1].Key <= sinceId)
            {
                break;
            }

            // By key, not index: entries fanned in meanwhile shift the indices.
            start = FirstOlderThan(all, slice[chunk - 1].Key);
        }

        await CountAsync(items);
        return items;
    }

    public Task SawPostsAsync(SeenPost[] posts) => CountAsync(posts ?? []);

    public async Task VisitedProfileAsync(long accountId, Guid? viaPost)
    {
        if (accountId == Id || await LedgerAsync() is not { } ledger)
        {
            return;
        }

        // The account's visits and a post's credit for them count once a day each: a visit from a post and one without
        // are one visit to the profile.
        var today = analytics.Today();
        var toAccount = ledger.FirstToday(FormattableString.Invariant($"a:{accountId}"), today);
        var toPost = viaPost is { } post && ledger.FirstToday(FormattableString.Invariant($"a:{accountId}:{post}"), today);
        analytics.ProfileVisit(toAccount ? accountId : null, toPost ? viaPost : null);
    }

    public async Task FollowedLinkAsync(SeenPost post, string url)
    {
        if (post.AuthorId != Id && await LedgerAsync() is { } ledger && ledger.FirstToday($"l:{post.PostId:N}:{url}", analytics.Today()))
        {
            analytics.LinkClick(post.PostId);
        }
    }

    private Task CountAsync(List<TimelineItem> items) =>
        items.Count == 0 ? Task.CompletedTask : CountAsync(items.Select(i => new SeenPost(i.Post.Id, i.Post.Author.Id)));

    // Impressions: each post shown to the owner counts once a day (their own posts never).
    private async Task CountAsync(IEnumerable<SeenPost> shown)
    {
        if (await LedgerAsync() is not { } ledger)
        {
            return;
        }

        var today = analytics.Today();
        foreach (var seen in shown)
        {
            if (seen.AuthorId != Id && ledger.FirstToday(seen.PostId, today))
            {
                analytics.Impression(seen.PostId, seen.AuthorId, Id);
            }
        }
    }

    // The owner's ledger of today, read on first use; null when counting is off or it cannot be read (the read that
    // asked goes on uncounted: analytics never fail a timeline).
    private async ValueTask<ViewLedger?> LedgerAsync()
    {
        if (!analytics.Enabled)
        {
            return null;
        }

        if (_ledger is { } held)
        {
            return held;
        }

        try
        {
            _ledger = await analytics.LoadLedgerAsync(Id);
        }
        catch (NpgsqlException e)
        {
            logger.LogWarning(e, "The view ledger of {Account} could not be read; these views are not counted.", Id);
            return null;
        }

        _ledgerWrites ??= this.RegisterGrainTimer(_ => SaveLedgerAsync(), new GrainTimerCreationOptions(LedgerWriteInterval, LedgerWriteInterval) { KeepAlive = false });
        return _ledger;
    }

    private async Task SaveLedgerAsync()
    {
        try
        {
            if (_ledger is { } ledger)
            {
                await analytics.SaveLedgerAsync(ledger, Id);
            }
        }
        catch (NpgsqlException e)
        {
            logger.LogWarning(e, "The view ledger of {Account} was not written; it is kept for the next write.", Id);
        }
    }

    private ViewLedger? _ledger;
    private IGrainTimer? _ledgerWrites;

    // The sets built from the reader's facts, kept while the reader's grain hands out the same facts (it does until they
    // change; from another silo they arrive as a new object each time, and the sets are built again).
    private LocalReader ReaderOf(ReaderFacts facts)
    {
        if (_reader is not { } held || !ReferenceEquals(held.Facts, facts))
        {
            _reader = held = (facts, new LocalReader(Id, facts.Muting.Length == 0 ? NoOne : [.. facts.Muting], [.. facts.BlockedEitherWay], [.. facts.Followees], views));
        }

        return held.Reader;
    }

    private (ReaderFacts Facts, LocalReader Reader)? _reader;

    // The index of the first entry older than the key (entries are newest first).
    private static int FirstOlderThan(List<TimelineEntry> entries, long key)
    {
        var (lo, hi) = (0, entries.Count);
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (entries[mid].Key >= key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    public Task AddAsync(TimelineEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Change(entries =>
        {
            var at = entries.BinarySearch(entry, NewestFirst.Instance);
            if (at < 0)
            {
                entries.Insert(~at, entry);
                if (entries.Count > options.Capacity)
                {
                    entries.RemoveRange(options.Capacity, entries.Count - options.Capacity);
                }
            }
        });
        return Task.CompletedTask;
    }

    public Task RemoveAsync(Guid postId, long? key)
    {
        Change(entries => entries.RemoveAll(e => e.PostId == postId && (key is null || e.Key == key)));
        return Task.CompletedTask;
    }

    // Applies a fan-out change to the held entries. Unloaded: nothing to do, the rows have it. While the rows are being
    // read, the snapshot may predate the change, so it is applied (idempotently) to what was read as well.
    private void Change(Action<List<TimelineEntry>> change)
    {
        if (_entries is { } entries)
        {
            change(entries);
        }

        if (_reading > 0)
        {
            _whileReading.Add(change);
        }
    }

    public async Task MergeAccountAsync(long accountId)
    {
        await store.MergeAccountAsync(Id, accountId, options.RepostWindow);
        await ReloadAsync();
    }

    public async Task PurgeAccountAsync(long accountId)
    {
        await store.PurgeAccountAsync(Id, accountId);
        Change(entries => entries.RemoveAll(e => e.AuthorId == accountId || e.RepostedBy == accountId));
        _celebritiesAt = DateTimeOffset.MinValue;
    }

    public async Task MergeTagAsync(string tag)
    {
        await store.MergeTagAsync(Id, tag, options.RepostWindow);
        await ReloadAsync();
    }

    public async Task<int> CountAsync()
    {
        await EnsureLoadedAsync();
        return _entries!.Count;
    }

    // Entries [from, to) of a slice that are shown: none by or reposted by a muted account, and a repost of a post already
    // among the next RepostWindow older entries is shown once (the older one stays).
    private IEnumerable<TimelineEntry> Shown(TimelineEntry[] slice, int from, int to, HashSet<long> muting)
    {
        for (var i = from; i < to; i++)
        {
            var e = slice[i];
            if (muting.Contains(e.AuthorId) || (e.RepostedBy is { } by && muting.Contains(by)))
            {
                continue;
            }

            if (e.RepostedBy is not null && slice.Skip(i + 1).Take(options.RepostWindow).Any(older => older.PostId == e.PostId))
            {
                continue;
            }

            yield return e;
        }
    }

    private async Task<List<TimelineEntry>> MergedAsync(DateTimeOffset now)
    {
        if (now - _celebritiesAt > CelebrityRefresh)
        {
            _celebritiesAt = now;
            var followees = await GrainFactory.Reference<IUserGrain>(Id).GetFolloweesAsync();
            _celebrities = await store.CelebritiesAsync(followees, options.CelebrityFollowers);
        }

        var own = _entries!;
        if (_celebrities.Length == 0)
        {
            return own;
        }

        var recent = await Task.WhenAll(_celebrities.Select(c => GrainFactory.Reference<IUserGrain>(c).GetRecentEntriesAsync()));
        return [.. own.Concat(recent.SelectMany(r => r)).DistinctBy(e => e.Key).OrderByDescending(e => e.Key)];
    }

    private async Task EnsureLoadedAsync()
    {
        while (_entries is null)
        {
            await (_loading ??= LoadAsync());
        }
    }

    // Told to the audience directory before the rows are read: a fan-out that checks the directory from then on tells
    // this grain (while it reads, the change is applied to what it read), and one that checked before wrote its rows
    // before this grain reads them.
    private async Task LoadAsync()
    {
        try
        {
            _epoch = await IAudienceDirectoryGrain.For(GrainFactory, Id).SetLoadedAsync(Id, loaded: true);
            var check = TimeSpan.FromSeconds(options.DirectoryCheckSeconds);
            _registration ??= this.RegisterGrainTimer(_ => CheckRegistrationAsync(), new GrainTimerCreationOptions(check, check) { KeepAlive = false });
            _entries = await ReadEntriesAsync(rebuildIfAway: true);
        }
        finally
        {
            _loading = null;
        }
    }

    // The directory partition restarted (its silo died) and may have forgotten this grain: fan-outs since then may have
    // skipped it, so the entries are read afresh on the next read.
    private async Task CheckRegistrationAsync()
    {
        if (_entries is null)
        {
            return;
        }

        var epoch = await IAudienceDirectoryGrain.For(GrainFactory, Id).SetLoadedAsync(Id, loaded: true);
        if (epoch != _epoch)
        {
            (_entries, _epoch) = (null, epoch);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await SaveLedgerAsync();
        if (_registration is not null)
        {
            await IAudienceDirectoryGrain.For(GrainFactory, Id).SetLoadedAsync(Id, loaded: false);
        }
    }

    // After a merge wrote rows: read them again (changes arriving meanwhile are kept).
    private async Task ReloadAsync()
    {
        if (_entries is not null)
        {
            _entries = await ReadEntriesAsync(rebuildIfAway: false);
        }

        _celebritiesAt = DateTimeOffset.MinValue;
    }

    private async Task<List<TimelineEntry>> ReadEntriesAsync(bool rebuildIfAway)
    {
        _reading++;
        try
        {
            var loaded = await store.LoadAsync(Id, options.Capacity) ?? throw new KeyNotFoundException("No such account.");
            var now = time.GetUtcNow();
            if (rebuildIfAway && loaded.LastActive < now.AddDays(-options.InactiveDays))
            {
                // Fan-out skipped this account while it was away: its timeline is written afresh from the tables.
                await store.RebuildAsync(Id, options.Capacity);
                loaded = (await store.LoadAsync(Id, options.Capacity))!.Value;
                _activeAt = now;
            }
            else if (loaded.Entries.Count >= options.Capacity)
            {
                await store.TrimAsync(Id, options.Capacity);
            }

            foreach (var change in _whileReading)
            {
                change(loaded.Entries);
            }

            return loaded.Entries;
        }
        finally
        {
            if (--_reading == 0)
            {
                _whileReading.Clear();
            }
        }
    }

    private sealed class NewestFirst : IComparer<TimelineEntry>
    {
        public static readonly NewestFirst Instance = new();

        public int Compare(TimelineEntry? x, TimelineEntry? y) => (y?.Key ?? 0).CompareTo(x?.Key ?? 0);
    }
}
