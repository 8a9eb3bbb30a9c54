using System.Numerics;

namespace OrleansSocial.Grains.Analytics;

/// <summary>
/// Distinct viewers as a HyperLogLog sketch of <see cref="Size"/> one-byte registers (standard error about 3 %; exact in
/// practice for small counts, which linear counting estimates). Sketches merge by register-wise maximum, so a silo's
/// sketch of the last seconds and the stored one combine in any order, any number of times.
/// </summary>
public static class Reach
{
    public const int Bits = 10;
    public const int Size = 1 << Bits;

    /// <summary>Counts the viewer into the sketch.</summary>
    public static void Add(byte[] registers, long viewer)
    {
        ArgumentNullException.ThrowIfNull(registers);
        var hash = Mix((ulong)viewer);
        var index = (int)(hash >> (64 - Bits));
        // The rank: 1 + the leading zeros of the remaining bits (a sentinel bit bounds it).
        var rank = (byte)(BitOperations.LeadingZeroCount((hash << Bits) | (1UL << (Bits - 1))) + 1);
        if (registers[index] < rank)
        {
            registers[index] = rank;
        }
    }

    /// <summary>Merges <paramref name="other"/> into <paramref name="into"/>.</summary>
    public static void Union(byte[] into, byte[] other)
    {
        ArgumentNullException.ThrowIfNull(into);
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < Size; i++)
        {
            if (into[i] < other[i])
            {
                into[i] = other[i];
            }
        }
    }

    /// <summary>The estimated number of distinct viewers counted.</summary>
    public static long Estimate(byte[]? registers)
    {
        if (registers is null)
        {
            return 0;
        }

        double sum = 0;
        var zeros = 0;
        foreach (var r in registers)
        {
            sum += Math.ScaleB(1, -r);
            zeros += r == 0 ? 1 : 0;
        }

        const double alpha = 0.7213 / (1 + (1.079 / Size));
        var estimate = alpha * Size * Size / sum;
        if (estimate <= 2.5 * Size && zeros > 0)
        {
            estimate = Size * Math.Log((double)Size / zeros);
        }

        return (long)Math.Round(estimate);
    }

    // splitmix64's finalizer: account ids are sequential, the registers need them spread evenly.
    private static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9UL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebUL;
        return x ^ (x >> 31);
    }
}
