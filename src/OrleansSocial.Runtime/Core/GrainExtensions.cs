using System.Globalization;
using OrleansSocial.Runtime.Activation;

namespace OrleansSocial.Runtime;

/// <summary>Identity helpers for grains and grain references, with Orleans' names.</summary>
public static class GrainExtensions
{
    /// <summary>The grain id of a grain instance or a grain reference.</summary>
    public static GrainId GetGrainId(this IAddressable grain) => grain switch
    {
        GrainReference reference => reference.GrainId,
        Grain instance => instance.GrainId,
        null => throw new ArgumentNullException(nameof(grain)),
        _ => throw new ArgumentException($"{grain.GetType()} is neither a grain nor a grain reference.", nameof(grain)),
    };

    public static Guid GetPrimaryKey(this IAddressable grain)
    {
        var id = grain.GetGrainId();
        return Guid.TryParseExact(id.Key, "N", out var key)
            ? key
            : throw new InvalidOperationException($"Grain {id} does not have a Guid key.");
    }

    public static long GetPrimaryKeyLong(this IAddressable grain)
    {
        var id = grain.GetGrainId();
        return long.TryParse(id.Key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var key)
            ? key
            : throw new InvalidOperationException($"Grain {id} does not have an integer key.");
    }

    public static string GetPrimaryKeyString(this IAddressable grain) => grain.GetGrainId().Key;

    /// <summary>A reference of the given interface to this grain, to hand to other grains.</summary>
    public static TGrainInterface AsReference<TGrainInterface>(this IAddressable grain)
        where TGrainInterface : IAddressable => grain switch
        {
            TGrainInterface reference when grain is GrainReference => reference,
            Grain instance => instance.Activation.Runtime.GrainFactory.GetGrain<TGrainInterface>(instance.GrainId),
            GrainReference reference => reference.Runtime.GrainFactory.GetGrain<TGrainInterface>(reference.GrainId),
            _ => throw new ArgumentException($"{grain?.GetType()} is neither a grain nor a grain reference.", nameof(grain)),
        };

    /// <summary>Same as <see cref="AsReference{TGrainInterface}"/>: Orleans' name for converting a reference.</summary>
    public static TGrainInterface Cast<TGrainInterface>(this IAddressable grain)
        where TGrainInterface : IAddressable => grain.AsReference<TGrainInterface>();

    internal static string FormatKey(Guid key) => key.ToString("N");

    internal static string FormatKey(long key) => key.ToString(CultureInfo.InvariantCulture);
}
