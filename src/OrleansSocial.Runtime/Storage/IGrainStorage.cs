namespace OrleansSocial.Runtime;

/// <summary>The state record a storage provider reads and writes.</summary>
public interface IGrainState<TState>
{
    TState State { get; set; }

    /// <summary>Version of the stored record this state was read from or last written as; null if there is no record.</summary>
    string? ETag { get; set; }

    bool RecordExists { get; set; }
}

/// <summary>
/// A grain storage provider. Writes and clears are compare-and-swap on <see cref="IGrainState{TState}.ETag"/>: a stale
/// ETag raises <see cref="InconsistentStateException"/> and changes nothing.
/// </summary>
public interface IGrainStorage
{
    Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState);

    Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState);

    Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState);
}

/// <summary>Persistent state operations, as in Orleans.</summary>
public interface IStorage
{
    string? Etag { get; }

    bool RecordExists { get; }

    Task ReadStateAsync();

    Task WriteStateAsync();

    Task ClearStateAsync();
}

/// <summary>Persistent state with a typed value.</summary>
public interface IStorage<TState> : IStorage
{
    TState State { get; set; }
}

/// <summary>Persistent state injected into a grain constructor parameter marked with <see cref="PersistentStateAttribute"/>.</summary>
public interface IPersistentState<TState> : IStorage<TState>;

/// <summary>A plain <see cref="IGrainState{TState}"/>.</summary>
public sealed class GrainState<TState>(TState state) : IGrainState<TState>
{
    public TState State { get; set; } = state;

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }
}
