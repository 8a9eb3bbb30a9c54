using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace OrleansSocial.Runtime.Storage;

/// <summary>
/// Grain storage in process memory, for tests and the embedded default. Records are stored as JSON (so a grain mutating
/// its state object never changes the stored copy) with an integer version as ETag, and writes are compare-and-swap on it.
/// </summary>
public sealed class MemoryGrainStorage(string name, JsonSerializerOptions serializerOptions) : IGrainStorage
{
    private readonly ConcurrentDictionary<(string StateName, GrainId GrainId), Entry> _records = new();
    private long _nextVersion;

    public string Name { get; } = name;

    public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (_records.TryGetValue((stateName, grainId), out var entry))
        {
            grainState.State = JsonSerializer.Deserialize<TState>(entry.Json, serializerOptions)!;
            grainState.ETag = entry.ETag;
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = StateDefaults.Create<TState>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var key = (stateName, grainId);
        var json = JsonSerializer.SerializeToUtf8Bytes(grainState.State, serializerOptions);
        var updated = new Entry(json, NextETag());
        if (grainState.ETag is null)
        {
            if (!_records.TryAdd(key, updated))
            {
                throw Conflict(stateName, grainId, _records.TryGetValue(key, out var current) ? current.ETag : null, null);
            }
        }
        else
        {
            if (!_records.TryGetValue(key, out var current) || current.ETag != grainState.ETag || !_records.TryUpdate(key, updated, current))
            {
                throw Conflict(stateName, grainId, _records.TryGetValue(key, out var now) ? now.ETag : null, grainState.ETag);
            }
        }

        grainState.ETag = updated.ETag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var key = (stateName, grainId);
        if (_records.TryGetValue(key, out var current))
        {
            if (current.ETag != grainState.ETag || !_records.TryRemove(new KeyValuePair<(string, GrainId), Entry>(key, current)))
            {
                throw Conflict(stateName, grainId, current.ETag, grainState.ETag);
            }
        }
        else if (grainState.ETag is not null)
        {
            throw Conflict(stateName, grainId, null, grainState.ETag);
        }

        grainState.State = StateDefaults.Create<TState>();
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private string NextETag() => Interlocked.Increment(ref _nextVersion).ToString(CultureInfo.InvariantCulture);

    private InconsistentStateException Conflict(string stateName, GrainId grainId, string? stored, string? current) =>
        new($"Storage '{Name}': state '{stateName}' of {grainId} was changed by someone else (stored ETag '{stored ?? "none"}', " +
            $"this activation's ETag '{current ?? "none"}').", stored, current);

    private sealed record Entry(byte[] Json, string ETag);
}
