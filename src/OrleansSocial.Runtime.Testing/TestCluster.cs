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

    /// <summary>Silos started by <see cref="TestCluster.DeployAsync"/>. One until the cluster issue adds silo-to-silo messaging.</summary>
    public short InitialSilosCount { get; set; } = 1;

    public int BaseSiloPort { get; set; } = 22222;
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
        if (Options.InitialSilosCount != 1)
        {
            throw new NotSupportedException("This runtime version hosts one silo per cluster; multi-silo test clusters come with silo-to-silo messaging.");
        }

        return new TestCluster(Options, [.. _configurators]);
    }
}

/// <summary>A handle on one silo of a test cluster.</summary>
public sealed class SiloHandle(IHost host)
{
    internal IHost Host { get; } = host;

    public IServiceProvider ServiceProvider => Host.Services;

    public SiloAddress SiloAddress => Host.Services.GetRequiredService<Silo>().SiloAddress;

    /// <summary>Activations currently in this silo.</summary>
    public int ActivationCount => Host.Services.GetRequiredService<Silo>().ActivationCount;
}

/// <summary>
/// An in-process cluster for tests: each silo is a full .NET host with the runtime, started by <see cref="DeployAsync"/>
/// and shut down gracefully by <see cref="StopAllSilosAsync"/> or <see cref="DisposeAsync"/>.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterOptions _options;
    private readonly Action<ISiloBuilder>[] _configurators;
    private readonly List<SiloHandle> _silos = [];
    private bool _stopped;

    internal TestCluster(TestClusterOptions options, Action<ISiloBuilder>[] configurators)
    {
        _options = options;
        _configurators = configurators;
    }

    public IReadOnlyList<SiloHandle> Silos => _silos;

    public SiloHandle Primary => _silos.Count > 0 ? _silos[0] : throw new InvalidOperationException("The cluster is not deployed.");

    /// <summary>A client connected to the cluster.</summary>
    public IClusterClient Client => Primary.ServiceProvider.GetRequiredService<IClusterClient>();

    public IGrainFactory GrainFactory => Client;

    public IServiceProvider ServiceProvider => Primary.ServiceProvider;

    public async Task DeployAsync()
    {
        for (var i = 0; i < _options.InitialSilosCount; i++)
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            var port = _options.BaseSiloPort + i;
            builder.UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = _options.ClusterId;
                    o.ServiceId = _options.ServiceId;
                });
                silo.Configure<SiloOptions>(o => o.Port = port);
                foreach (var configure in _configurators)
                {
                    configure(silo);
                }
            });
            var host = builder.Build();
            await host.StartAsync().ConfigureAwait(false);
            _silos.Add(new SiloHandle(host));
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
        foreach (var silo in _silos)
        {
            await silo.Host.StopAsync().ConfigureAwait(false);
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
}
