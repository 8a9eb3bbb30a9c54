namespace OrleansSocial.Runtime.Hosting;

/// <summary>Identifies the cluster a silo belongs to and the service whose state it stores.</summary>
public sealed class ClusterOptions
{
    public string ClusterId { get; set; } = "dev";

    public string ServiceId { get; set; } = "orleans-social";
}

/// <summary>This silo's endpoint (used for its identity now; for silo-to-silo traffic in a cluster).</summary>
public sealed class SiloOptions
{
    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 11111;
}

/// <summary>Idle collection and deactivation.</summary>
public sealed class GrainCollectionOptions
{
    /// <summary>An activation with no request for this long is deactivated. Default 15 minutes.</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for. Default 1 minute.</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long <c>OnActivateAsync</c> may run before its token is cancelled. Default 30 seconds.</summary>
    public TimeSpan ActivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <c>OnDeactivateAsync</c> may run before the activation is removed anyway. Default 30 seconds.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Calls between grains.</summary>
public sealed class SiloMessagingOptions
{
    /// <summary>A call whose response has not arrived after this long fails with <see cref="TimeoutException"/>. Default 30 seconds.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long shutdown waits for running requests and <c>OnDeactivateAsync</c> of all activations. Default 60 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
