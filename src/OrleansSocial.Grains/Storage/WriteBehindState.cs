using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace OrleansSocial.Grains.Storage;

/// <summary>
/// Hot figures a grain keeps in Orleans grain storage, with whether an activation may have changed their source rows
/// since they were written (<see cref="Open"/>).
/// </summary>
[GenerateSerializer, Alias("social.WriteBehindState`1")]
public sealed class WriteBehindState<T> where T : class
{
    [Id(0)] public T? Value { get; set; }

    /// <summary>Set before an activation first changes a source row, cleared when it writes its final figures.</summary>
    [Id(1)] public bool Open { get; set; }
}

/// <summary>
/// Write-behind of a grain's hot figures (counters) to its <c>[PersistentState]</c>, where the rows they count stay the
/// truth. The protocol, per activation:
/// <list type="number">
/// <item>At activation the stored figures are used when a record exists and is not <c>Open</c>; otherwise (never written,
/// or the last activation died holding it open) the grain counts them from the rows and writes them at the next flush.</item>
/// <item>Before its first change to a source row, the activation writes the state with <c>Open</c> set (one awaited write
/// per activation that changes anything), so a crash from then on makes the next activation count afresh.</item>
/// <item>Changes after that only mark the figures dirty; a grain timer writes them (one version-checked write per flush,
/// however many changes it covers) and deactivation writes them with <c>Open</c> cleared.</item>
/// </list>
/// A version conflict (another activation wrote meanwhile) re-reads the record and counts the rows again before writing.
/// </summary>
public sealed class WriteBehind<T>(IPersistentState<WriteBehindState<T>> state, Func<Task<T>> recount) where T : class
{
    private bool _open;
    private bool _dirty;

    /// <summary>The stored figures, when they can be trusted without counting rows; else null.</summary>
    public T? Trusted => state.RecordExists && !state.State.Open ? state.State.Value : null;

    /// <summary>Whether there is something a flush would write.</summary>
    public bool Dirty => _dirty;

    /// <summary>
    /// Awaited before a change to a source row: the state says "open" before the row can change. Returns the figures to
    /// change — <paramref name="current"/>, or counted afresh if a conflicting write was found.
    /// </summary>
    public ValueTask<T> BeforeChangeAsync(T current) => _open ? ValueTask.FromResult(current) : new(OpenAsync(current));

    private async Task<T> OpenAsync(T current)
    {
        var written = await WriteAsync(current, open: true).ConfigureAwait(true);
        _open = true;
        return written;
    }

    /// <summary>The figures changed (or were counted afresh): the next flush writes them.</summary>
    public void MarkDirty() => _dirty = true;

    /// <summary>
    /// Writes the figures if they changed (timer) or, when <paramref name="closing"/>, with <c>Open</c> cleared
    /// (deactivation). Returns the figures written — counted afresh if a conflicting write was found.
    /// </summary>
    public async Task<T> FlushAsync(T current, bool closing)
    {
        if (!_dirty && !(closing && _open))
        {
            return current;
        }

        _dirty = false;
        var written = await WriteAsync(current, open: !closing && _open).ConfigureAwait(true);
        _open &= !closing;
        return written;
    }

    private async Task<T> WriteAsync(T current, bool open)
    {
        (state.State.Value, state.State.Open) = (current, open);
        try
        {
            await state.WriteStateAsync().ConfigureAwait(true);
            return current;
        }
        catch (InconsistentStateException)
        {
            // Another activation wrote since this one read: what it counted is unknown here, so count the rows again.
            await state.ReadStateAsync().ConfigureAwait(true);
            var counted = await recount().ConfigureAwait(true);
            (state.State.Value, state.State.Open) = (counted, open);
            await state.WriteStateAsync().ConfigureAwait(true);
            return counted;
        }
    }
}
