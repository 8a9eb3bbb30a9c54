using System.Collections.Immutable;
using System.Globalization;

namespace OrleansSocial.Runtime;

/// <summary>One silo's row in the membership table.</summary>
public sealed record MembershipEntry
{
    public required SiloAddress SiloAddress { get; init; }

    public required SiloStatus Status { get; init; }

    public string HostName { get; init; } = "";

    /// <summary>The silo's gateway/HTTP-independent proxy port for clients, 0 when it takes no client connections.</summary>
    public int ProxyPort { get; init; }

    public DateTimeOffset StartTime { get; init; }

    /// <summary>Last time the silo wrote "I am alive".</summary>
    public DateTimeOffset IAmAliveTime { get; init; }

    /// <summary>Silos that suspect this one of being dead, with when they said so.</summary>
    public ImmutableList<SuspectVote> Suspicions { get; init; } = [];
}

/// <summary>A vote by <paramref name="Voter"/> that a silo is dead.</summary>
public sealed record SuspectVote(SiloAddress Voter, DateTimeOffset Time);

/// <summary>
/// The table's version. Every change to membership (not "I am alive" heartbeats) must carry the version that follows
/// the one it read; a table accepts it only if nobody changed the table since — compare-and-swap over the whole table.
/// </summary>
public sealed record TableVersion(long Version)
{
    public TableVersion Next() => new(Version + 1);

    public override string ToString() => Version.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A snapshot of the table: every row with its ETag, and the table version.</summary>
public sealed record MembershipTableData(ImmutableList<(MembershipEntry Entry, string ETag)> Entries, TableVersion Version)
{
    public (MembershipEntry Entry, string ETag)? Find(SiloAddress silo)
    {
        foreach (var row in Entries)
        {
            if (row.Entry.SiloAddress.Equals(silo))
            {
                return row;
            }
        }

        return null;
    }
}

/// <summary>
/// Durable membership records shared by the silos of a cluster (Orleans' <c>IMembershipTable</c>). Inserts and updates
/// are conditional on the table version and, for updates, the row's ETag; they return false when the condition failed.
/// </summary>
public interface IMembershipTable
{
    /// <summary>Creates the table (and its version record) if needed.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken);

    /// <summary>Adds a row for a silo not yet in the table, if the table is still at <c>version.Version - 1</c>.</summary>
    Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion version, CancellationToken cancellationToken);

    /// <summary>Replaces a row, if it still has <paramref name="etag"/> and the table is still at <c>version.Version - 1</c>.</summary>
    Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion version, CancellationToken cancellationToken);

    /// <summary>Updates only the row's I-am-alive time; does not change the table version or conflict with other writers.</summary>
    Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset time, CancellationToken cancellationToken);

    /// <summary>Removes rows of dead silos whose last I-am-alive is before <paramref name="beforeDate"/>.</summary>
    Task<int> CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken);

    /// <summary>Deletes the whole table of this cluster.</summary>
    Task DeleteMembershipTableEntriesAsync(CancellationToken cancellationToken);
}

/// <summary>An in-process membership table, shared by the silos of an in-process test cluster.</summary>
public sealed class InMemoryMembershipTable : IMembershipTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<SiloAddress, (MembershipEntry Entry, long ETag)> _rows = [];
    private long _version;
    private long _nextETag;

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var rows = _rows.Values.Select(r => (r.Entry, r.ETag.ToString(CultureInfo.InvariantCulture))).ToImmutableList();
            return Task.FromResult(new MembershipTableData(rows, new TableVersion(_version)));
        }
    }

    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(version);
        lock (_lock)
        {
            if (version.Version != _version + 1 || _rows.ContainsKey(entry.SiloAddress))
            {
                return Task.FromResult(false);
            }

            _rows[entry.SiloAddress] = (entry, ++_nextETag);
            _version = version.Version;
            return Task.FromResult(true);
        }
    }

    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(version);
        lock (_lock)
        {
            if (version.Version != _version + 1 || !_rows.TryGetValue(entry.SiloAddress, out var row)
                || row.ETag.ToString(CultureInfo.InvariantCulture) != etag)
            {
                return Task.FromResult(false);
            }

            _rows[entry.SiloAddress] = (entry, ++_nextETag);
            _version = version.Version;
            return Task.FromResult(true);
        }
    }

    public Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(silo);
        lock (_lock)
        {
            if (!_rows.TryGetValue(silo, out var row))
            {
                throw new InvalidOperationException($"Silo {silo} has no membership row.");
            }

            _rows[silo] = (row.Entry with { IAmAliveTime = time }, row.ETag);
        }

        return Task.CompletedTask;
    }

    public Task<int> CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var defunct = _rows.Values.Where(r => r.Entry.Status == SiloStatus.Dead && r.Entry.IAmAliveTime < beforeDate)
                .Select(r => r.Entry.SiloAddress).ToList();
            foreach (var silo in defunct)
            {
                _rows.Remove(silo);
            }

            return Task.FromResult(defunct.Count);
        }
    }

    public Task DeleteMembershipTableEntriesAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _rows.Clear();
            _version = 0;
        }

        return Task.CompletedTask;
    }
}
