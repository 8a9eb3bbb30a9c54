using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansSocial.Runtime;

/// <summary>A silo's network identity: endpoint plus a generation that changes on every start. Serialises as its string form.</summary>
[JsonConverter(typeof(SiloAddressJsonConverter))]
public sealed record SiloAddress(string Host, int Port, long Generation)
{
    public string Endpoint => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public override string ToString() => $"S{Host}:{Port.ToString(CultureInfo.InvariantCulture)}@{Generation.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses the <see cref="ToString"/> form, <c>S{host}:{port}@{generation}</c>.</summary>
    public static SiloAddress Parse(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        var at = value.LastIndexOf('@');
        var colon = at < 0 ? -1 : value.LastIndexOf(':', at);
        if (value[0] != 'S' || colon <= 1 || at < colon
            || !int.TryParse(value.AsSpan(colon + 1, at - colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || !long.TryParse(value.AsSpan(at + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var generation))
        {
            throw new FormatException($"'{value}' is not a silo address; expected S<host>:<port>@<generation>.");
        }

        return new SiloAddress(value[1..colon], port, generation);
    }
}

internal sealed class SiloAddressJsonConverter : JsonConverter<SiloAddress>
{
    public override SiloAddress Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            return SiloAddress.Parse(reader.GetString() ?? throw new JsonException("A silo address may not be null."));
        }
        catch (FormatException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, SiloAddress value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
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
