using System.Text;

namespace OrleansSocial.Runtime;

/// <summary>Decides which silo owns a grain.</summary>
public interface IPlacementDirector
{
    /// <summary>The owner of <paramref name="grainId"/> in <paramref name="view"/>, or null when no silo is active.</summary>
    SiloAddress? GetOwner(GrainId grainId, MembershipView view);
}

/// <summary>
/// Rendezvous (highest-random-weight) hashing: each active silo gets a score from a stable hash of (grain id, silo) and
/// the highest wins. When a silo joins or leaves only the grains it wins or held move. Hashes are computed with FNV-1a
/// and a 64-bit finaliser, so every process agrees regardless of string hash randomisation.
/// </summary>
internal sealed class RendezvousPlacementDirector : IPlacementDirector
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    // Every call asks for its grain's owner: the silos' hashes are worked out once per membership view.
    private SiloHashes? _siloHashes;

    public SiloAddress? GetOwner(GrainId grainId, MembershipView view)
    {
        var silos = view.ActiveSilos;
        if (silos.Length <= 1)
        {
            return silos.Length == 1 ? silos[0] : null;
        }

        var hashes = _siloHashes is { } held && ReferenceEquals(held.View, view) ? held.Hashes : Remember(view, silos);
        var grainHash = StableHash(grainId);
        SiloAddress? best = null;
        ulong bestScore = 0;
        for (var i = 0; i < silos.Length; i++)
        {
            var score = Mix(grainHash ^ hashes[i]);
            if (best is null || score > bestScore)
            {
                best = silos[i];
                bestScore = score;
            }
        }

        return best;
    }

    private ulong[] Remember(MembershipView view, System.Collections.Immutable.ImmutableArray<SiloAddress> silos)
    {
        var hashes = silos.Select(s => StableHash(s.ToString())).ToArray();
        _siloHashes = new SiloHashes(view, hashes);
        return hashes;
    }

    private sealed record SiloHashes(MembershipView View, ulong[] Hashes);

    /// <summary>FNV-1a over the UTF-8 bytes of <c>type/key</c> (<see cref="GrainId.ToString"/>), without making that string when it is ASCII.</summary>
    internal static ulong StableHash(GrainId grainId)
    {
        if (!System.Text.Ascii.IsValid(grainId.Type) || !System.Text.Ascii.IsValid(grainId.Key))
        {
            return StableHash(grainId.ToString());
        }

        var hash = FnvOffset;
        foreach (var c in grainId.Type)
        {
            hash = (hash ^ c) * FnvPrime;
        }

        hash = (hash ^ '/') * FnvPrime;
        foreach (var c in grainId.Key)
        {
            hash = (hash ^ c) * FnvPrime;
        }

        return hash;
    }

    internal static ulong StableHash(string value)
    {
        var hash = FnvOffset;
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            hash = (hash ^ b) * FnvPrime;
        }

        return hash;
    }

    internal static ulong Mix(ulong x)
    {
        // SplitMix64 finaliser: spreads the combined hash so scores are independent per silo.
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9UL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebUL;
        x ^= x >> 31;
        return x;
    }
}
