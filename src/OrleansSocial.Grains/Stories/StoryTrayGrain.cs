using Orleans;
using Orleans.Placement;
using OrleansSocial.Grains.Posts;
using OrleansSocial.Stories;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Stories;

/// <summary>
/// A reader's story tray (key: the reader). Built once from the reader's follows, mutes and blocks (their grain's
/// <see cref="ReaderFacts"/>, read without a call when that grain publishes them in this silo) and each followed
/// account's live stories for this reader (one call per account, all at once), with one query for which the reader has
/// seen; then kept. A followed account's grain tells the tray when its stories change and the tray asks that account
/// alone again at the next read; the reader's views mark stories seen as they happen; a change of whom the reader
/// follows, mutes or blocks rebuilds it; and it is rebuilt at least every <see cref="StoryOptions.TrayLifetime"/>, so a
/// lost message leaves it stale for no longer. Accounts followed by too many trays to tell them all
/// (<see cref="FollowedStories.Watched"/> false) are asked at every read. A read of an unchanged tray makes no other
/// grain call and no query.
/// </summary>
[PreferLocalPlacement]
public sealed class StoryTrayGrain(StoryStore store, LocalViews views, StoryOptions options, TimeProvider time) : Grain, IStoryTrayGrain
{
    private ReaderFacts? _facts;
    private DateTimeOffset _builtAt;
    private readonly Dictionary<long, IReadOnlyList<StoryView>> _stories = [];
    private readonly HashSet<long> _followed = [];
    private readonly HashSet<long> _stale = [];
    private readonly HashSet<long> _unwatched = [];
    private readonly HashSet<Guid> _known = [];
    private readonly HashSet<Guid> _seen = [];

    // The tray as last answered, and until when it holds (its first story to expire); null once anything changed.
    private StoryTray? _tray;
    private DateTimeOffset _trayUntil;

    private long Reader => this.GetPrimaryKeyLong();

    public async Task<StoryTray> GetTrayAsync()
    {
        var now = time.GetUtcNow();
        var facts = views.TryGetReader(Reader, now, out var local) ? local : await GrainFactory.GetGrain<IUserGrain>(Reader).GetReaderFactsAsync();
        if (_facts is null || !Same(facts, _facts) || now - _builtAt > options.TrayLifetime)
        {
            _tray = null;
            (_facts, _builtAt) = (facts, now);
            _stories.Clear();
            _unwatched.Clear();
            _known.Clear();
            _seen.Clear();
            var hidden = new HashSet<long>(facts.Muting);
            hidden.UnionWith(facts.BlockedEitherWay);
            _followed.Clear();
            _followed.UnionWith(facts.Followees.Where(id => !hidden.Contains(id) && id != Reader));
            _stale.Clear();
            _stale.UnionWith(_followed);
        }

        if (_tray is not null && _stale.Count == 0 && _unwatched.Count == 0 && now < _trayUntil)
        {
            return _tray;
        }

        // Accounts to ask: all at a build; then those that told of a change, and those that do not tell.
        var ask = _stale.Concat(_unwatched).Distinct().ToArray();
        if (ask.Length > 0)
        {
            var answers = await Task.WhenAll(ask.Select(id => GrainFactory.GetGrain<IUserGrain>(id).GetStoriesForFollowerAsync(Reader)));
            for (var i = 0; i < ask.Length; i++)
            {
                _stale.Remove(ask[i]);
                if (answers[i].Stories.Count > 0)
                {
                    _stories[ask[i]] = answers[i].Stories;
                }
                else
                {
                    _stories.Remove(ask[i]);
                }

                if (answers[i].Watched)
                {
                    _unwatched.Remove(ask[i]);
                }
                else
                {
                    _unwatched.Add(ask[i]);
                }
            }
        }

        // Whether the reader saw a story is read once per story; after that their views tell the tray.
        var unknown = _stories.Values.SelectMany(s => s).Select(s => s.Id).Where(id => !_known.Contains(id)).ToArray();
        if (unknown.Length > 0)
        {
            _seen.UnionWith(await store.SeenAsync(Reader, unknown));
            _known.UnionWith(unknown);
        }

        var live = _stories.Values.Select(s => s.Where(v => v.ExpiresAt > now).ToArray()).Where(s => s.Length > 0).ToArray();
        _trayUntil = live.Length == 0 ? DateTimeOffset.MaxValue : live.Min(s => s.Min(v => v.ExpiresAt));
        _tray = new StoryTray([.. live
            .Select(s => new TrayEntry(s[0].Author, s, [.. s.Select(v => _seen.Contains(v.Id))]))
            .OrderByDescending(e => e.HasUnseen)
            .ThenByDescending(e => e.Latest)]);
        return _tray;
    }

    public Task AccountChangedAsync(long accountId)
    {
        if (_followed.Contains(accountId))
        {
            _stale.Add(accountId);
            _tray = null;
        }

        return Task.CompletedTask;
    }

    public Task SeenAsync(Guid storyId)
    {
        _known.Add(storyId);
        if (_seen.Add(storyId))
        {
            _tray = null;
        }
        return Task.CompletedTask;
    }

    // Reader facts are the same object until they change (within a silo); a copy from another silo is compared.
    private static bool Same(ReaderFacts a, ReaderFacts b) =>
        ReferenceEquals(a, b) || (a.Followees.AsSpan().SequenceEqual(b.Followees) && a.Muting.AsSpan().SequenceEqual(b.Muting)
            && a.BlockedEitherWay.AsSpan().SequenceEqual(b.BlockedEitherWay));
}
