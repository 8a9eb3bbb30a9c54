using OrleansSocial.Runtime.Core;

namespace OrleansSocial.Runtime;

/// <summary>The silo's <see cref="IGrainFactory"/> and in-process <see cref="IClusterClient"/>.</summary>
internal sealed class GrainFactory(GrainRuntime runtime) : IClusterClient
{
    public IServiceProvider ServiceProvider => runtime.Services;

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithGuidKey =>
        Create<TGrainInterface>(GrainExtensions.FormatKey(primaryKey), grainClassNamePrefix);

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithIntegerKey =>
        Create<TGrainInterface>(GrainExtensions.FormatKey(primaryKey), grainClassNamePrefix);

    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithStringKey
    {
        ArgumentException.ThrowIfNullOrEmpty(primaryKey);
        return Create<TGrainInterface>(primaryKey, grainClassNamePrefix);
    }

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId)
        where TGrainInterface : IAddressable => (TGrainInterface)GetGrain(typeof(TGrainInterface), grainId);

    public IAddressable GetGrain(Type interfaceType, GrainId grainId)
    {
        ArgumentNullException.ThrowIfNull(interfaceType);
        if (grainId.IsDefault)
        {
            throw new ArgumentException("The grain id is empty.", nameof(grainId));
        }

        if (!interfaceType.IsInterface || !typeof(IAddressable).IsAssignableFrom(interfaceType))
        {
            throw new ArgumentException($"{interfaceType} is not a grain interface.", nameof(interfaceType));
        }

        var info = runtime.Registry.GetByGrainType(grainId.Type);
        if (!interfaceType.IsAssignableFrom(info.GrainClass))
        {
            throw new ArgumentException($"Grain {grainId} ({info.GrainClass}) does not implement {interfaceType}.", nameof(interfaceType));
        }

        return (IAddressable)GrainReference.Create(interfaceType, grainId, info, runtime);
    }

    private TGrainInterface Create<TGrainInterface>(string key, string? prefix)
    {
        var info = runtime.Registry.Resolve(typeof(TGrainInterface), prefix);
        return (TGrainInterface)(object)GrainReference.Create(typeof(TGrainInterface), new GrainId(info.GrainType, key), info, runtime);
    }
}
