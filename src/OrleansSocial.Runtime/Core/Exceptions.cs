namespace OrleansSocial.Runtime;

/// <summary>Base class of the runtime's own exceptions.</summary>
public class OrleansException : Exception
{
    public OrleansException()
    {
    }

    public OrleansException(string message) : base(message)
    {
    }

    public OrleansException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>A call cycle reached a non-reentrant activation that is waiting on the cycle itself.</summary>
public sealed class DeadlockException : OrleansException
{
    public DeadlockException()
    {
    }

    public DeadlockException(string message) : base(message)
    {
    }

    public DeadlockException(string message, Exception innerException) : base(message, innerException)
    {
    }

    internal DeadlockException(IReadOnlyList<GrainId> callChain)
        : base($"Deadlock detected: the call chain {string.Join(" -> ", callChain)} re-enters a non-reentrant grain that is " +
               "waiting for the chain to complete. Make the grain [Reentrant], mark the method [AlwaysInterleave], or wrap the " +
               "outgoing call in RequestContext.AllowCallChainReentrancy().")
    {
        CallChain = callChain;
    }

    /// <summary>The grains of the cycle, first caller first, ending with the re-entered grain.</summary>
    public IReadOnlyList<GrainId> CallChain { get; } = [];
}

/// <summary>A storage write or clear carried an ETag that no longer matches the stored record.</summary>
public sealed class InconsistentStateException : OrleansException
{
    public InconsistentStateException()
    {
    }

    public InconsistentStateException(string message) : base(message)
    {
    }

    public InconsistentStateException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public InconsistentStateException(string message, string? storedEtag, string? currentEtag) : base(message)
    {
        StoredEtag = storedEtag;
        CurrentEtag = currentEtag;
    }

    /// <summary>The ETag in storage.</summary>
    public string? StoredEtag { get; }

    /// <summary>The ETag the activation held.</summary>
    public string? CurrentEtag { get; }
}

/// <summary>The silo that owns (or would host) the target grain is not available: stopped, stopping or dead.</summary>
public sealed class SiloUnavailableException : OrleansException
{
    public SiloUnavailableException()
    {
    }

    public SiloUnavailableException(string message) : base(message)
    {
    }

    public SiloUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
