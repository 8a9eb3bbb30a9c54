namespace OrleansSocial.Runtime;

/// <summary>Creates grain references. References are cheap, need no activation, and may be stored or sent.</summary>
public interface IGrainFactory
{
    TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithGuidKey;

    TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithIntegerKey;

    TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithStringKey;

    /// <summary>A reference of the given interface to an existing grain id (e.g. one read from a message).</summary>
    TGrainInterface GetGrain<TGrainInterface>(GrainId grainId)
        where TGrainInterface : IAddressable;

    /// <summary>A reference of the given interface to an existing grain id.</summary>
    IAddressable GetGrain(Type interfaceType, GrainId grainId);
}

/// <summary>A connection to the cluster: a grain factory plus the services behind it.</summary>
public interface IClusterClient : IGrainFactory
{
    IServiceProvider ServiceProvider { get; }
}
