using System.Collections.Immutable;
using System.Globalization;

namespace OrleansSocial.Runtime;

/// <summary>A silo's network identity: endpoint plus a generation that changes on every start.</summary>
public sealed record SiloAddress(string Host, int Port, long Generation)
{
    public string Endpoint => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public override string ToString() => $"S{Host}:{Port.ToString(CultureInfo.InvariantCulture)}@{Generation.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>A silo's lifecycle status, as in Orleans membership.</summary>
public enum SiloStatus
{
    None,
    Joining,
    Active,
    ShuttingDown,
    Dead,
}

/// <summary>A versioned view of the cluster: the silos and their status.</summary>
public sealed record MembershipView(long Version, ImmutableDictionary<SiloAddress, SiloStatus> Members)
{
    private ImmutableArray<SiloAddress>? _active;

    /// <summary>The silos that may host grains, in a stable order.</summary>
    public ImmutableArray<SiloAddress> ActiveSilos => _active ??= Members
        .Where(m => m.Value == SiloStatus.Active)
        .Select(m => m.Key)
        .OrderBy(s => s.ToString(), StringComparer.Ordinal)
        .ToImmutableArray();
}

/// <summary>The local silo's identity.</summary>
public interface ILocalSiloDetails
{
    SiloAddress SiloAddress { get; }

    string ClusterId { get; }

    string ServiceId { get; }
}

/// <summary>Who is in the cluster. One silo now; the cluster issue backs it with a membership table.</summary>
public interface IClusterMembershipService
{
    MembershipView CurrentView { get; }

    /// <summary>Raised after <see cref="CurrentView"/> changes.</summary>
    event Action<MembershipView>? ViewChanged;

    /// <summary>Announces the local silo's status.</summary>
    Task UpdateStatusAsync(SiloStatus status, CancellationToken cancellationToken);
}

/// <summary>Membership of a cluster of exactly one silo: this one.</summary>
internal sealed class SingleSiloMembershipService(ILocalSiloDetails local) : IClusterMembershipService
{
    private MembershipView _view = new(0, ImmutableDictionary<SiloAddress, SiloStatus>.Empty.Add(local.SiloAddress, SiloStatus.Joining));

    public MembershipView CurrentView => Volatile.Read(ref _view);

    public event Action<MembershipView>? ViewChanged;

    public Task UpdateStatusAsync(SiloStatus status, CancellationToken cancellationToken)
    {
        var current = CurrentView;
        var next = new MembershipView(current.Version + 1, current.Members.SetItem(local.SiloAddress, status));
        Volatile.Write(ref _view, next);
        ViewChanged?.Invoke(next);
        return Task.CompletedTask;
    }
}
