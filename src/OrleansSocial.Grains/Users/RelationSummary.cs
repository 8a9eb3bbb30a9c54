using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>
/// One account's side of its relationships, held by its grain: whom it follows, whom it blocks, who blocks it, whom it
/// mutes (and until when). Followers are not held — a popular account has too many; they stay in the table.
/// </summary>
/// <remarks>
/// Every relationship change takes a version while it holds both accounts' locks (<see cref="AccountLocks"/>), so facts
/// carry the version of the change that produced them. A change is applied only if it is newer than what is held for
/// that pair and than the snapshot the summary was loaded from; that makes late or reordered pushes harmless, and
/// pushes that arrive while the summary is still loading are kept and merged.
/// </remarks>
public sealed class RelationSummary
{
    private readonly Dictionary<long, Pair> _pairs = [];
    private long _loadedAt = -1;

    // Bumped by every change; the muted accounts are worked out again only after one, or when a mute runs out.
    private long _changes;
    private (long Changes, long[] Ids, DateTimeOffset ValidUntil)? _muting;

    public bool IsLoaded => _loadedAt >= 0;

    /// <summary>How many accounts the summary holds facts about.</summary>
    public int Count => _pairs.Count;

    /// <summary>The facts toward <paramref name="other"/> at <paramref name="now"/> (an expired mute is no mute).</summary>
    public RelationFacts Get(long other, DateTimeOffset now) =>
        _pairs.TryGetValue(other, out var p) && (p.Following || p.Blocking || p.BlockedBy || p.Muting)
            ? new RelationFacts(p.Following, p.Blocking, p.BlockedBy, p.Muting && (p.MutedUntil is null || p.MutedUntil > now))
            : RelationFacts.None;

    /// <summary>
    /// The accounts a block stands between this one and (either way). The array is shared until the next change: read it
    /// only.
    /// </summary>
    public long[] BlockedEitherWay
    {
        get
        {
            if (_blocked is not { } held || held.Changes != _changes)
            {
                _blocked = held = (_changes, [.. _pairs.Where(p => p.Value.Blocking || p.Value.BlockedBy).Select(p => p.Key)]);
            }

            return held.Ids;
        }
    }

    private (long Changes, long[] Ids)? _blocked;

    /// <summary>The accounts this one follows, as an array shared until the next change: read it only.</summary>
    public long[] FolloweeIds
    {
        get
        {
            if (_followees is not { } held || held.Changes != _changes)
            {
                _followees = held = (_changes, [.. _pairs.Where(p => p.Value.Following).Select(p => p.Key)]);
            }

            return held.Ids;
        }
    }

    private (long Changes, long[] Ids)? _followees;

    /// <summary>The accounts this one mutes at <paramref name="now"/>. The array is shared until the next change: read it only.</summary>
    public long[] Muting(DateTimeOffset now)
    {
        if (_muting is { } held && held.Changes == _changes && now < held.ValidUntil)
        {
            return held.Ids;
        }

        var ids = new List<long>();
        var validUntil = DateTimeOffset.MaxValue;
        foreach (var (other, p) in _pairs)
        {
            if (p.Muting && (p.MutedUntil is null || p.MutedUntil > now))
            {
                ids.Add(other);
                if (p.MutedUntil is { } until && until < validUntil)
                {
                    validUntil = until;
                }
            }
        }

        _muting = (_changes, [.. ids], validUntil);
        return _muting.Value.Ids;
    }

    /// <summary>Until when <see cref="Muting"/> answers what it answers at <paramref name="now"/> (the next mute to run out), barring changes.</summary>
    public DateTimeOffset MutingValidUntil(DateTimeOffset now)
    {
        Muting(now);
        return _muting!.Value.ValidUntil;
    }

    /// <summary>Applies how this account stands with <see cref="Relationship.Id"/> after the change of <paramref name="version"/>.</summary>
    public void Apply(Relationship relationship, long version)
    {
        ArgumentNullException.ThrowIfNull(relationship);
        if (version <= _loadedAt || (_pairs.TryGetValue(relationship.Id, out var held) && held.Version >= version))
        {
            return;
        }

        _pairs[relationship.Id] = new Pair(relationship.Following, relationship.Blocking, relationship.BlockedBy, relationship.Muting,
            relationship.MutingExpiresAt, version);
        _changes++;
    }

    /// <summary>Merges a snapshot of the tables read at <paramref name="version"/>: it replaces whatever older facts are held.</summary>
    public void Load(long version, IEnumerable<RelationRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var stale in _pairs.Where(p => p.Value.Version <= version).Select(p => p.Key).ToArray())
        {
            _pairs.Remove(stale);
        }

        var loaded = new Dictionary<long, Pair>();
        foreach (var row in rows)
        {
            var p = loaded.GetValueOrDefault(row.Other, new Pair(false, false, false, false, null, version));
            loaded[row.Other] = row.Kind switch
            {
                RelationKind.Following => p with { Following = true },
                RelationKind.Blocking => p with { Blocking = true },
                RelationKind.BlockedBy => p with { BlockedBy = true },
                _ => p with { Muting = true, MutedUntil = row.Until },
            };
        }

        foreach (var (other, pair) in loaded)
        {
            _pairs.TryAdd(other, pair); // a newer push already held wins
        }

        _loadedAt = Math.Max(_loadedAt, version);
        _changes++;
    }

    private readonly record struct Pair(bool Following, bool Blocking, bool BlockedBy, bool Muting, DateTimeOffset? MutedUntil, long Version);
}

public enum RelationKind
{
    Following,
    Blocking,
    BlockedBy,
    Muting,
}

/// <summary>One row of an account's relationships as the summary loads them.</summary>
public readonly record struct RelationRow(RelationKind Kind, long Other, DateTimeOffset? Until);
