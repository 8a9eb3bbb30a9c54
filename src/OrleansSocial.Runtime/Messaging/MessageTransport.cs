namespace OrleansSocial.Runtime.Messaging;

/// <summary>
/// Carries requests to other silos. The runtime dispatches calls for grains the local silo owns straight to its catalog;
/// only calls owned by another silo reach the transport.
/// </summary>
internal interface IMessageTransport
{
    ValueTask<object?> SendRequestAsync(SiloAddress target, Message message);
}

/// <summary>The transport of a one-silo deployment: there is nobody else to send to.</summary>
internal sealed class NoRemoteSilosTransport : IMessageTransport
{
    public ValueTask<object?> SendRequestAsync(SiloAddress target, Message message) =>
        ValueTask.FromException<object?>(new SiloUnavailableException(
            $"{message.Describe()} is owned by silo {target}, which this silo cannot reach: no silo-to-silo transport is configured."));
}
