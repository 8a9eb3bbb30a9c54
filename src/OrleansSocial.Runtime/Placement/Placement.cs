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
    public SiloAddress? GetOwner(GrainId grainId, MembershipView view)
    {
        var silos = view.ActiveSilos;
        if (silos.Length <= 1)
        {
            return silos.Length == 1 ? silos[0] : null;
        }

        var grainHash = StableHash(grainId.ToString());
        SiloAddress? best = null;
        ulong bestScore = 0;
        foreach (var silo in silos)
        {
            var score = Mix(grainHash ^ StableHash(silo.ToString()));
            if (best is null || score > bestScore)
            {
                best = silo;
                bestScore = score;
            }
        }

        return best;
    }

    internal static ulong StableHash(string value)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private static ulong Mix(ulong x)
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
