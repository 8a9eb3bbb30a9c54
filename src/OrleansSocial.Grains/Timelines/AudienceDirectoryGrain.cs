using Orleans;
using OrleansSocial.Timelines;

namespace OrleansSocial.Grains.Timelines;

/// <summary>
/// One partition of <see cref="IAudienceDirectoryGrain"/>: two sets of account ids in memory. Never collected while idle
/// (fan-out would otherwise skip the accounts it forgot); a restart elsewhere (its silo died) begins a new epoch.
/// </summary>
[CollectionAgeLimit(AlwaysActive = true)]
public sealed class AudienceDirectoryGrain : Grain, IAudienceDirectoryGrain
{
    private readonly Guid _epoch = Guid.NewGuid();
    private readonly HashSet<long> _live = [];
    private readonly HashSet<long> _loaded = [];

    public Task<Guid> SetLiveAsync(long account, bool live) => Set(_live, account, live);

    public Task<Guid> SetLoadedAsync(long account, bool loaded) => Set(_loaded, account, loaded);

    private Task<Guid> Set(HashSet<long> set, long account, bool member)
    {
        _ = member ? set.Add(account) : set.Remove(account);
        return Task.FromResult(_epoch);
    }

    public Task<AudienceSplit> SplitAsync(long[] accounts)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        return Task.FromResult(new AudienceSplit([.. accounts.Where(_live.Contains)], [.. accounts.Where(_loaded.Contains)]));
    }
}
