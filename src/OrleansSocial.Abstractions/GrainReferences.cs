namespace OrleansSocial;

/// <summary>
/// Grain references without Orleans' per-call type resolution. <see cref="IGrainFactory.GetGrain{TGrainInterface}(long, string?)"/>
/// works out the interface's <see cref="GrainInterfaceType"/> on every call — custom-attribute reflection and type-name
/// formatting, measured at two thirds of the CPU an authenticated <c>GET /accounts/me</c> spends in its endpoint. Which
/// grain type and interface type an interface maps to is fixed for the life of the process, so the first call of each
/// interface goes through <c>GetGrain</c> (which also checks that a grain class implements it, throwing if none does) and
/// every later call builds the <see cref="GrainId"/> from the pair it learnt.
/// </summary>
public static class GrainReferences
{
    /// <summary>The grain of interface <typeparamref name="T"/> with an integer key; same grain as <c>GetGrain&lt;T&gt;(key)</c>.</summary>
    public static T Reference<T>(this IGrainFactory grains, long key) where T : IGrainWithIntegerKey
    {
        ArgumentNullException.ThrowIfNull(grains);
        return Resolved<T>.Types is { } types
            ? (T)grains.GetGrain(GrainId.Create(types.Grain, GrainIdKeyExtensions.CreateIntegerKey(key)), types.Interface)
            : Resolved<T>.Learn(grains.GetGrain<T>(key));
    }

    /// <summary>The grain of interface <typeparamref name="T"/> with a GUID key; same grain as <c>GetGrain&lt;T&gt;(key)</c>.</summary>
    public static T Reference<T>(this IGrainFactory grains, Guid key) where T : IGrainWithGuidKey
    {
        ArgumentNullException.ThrowIfNull(grains);
        return Resolved<T>.Types is { } types
            ? (T)grains.GetGrain(GrainId.Create(types.Grain, GrainIdKeyExtensions.CreateGuidKey(key)), types.Interface)
            : Resolved<T>.Learn(grains.GetGrain<T>(key));
    }

    private static class Resolved<T>
    {
        // A reference, so that readers on other threads see both types or neither.
        public static GrainTypes? Types;

        public static T Learn(T reference)
        {
            var grain = (GrainReference)(object)reference!;
            Types = new GrainTypes(grain.GrainId.Type, grain.InterfaceType);
            return reference;
        }
    }

    private sealed record GrainTypes(GrainType Grain, GrainInterfaceType Interface);
}
