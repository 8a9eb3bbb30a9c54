using OrleansSocial.TestInfrastructure;
using StackExchange.Redis;

namespace OrleansSocial.Runtime.Redis.Tests;

/// <summary>The behaviour every membership table must have; run against each implementation.</summary>
public abstract class MembershipTableContract : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private IMembershipTable _table = null!;

    protected abstract Task<IMembershipTable> CreateTableAsync();

    public async Task InitializeAsync()
    {
        _table = await CreateTableAsync();
        await _table.InitializeAsync(default);
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private static MembershipEntry Entry(int port, SiloStatus status = SiloStatus.Joining) => new()
    {
        SiloAddress = new SiloAddress("127.0.0.1", port, 1000 + port),
        Status = status,
        HostName = "test-host",
        StartTime = T0,
        IAmAliveTime = T0,
    };

    [Fact]
    public async Task A_new_table_is_empty_at_version_zero()
    {
        var data = await _table.ReadAllAsync(default);

        Assert.Empty(data.Entries);
        Assert.Equal(0, data.Version.Version);
    }

    [Fact]
    public async Task An_inserted_row_reads_back_and_bumps_the_version()
    {
        var entry = Entry(1);

        Assert.True(await _table.InsertRowAsync(entry, new TableVersion(1), default));
        var data = await _table.ReadAllAsync(default);

        Assert.Equal(1, data.Version.Version);
        Assert.Equal(entry, Assert.Single(data.Entries).Entry);
    }

    [Fact]
    public async Task Inserting_the_same_silo_twice_fails()
    {
        Assert.True(await _table.InsertRowAsync(Entry(1), new TableVersion(1), default));

        Assert.False(await _table.InsertRowAsync(Entry(1), new TableVersion(2), default));
        Assert.Single((await _table.ReadAllAsync(default)).Entries);
    }

    [Fact]
    public async Task Of_concurrent_changes_built_on_one_version_exactly_one_wins()
    {
        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(port => _table.InsertRowAsync(Entry(port), new TableVersion(1), default)));

        Assert.Equal(1, results.Count(ok => ok));
        var data = await _table.ReadAllAsync(default);
        Assert.Single(data.Entries);
        Assert.Equal(1, data.Version.Version);
    }

    [Fact]
    public async Task An_update_with_a_stale_row_etag_or_table_version_fails()
    {
        await _table.InsertRowAsync(Entry(1), new TableVersion(1), default);
        var (entry, etag) = Assert.Single((await _table.ReadAllAsync(default)).Entries);

        Assert.False(await _table.UpdateRowAsync(entry with { Status = SiloStatus.Active }, etag, new TableVersion(1), default));
        Assert.True(await _table.UpdateRowAsync(entry with { Status = SiloStatus.Active }, etag, new TableVersion(2), default));
        Assert.False(await _table.UpdateRowAsync(entry with { Status = SiloStatus.Dead }, etag, new TableVersion(3), default));
        var data = await _table.ReadAllAsync(default);

        Assert.Equal(SiloStatus.Active, Assert.Single(data.Entries).Entry.Status);
        Assert.Equal(2, data.Version.Version);
    }

    [Fact]
    public async Task I_am_alive_updates_the_time_without_changing_the_version_or_the_row_etag_semantics()
    {
        await _table.InsertRowAsync(Entry(1), new TableVersion(1), default);

        await _table.UpdateIAmAliveAsync(Entry(1).SiloAddress, T0.AddSeconds(30), default);
        var data = await _table.ReadAllAsync(default);
        var (entry, etag) = Assert.Single(data.Entries);

        Assert.Equal(T0.AddSeconds(30), entry.IAmAliveTime);
        Assert.Equal(1, data.Version.Version);
        Assert.True(await _table.UpdateRowAsync(entry with { Status = SiloStatus.Active }, etag, new TableVersion(2), default));
    }

    [Fact]
    public async Task Suspicion_votes_round_trip()
    {
        var voter = Entry(2).SiloAddress;
        await _table.InsertRowAsync(Entry(1), new TableVersion(1), default);
        var (entry, etag) = Assert.Single((await _table.ReadAllAsync(default)).Entries);

        await _table.UpdateRowAsync(entry with { Suspicions = [new SuspectVote(voter, T0)] }, etag, new TableVersion(2), default);
        var vote = Assert.Single(Assert.Single((await _table.ReadAllAsync(default)).Entries).Entry.Suspicions);

        Assert.Equal(voter, vote.Voter);
        Assert.Equal(T0, vote.Time);
    }

    [Fact]
    public async Task Cleanup_removes_only_dead_rows_older_than_the_cutoff()
    {
        await _table.InsertRowAsync(Entry(1, SiloStatus.Dead), new TableVersion(1), default);
        await _table.InsertRowAsync(Entry(2, SiloStatus.Active), new TableVersion(2), default);
        await _table.InsertRowAsync(Entry(3, SiloStatus.Dead) with { IAmAliveTime = T0.AddHours(2) }, new TableVersion(3), default);

        var removed = await _table.CleanupDefunctSiloEntriesAsync(T0.AddHours(1), default);
        var ports = (await _table.ReadAllAsync(default)).Entries.Select(e => e.Entry.SiloAddress.Port).Order();

        Assert.Equal(1, removed);
        Assert.Equal([2, 3], ports);
    }
}

public sealed class InMemoryMembershipTableTests : MembershipTableContract
{
    protected override Task<IMembershipTable> CreateTableAsync() => Task.FromResult<IMembershipTable>(new InMemoryMembershipTable());
}

public sealed class RedisMembershipTableTests : MembershipTableContract
{
    private ConnectionMultiplexer? _redis;

    protected override async Task<IMembershipTable> CreateTableAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(RedisServer.Instance.Configuration);
        return new RedisMembershipTable(_redis, "svc", $"cluster-{Guid.NewGuid():N}");
    }

    [Fact]
    public async Task Rows_live_in_one_hash_per_cluster_with_a_version_field()
    {
        var clusterId = $"layout-{Guid.NewGuid():N}";
        var table = new RedisMembershipTable(_redis!, "svc", clusterId);
        await table.InitializeAsync(default);
        var silo = new SiloAddress("10.0.0.1", 11111, 7);

        await table.InsertRowAsync(new MembershipEntry { SiloAddress = silo, Status = SiloStatus.Joining }, new TableVersion(1), default);
        var hash = await _redis!.GetDatabase().HashGetAllAsync($"svc/members/{clusterId}");

        Assert.Equal(["S10.0.0.1:11111@7", "Version"], hash.Select(h => (string)h.Name!).Order());
        Assert.Equal("1", (string)hash.Single(h => h.Name == "Version").Value!);
    }

    public override async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.CloseAsync();
            _redis.Dispose();
        }
    }
}
