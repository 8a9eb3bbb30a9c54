using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Runtime.Activation;

namespace OrleansSocial.Runtime.Storage;

/// <summary>Creates the <see cref="IPersistentState{TState}"/> objects injected into grain constructors.</summary>
internal static class PersistentStateFactory
{
    public const string DefaultStorageName = "Default";

    public static IPersistentState<TState> Create<TState>(IServiceProvider services, ActivationData activation, string stateName, string? storageName)
    {
        var name = storageName ?? DefaultStorageName;
        var storage = services.GetKeyedService<IGrainStorage>(name)
            ?? throw new InvalidOperationException(
                $"Grain {activation.GrainId} needs grain storage '{name}' for state '{stateName}', but none is registered. " +
                (storageName is null ? "Register a default one, e.g. AddMemoryGrainStorageAsDefault()." : $"Register it, e.g. AddMemoryGrainStorage(\"{name}\")."));
        var state = new PersistentState<TState>(stateName, storage, activation);
        activation.AddStateParticipant(state);
        return state;
    }
}

/// <summary>
/// A grain's persistent state bound to its activation: read before <c>OnActivateAsync</c>, written on demand. A write that
/// loses a race (stale ETag) deactivates the activation after the current request, so the next call reloads the state.
/// </summary>
internal sealed class PersistentState<TState>(string stateName, IGrainStorage storage, ActivationData activation)
    : IPersistentState<TState>, IGrainState<TState>, IActivationStateParticipant
{
    public TState State { get; set; } = StateDefaults.Create<TState>();

    public string? Etag { get; private set; }

    public bool RecordExists { get; set; }

    string? IGrainState<TState>.ETag
    {
        get => Etag;
        set => Etag = value;
    }

    public Task ReadStateAsync() => storage.ReadStateAsync(stateName, activation.GrainId, this);

    public Task WriteStateAsync() => DeactivateOnConflict(() => storage.WriteStateAsync(stateName, activation.GrainId, this));

    public Task ClearStateAsync() => DeactivateOnConflict(() => storage.ClearStateAsync(stateName, activation.GrainId, this));

    // The operation is invoked inside the try: providers may throw before returning a task.
    private async Task DeactivateOnConflict(Func<Task> operation)
    {
        try
        {
            // Nothing after this await touches the grain, so it need not resume on the activation (saves a hop).
            await operation().ConfigureAwait(false);
        }
        catch (InconsistentStateException e)
        {
            activation.DeactivateOnIdle(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "Stale state (ETag conflict).") { Exception = e });
            throw;
        }
    }
}

/// <summary>The value a state has when nothing is stored.</summary>
internal static class StateDefaults
{
    public static TState Create<TState>() =>
        typeof(TState).IsValueType || typeof(TState).GetConstructor(Type.EmptyTypes) is not null ? Activator.CreateInstance<TState>() : default!;
}
