using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace OrleansSocial.Grains.Storage;

/// <summary>Hot figures a grain keeps in Orleans grain storage (the figures as they were when it last wrote them).</summary>
[GenerateSerializer, Alias("social.StoredFigures`1")]
public sealed class StoredFigures<T> where T : class
{
    [Id(0)] public T? Value { get; set; }
}

/// <summary>
/// Write-behind of a grain's hot figures (counters) to its <c>[PersistentState]</c>, where rows they count stay the
/// truth. The grain writes its figures when it deactivates — one version-checked write per activation that changed
/// them, however many changes it made — and reads them back at its next activation. What makes that safe is the
/// caller's: the rows' own transaction must mark the figures open (a flag beside the rows), the grain clears the mark only
/// after <see cref="WriteAsync"/> succeeded, and an activation that finds the mark set (its predecessor died with
/// figures unwritten) counts the rows instead of trusting <see cref="Stored"/>. A version conflict (another activation
/// wrote meanwhile) re-reads the record and counts the rows before writing.
/// </summary>
public sealed class WriteBehind<T>(IPersistentState<StoredFigures<T>> state, Func<Task<T>> recount) where T : class
{
    private bool _dirty;

    /// <summary>The figures last written, or null if none were.</summary>
    public T? Stored => state.RecordExists ? state.State.Value : null;

    /// <summary>Whether the figures changed (or were counted afresh) since they were written.</summary>
    public bool Dirty => _dirty;

    /// <summary>The figures changed (or were counted afresh): <see cref="WriteAsync"/> writes them.</summary>
    public void MarkDirty() => _dirty = true;

    /// <summary>Writes the figures if they changed; returns the figures stored — counted afresh if a conflicting write was found.</summary>
    public async Task<T> WriteAsync(T current)
    {
        if (!_dirty)
        {
            return current;
        }

        state.State.Value = current;
        try
        {
            await state.WriteStateAsync().ConfigureAwait(true);
        }
        catch (InconsistentStateException)
        {
            // Another activation wrote since this one read: what it counted is unknown here, so count the rows again.
            await state.ReadStateAsync().ConfigureAwait(true);
            current = state.State.Value = await recount().ConfigureAwait(true);
            await state.WriteStateAsync().ConfigureAwait(true);
        }

        _dirty = false;
        return current;
    }
}
