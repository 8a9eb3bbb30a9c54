using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansSocial.Runtime.Hosting;

namespace OrleansSocial.Runtime.Testing;

/// <summary>Configures every silo of a test cluster (Orleans' <c>ISiloConfigurator</c>).</summary>
public interface ISiloConfigurator
{
    void Configure(ISiloBuilder siloBuilder);
}

/// <summary>Options of a test cluster.</summary>
public sealed class TestClusterOptions
{
    public string ClusterId { get; set; } = $"test-{Guid.NewGuid():N}";

    public string ServiceId { get; set; } = "test-service";

    /// <summary>Silos started by <see cref="TestCluster.DeployAsync"/>.</summary>
    public short InitialSilosCount { get; set; } = 1;

    /// <summary>
    /// Membership timings for the test silos: fast, so a killed silo is declared dead within about a second.
    /// </summary>
    public Action<ClusterMembershipOptions> ConfigureMembership { get; set; } = o =>
    {
        o.TableRefreshPeriod = TimeSpan.FromMilliseconds(200);
        o.IAmAlivePeriod = TimeSpan.FromMilliseconds(500);
        o.ProbePeriod = TimeSpan.FromMilliseconds(200);
        o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
        o.NumMissedProbesLimit = 2;
    };
}

/// <summary>Builds a <see cref="TestCluster"/>.</summary>
public sealed class TestClusterBuilder
{
    private readonly List<Action<ISiloBuilder>> _configurators = [];

    public TestClusterOptions Options { get; } = new();

    /// <summary>Adds a configurator type, instantiated once per silo.</summary>
    public TestClusterBuilder AddSiloBuilderConfigurator<TConfigurator>()
        where TConfigurator : ISiloConfigurator, new()
    {
        _configurators.Add(builder => new TConfigurator().Configure(builder));
        return this;
    }

    /// <summary>Adds a configuration delegate run for each silo.</summary>
    public TestClusterBuilder ConfigureSilo(Action<ISiloBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _configurators.Add(configure);
        return this;
    }

    public TestCluster Build()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.InitialSilosCount, (short)1);
        return new TestCluster(Options, [.. _configurators]);
    }
}

/// <summary>A handle on one silo of a test cluster.</summary>
public sealed class SiloHandle
{
    internal SiloHandle(IHost host, string name)
    {
        Host = host;
        Name = name;
    }

    internal IHost Host { get; }

    public string Name { get; }

    public IServiceProvider ServiceProvider => Host.Services;

    internal Silo Silo => Host.Services.GetRequiredService<Silo>();

    public SiloAddress SiloAddress => Silo.SiloAddress;

    /// <summary>Activations currently in this silo.</summary>
    public int ActivationCount => Silo.ActivationCount;

    /// <summary>Whether this silo holds an activation of the grain now (for tests that kill the silo hosting a grain).</summary>
    public bool HasActivation(GrainId grainId) => Silo.HasActivation(grainId);

    /// <summary>A grain factory whose calls start at this silo.</summary>
    public IGrainFactory GrainFactory => Host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>This silo's current view of the cluster.</summary>
    public MembershipView View => Host.Services.GetRequiredService<IClusterMembershipService>().CurrentView;

    public bool IsAlive { get; internal set; } = true;

    public override string ToString() => $"{Name} ({SiloAddress})";
}

/// <summary>
/// An in-process cluster for tests: each silo is a full .NET host with the runtime, listening on its own loopback port
/// with the real TCP transport, all sharing one in-memory membership table (or another table the silos are configured
/// with). Silos can be added, stopped gracefully, killed abruptly and restarted.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterOptions _options;
    private readonly Action<ISiloBuilder>[] _configurators;
    private readonly List<SiloHandle> _silos = [];
    private readonly InMemoryMembershipTable _table = new();
    private int _started;
    private bool _stopped;

    internal TestCluster(TestClusterOptions options, Action<ISiloBuilder>[] configurators)
    {
        _options = options;
        _configurators = configurators;
    }

    /// <summary>Silos that are running.</summary>
    public IReadOnlyList<SiloHandle> Silos => _silos.Where(s => s.IsAlive).ToList();

    public SiloHandle Primary => _silos.FirstOrDefault(s => s.IsAlive) ?? _silos.FirstOrDefault()
        ?? throw new InvalidOperationException("The cluster is not deployed.");

    /// <summary>A client connected to the cluster (through the first running silo).</summary>
    public IClusterClient Client => Primary.ServiceProvider.GetRequiredService<IClusterClient>();

    public IGrainFactory GrainFactory => Client;

    public IServiceProvider ServiceProvider => Primary.ServiceProvider;

    public async Task DeployAsync()
    {
        for (var i = 0; i < _options.InitialSilosCount; i++)
        {
            await StartAdditionalSiloAsync().ConfigureAwait(false);
        }

        await WaitForLivenessToStabilizeAsync().ConfigureAwait(false);
    }

    /// <summary>Starts one more silo and waits until it is Active.</summary>
    public async Task<SiloHandle> StartAdditionalSiloAsync()
    {
        var index = Interlocked.Increment(ref _started) - 1;
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var port = FreePort();
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = _options.ClusterId;
                o.ServiceId = _options.ServiceId;
            });
            silo.Configure<SiloOptions>(o => o.Port = port);
            silo.Configure(_options.ConfigureMembership);
            silo.UseInMemoryClustering(_table);
            foreach (var configure in _configurators)
            {
                configure(silo);
            }
        });
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        var handle = new SiloHandle(host, $"silo{index}");
        _silos.Add(handle);
        return handle;
    }

    /// <summary>
    /// Starts a cluster client host (no grains) that reads this cluster's membership and calls its silos over TCP.
    /// Dispose the returned host to disconnect.
    /// </summary>
    public async Task<IHost> StartClientAsync(Action<IClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = _options.ClusterId;
                o.ServiceId = _options.ServiceId;
            });
            client.Configure(_options.ConfigureMembership);
            client.UseInMemoryClustering(_table);
            configure(client);
        });
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        return host;
    }

    /// <summary>Stops a silo gracefully: its activations run <c>OnDeactivateAsync</c> and its grains move.</summary>
    public async Task StopSiloAsync(SiloHandle silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (!silo.IsAlive)
        {
            return;
        }

        await silo.Host.StopAsync().ConfigureAwait(false);
        silo.IsAlive = false;
    }

    /// <summary>Kills a silo: connections drop, nothing is deactivated or persisted, the table is not told.</summary>
    public async Task KillSiloAsync(SiloHandle silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (!silo.IsAlive)
        {
            return;
        }

        silo.IsAlive = false;
        await silo.Silo.KillAsync().ConfigureAwait(false);
    }

    /// <summary>Stops a silo gracefully and starts a new one in its place.</summary>
    public async Task<SiloHandle> RestartSiloAsync(SiloHandle silo)
    {
        await StopSiloAsync(silo).ConfigureAwait(false);
        return await StartAdditionalSiloAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until every running silo sees exactly the running silos as Active (killed silos declared dead), up to
    /// <paramref name="timeout"/> (default 30 s).
    /// </summary>
    public async Task WaitForLivenessToStabilizeAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var alive = Silos;
            var expected = alive.Select(s => s.SiloAddress).OrderBy(a => a.ToString(), StringComparer.Ordinal).ToArray();
            if (alive.All(s => s.View.ActiveSilos.SequenceEqual(expected)))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The cluster did not stabilise: " + string.Join("; ",
                    alive.Select(s => $"{s} sees [{string.Join(", ", s.View.ActiveSilos)}]")));
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>Shuts every silo down gracefully (activations run <c>OnDeactivateAsync</c>).</summary>
    public async Task StopAllSilosAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        foreach (var silo in _silos.Where(s => s.IsAlive).Reverse().ToList())
        {
            await StopSiloAsync(silo).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAllSilosAsync().ConfigureAwait(false);
        foreach (var silo in _silos)
        {
            silo.Host.Dispose();
        }

        _silos.Clear();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
