namespace OrleansSocial.Runtime;

/// <summary>Why an activation is being deactivated.</summary>
public enum DeactivationReasonCode
{
    None,
    ShuttingDown,
    ActivationFailed,
    ActivationIdle,
    ApplicationRequested,
    IncompatibleRequest,
    InternalFailure,
    Migrating,
}

/// <summary>The reason passed to <see cref="Grain.OnDeactivateAsync"/>.</summary>
public readonly record struct DeactivationReason(DeactivationReasonCode ReasonCode, string Description)
{
    public Exception? Exception { get; init; }

    public override string ToString() => $"{ReasonCode}: {Description}";
}
