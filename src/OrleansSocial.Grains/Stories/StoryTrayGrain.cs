using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Stories;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Stories;

/// <summary>
/// Story trays, on any silo: the reader's grain says whom they follow, mute and block (one call); each followed account's
/// grain answers its live stories for this reader (one call per account, all at once); one query says which the reader
/// has seen.
/// </summary>
[StatelessWorker]
public sealed class StoryTrayGrain(StoryStore store) : Grain, IStoryTrayGrain
{
    public async Task<IReadOnlyList<TrayEntry>> GetTrayAsync(long viewerId)
    {
        var facts = await GrainFactory.GetGrain<IUserGrain>(viewerId).GetReaderFactsAsync();
        var hidden = new HashSet<long>(facts.Muting);
        hidden.UnionWith(facts.BlockedEitherWay);
        var accounts = facts.Followees.Where(id => !hidden.Contains(id) && id != viewerId).ToArray();
        var stories = await Task.WhenAll(accounts.Select(id => GrainFactory.GetGrain<IUserGrain>(id).GetStoriesForFollowerAsync(viewerId)));
        var withStories = stories.Where(s => s.Count > 0).ToArray();
        var seen = await store.SeenAsync(viewerId, [.. withStories.SelectMany(s => s.Select(v => v.Id))]);
        return [.. withStories
            .Select(s => new TrayEntry(s[0].Author, s, [.. s.Select(v => seen.Contains(v.Id))]))
            .OrderByDescending(e => e.HasUnseen)
            .ThenByDescending(e => e.Latest)];
    }
}
