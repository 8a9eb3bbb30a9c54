using Orleans;
using OrleansSocial.Timelines;

namespace OrleansSocial.Grains.Timelines;

/// <summary>
/// Trending posts and hashtags. Candidates (public posts of public accounts from the last 7 days with any engagement)
/// are read once when the grain activates and then kept current by the post grains' reports, which ride on their
/// counter write-behind (seconds); a ranking is computed from memory and reused for <see cref="RankingReuse"/>.
/// Hashtag trends come from one query over the last 7 days of tags, reused for <see cref="TagReuse"/>.
/// </summary>
public sealed class TrendsGrain(TimelineStore store, TimeProvider time) : Grain, ITrendsGrain
{
    public static readonly TimeSpan Window = TimeSpan.FromDays(7);
    public static readonly TimeSpan RankingReuse = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan TagReuse = TimeSpan.FromSeconds(60);
    private const int MaxCandidates = 50_000;
    private const int MaxRanked = 1_000;

    private readonly Dictionary<Guid, TrendingCandidate> _candidates = [];
    private Guid[] _ranking = [];
    private DateTimeOffset _rankedAt = DateTimeOffset.MinValue;
    private IReadOnlyList<TrendingTag> _tags = [];
    private DateTimeOffset _tagsAt = DateTimeOffset.MinValue;

    /// <summary>The score of the trending posts list; age in hours.</summary>
    public static double Score(TrendingCandidate c, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(c);
        var hours = Math.Max(0, (now - c.CreatedAt).TotalHours);
        return (c.Likes * 2 + c.Comments * 3 + c.Reposts * 5) / Math.Pow(hours + 2, 1.5);
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var candidate in await store.TrendingCandidatesAsync(time.GetUtcNow() - Window, MaxCandidates))
        {
            _candidates.TryAdd(candidate.PostId, candidate); // a report that came in meanwhile is newer
        }
    }

    public Task ReportAsync(TrendingCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var now = time.GetUtcNow();
        if (!candidate.Eligible || candidate.CreatedAt < now - Window || candidate.Likes + candidate.Comments + candidate.Reposts == 0)
        {
            _candidates.Remove(candidate.PostId);
        }
        else
        {
            _candidates[candidate.PostId] = candidate;
            if (_candidates.Count > MaxCandidates)
            {
                // Bounded: the lowest-scoring tenth goes.
                foreach (var weakest in _candidates.Values.OrderBy(c => Score(c, now)).Take(MaxCandidates / 10).ToArray())
                {
                    _candidates.Remove(weakest.PostId);
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<Guid>> GetPostsAsync(int limit, int offset)
    {
        var now = time.GetUtcNow();
        if (now - _rankedAt > RankingReuse)
        {
            foreach (var old in _candidates.Values.Where(c => c.CreatedAt < now - Window).Select(c => c.PostId).ToArray())
            {
                _candidates.Remove(old);
            }

            _ranking = [.. _candidates.Values.OrderByDescending(c => Score(c, now)).ThenByDescending(c => c.CreatedAt).Take(MaxRanked).Select(c => c.PostId)];
            _rankedAt = now;
        }

        return Task.FromResult<IReadOnlyList<Guid>>([.. _ranking.Skip(offset).Take(limit)]);
    }

    public async Task<IReadOnlyList<TrendingTag>> GetTagsAsync(int limit)
    {
        var now = time.GetUtcNow();
        if (now - _tagsAt > TagReuse)
        {
            _tags = await store.TrendingTagsAsync(now, MaxRanked);
            _tagsAt = now;
        }

        return [.. _tags.Take(limit)];
    }
}
