using OrleansSocial.Runtime.Activation;
using OrleansSocial.Runtime.Timers;

namespace OrleansSocial.Runtime;

/// <summary>
/// Base class of grain implementations. Instances are created by the runtime, one per activation; all of an
/// activation's code runs one piece at a time on the activation's scheduler.
/// </summary>
public abstract class Grain : IAddressable
{
    protected Grain()
    {
        Activation = ActivationData.UnderConstruction
            ?? throw new InvalidOperationException("Grains are created by the runtime: obtain a reference with IGrainFactory.GetGrain.");
    }

    internal ActivationData Activation { get; }

    /// <summary>This grain's identity.</summary>
    public GrainId GrainId => Activation.GrainId;

    /// <summary>A string identifying this activation, for logs.</summary>
    public string IdentityString => Activation.ToString();

    /// <summary>Creates references to other grains (calls made through them carry this grain's call chain).</summary>
    protected IGrainFactory GrainFactory => Activation.Runtime.GrainFactory;

    /// <summary>The silo's services.</summary>
    protected IServiceProvider ServiceProvider => Activation.Runtime.Services;

    /// <summary>Runs after persistent state is read and before the first request.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Runs once when the activation is deactivated (idle collection, <see cref="DeactivateOnIdle"/>, rebalancing,
    /// shutdown), after the running turn. Persist state here. The token is cancelled when the deactivation timeout passes.
    /// </summary>
    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deactivate this activation once the current request has completed.</summary>
    protected void DeactivateOnIdle() => Activation.DeactivateOnIdle(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle was called."));

    /// <summary>Keep this activation alive for at least <paramref name="timeSpan"/>, even if idle. Negative values cancel an earlier delay.</summary>
    protected void DelayDeactivation(TimeSpan timeSpan) => Activation.DelayDeactivation(timeSpan);

    /// <summary>Registers a timer whose ticks run as turns of this activation; disposed automatically at deactivation.</summary>
    protected IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return Activation.RegisterTimer(static (state, ct) => ((Func<CancellationToken, Task>)state!)(ct), callback, options);
    }

    /// <summary>Registers a timer with a state argument.</summary>
    protected IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return Activation.RegisterTimer(static (s, ct) =>
        {
            var (cb, st) = ((Func<TState, CancellationToken, Task>, TState))s!;
            return cb(st, ct);
        }, (callback, state), options);
    }

    /// <summary>Registers a timer with a due time and a period.</summary>
    protected IGrainTimer RegisterGrainTimer(Func<Task> callback, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return Activation.RegisterTimer(static (state, _) => ((Func<Task>)state!)(), callback, new GrainTimerCreationOptions(dueTime, period));
    }
}
