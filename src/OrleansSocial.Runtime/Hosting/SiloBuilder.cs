using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using System.Net;
using OrleansSocial.Runtime.Core;
using OrleansSocial.Runtime.Diagnostics;
using OrleansSocial.Runtime.Messaging;
using OrleansSocial.Runtime.Storage;

namespace OrleansSocial.Runtime.Hosting;

/// <summary>Configures a silo: its grains, storage, filters and options.</summary>
public interface ISiloBuilder
{
    IServiceCollection Services { get; }

    /// <summary>The host's configuration, when the silo is added to an application builder.</summary>
    IConfiguration? Configuration { get; }
}

/// <summary>The builder handed to silo and client configuration callbacks.</summary>
internal sealed class RuntimeBuilder(IServiceCollection services, IConfiguration? configuration) : ISiloBuilder, IClientBuilder
{
    public IServiceCollection Services { get; } = services;

    public IConfiguration? Configuration { get; } = configuration;
}

/// <summary>Adds a silo to a .NET host.</summary>
public static class SiloHostingExtensions
{
    /// <summary>Registers what silos and cluster clients share.</summary>
    internal static void AddRuntimeServices(IServiceCollection services)
    {
        services.AddOptions();
        services.AddLogging();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new GrainTypeRegistry(sp.GetServices<GrainAssembly>()));
        services.AddSingleton<RuntimeMetrics>();
        services.TryAddSingleton<IPlacementDirector, RendezvousPlacementDirector>();
        services.AddSingleton<GrainRuntime>();
        services.AddSingleton<IGrainFactory>(sp => sp.GetRequiredService<GrainRuntime>().GrainFactory);
        services.AddSingleton<IClusterClient>(sp => sp.GetRequiredService<GrainRuntime>().GrainFactory);
        services.AddSingleton(GrainJsonSerializerOptions.From);
    }

    /// <summary>Hosts a silo in this application (Orleans' <c>UseOrleans</c>).</summary>
    public static IHostApplicationBuilder UseOrleans(this IHostApplicationBuilder builder, Action<ISiloBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOrleans(configure, builder.Configuration);
        return builder;
    }

    /// <summary>Adds the silo's services; the silo starts and stops with the host.</summary>
    public static IServiceCollection AddOrleans(this IServiceCollection services, Action<ISiloBuilder> configure, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new RuntimeBuilder(services, configuration);
        if (!services.Any(d => d.ServiceType == typeof(GrainRuntime)))
        {
            AddSiloServices(services);
        }

        configure(builder);
        return services;
    }

    private static void AddSiloServices(IServiceCollection services)
    {
        AddRuntimeServices(services);
        services.AddSingleton<ILocalSiloDetails, LocalSiloDetails>();
        services.TryAddSingleton<IClusterMembershipService, SingleSiloMembershipService>();
        services.TryAddSingleton<IMessageTransport, NoRemoteSilosTransport>();
        services.AddSingleton(sp => new Silo(sp.GetRequiredService<GrainRuntime>(), sp.GetRequiredService<IClusterMembershipService>(), sp.GetServices<ISiloStartupTask>(), sp.GetRequiredService<IMessageTransport>()));
        services.AddHostedService(sp => sp.GetRequiredService<Silo>());
    }
}

/// <summary>Silo builder methods with Orleans' names.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>Hosts every grain class in <paramref name="assembly"/>.</summary>
    public static ISiloBuilder AddGrainsFromAssembly(this ISiloBuilder builder, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(assembly);
        builder.Services.AddSingleton(new GrainAssembly(assembly));
        return builder;
    }

    /// <summary>Hosts every grain class in the assembly of <typeparamref name="T"/>.</summary>
    public static ISiloBuilder AddGrainsFromAssembly<T>(this ISiloBuilder builder) => builder.AddGrainsFromAssembly(typeof(T).Assembly);

    /// <summary>Adds an in-memory grain storage provider named <paramref name="name"/>.</summary>
    public static ISiloBuilder AddMemoryGrainStorage(this ISiloBuilder builder, string name = PersistentStateFactory.DefaultStorageName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        builder.Services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) =>
            new MemoryGrainStorage(name, sp.GetRequiredService<GrainJsonSerializerOptions>().Options));
        return builder;
    }

    /// <summary>Adds an in-memory grain storage provider used by states that name no provider.</summary>
    public static ISiloBuilder AddMemoryGrainStorageAsDefault(this ISiloBuilder builder) =>
        builder.AddMemoryGrainStorage(PersistentStateFactory.DefaultStorageName);

    public static ISiloBuilder AddIncomingGrainCallFilter<TFilter>(this ISiloBuilder builder)
        where TFilter : class, IIncomingGrainCallFilter
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IIncomingGrainCallFilter, TFilter>();
        return builder;
    }

    public static ISiloBuilder AddIncomingGrainCallFilter(this ISiloBuilder builder, Func<IIncomingGrainCallContext, Task> filter)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(filter);
        builder.Services.AddSingleton<IIncomingGrainCallFilter>(new IncomingGrainCallFilterDelegate(filter));
        return builder;
    }

    public static ISiloBuilder AddOutgoingGrainCallFilter<TFilter>(this ISiloBuilder builder)
        where TFilter : class, IOutgoingGrainCallFilter
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IOutgoingGrainCallFilter, TFilter>();
        return builder;
    }

    public static ISiloBuilder AddOutgoingGrainCallFilter(this ISiloBuilder builder, Func<IOutgoingGrainCallContext, Task> filter)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(filter);
        builder.Services.AddSingleton<IOutgoingGrainCallFilter>(new OutgoingGrainCallFilterDelegate(filter));
        return builder;
    }

    /// <summary>Configures silo options (<see cref="ClusterOptions"/>, <see cref="SiloMessagingOptions"/>, <see cref="GrainCollectionOptions"/>, ...).</summary>
    public static ISiloBuilder Configure<TOptions>(this ISiloBuilder builder, Action<TOptions> configure)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>The JSON options grain storage uses (grain references serialise as their ids).</summary>
    public static JsonSerializerOptions GetGrainJsonOptions(this IServiceProvider services) =>
        services.GetRequiredService<GrainJsonSerializerOptions>().Options;
}

internal sealed class LocalSiloDetails(IOptions<SiloOptions> silo, IOptions<ClusterOptions> cluster, TimeProvider time) : ILocalSiloDetails
{
    private static long s_lastGeneration;

    public SiloAddress SiloAddress { get; } = new(silo.Value.Host, silo.Value.Port, NextGeneration(time));

    // Milliseconds since the epoch, strictly increasing within the process so restarted silos never reuse one.
    private static long NextGeneration(TimeProvider time)
    {
        var candidate = time.GetUtcNow().ToUnixTimeMilliseconds();
        while (true)
        {
            var last = Volatile.Read(ref s_lastGeneration);
            var next = Math.Max(candidate, last + 1);
            if (Interlocked.CompareExchange(ref s_lastGeneration, next, last) == last)
            {
                return next;
            }
        }
    }

    public string ClusterId => cluster.Value.ClusterId;

    public string ServiceId => cluster.Value.ServiceId;
}

/// <summary>Cluster membership registration.</summary>
public static class ClusteringSiloBuilderExtensions
{
    /// <summary>
    /// Makes the silo a member of a cluster whose membership lives in the given table: silos talk over TCP (the silo's
    /// <see cref="SiloOptions"/> endpoint) and grains are placed over the active silos.
    /// </summary>
    public static ISiloBuilder UseClustering(this ISiloBuilder builder, Func<IServiceProvider, IMembershipTable> table)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(table);
        var services = builder.Services;
        services.RemoveAll<IMembershipTable>();
        services.RemoveAll<IMessageTransport>();
        services.RemoveAll<IClusterMembershipService>();
        services.AddSingleton(table);
        services.TryAddSingleton<TcpTransport>();
        services.AddSingleton<IMessageTransport>(sp => sp.GetRequiredService<TcpTransport>());
        services.TryAddSingleton<ClusterMembershipService>();
        services.AddSingleton<IClusterMembershipService>(sp => sp.GetRequiredService<ClusterMembershipService>());
        return builder;
    }

    /// <summary>Clustering with a membership table shared in process (tests, one-machine development).</summary>
    public static ISiloBuilder UseInMemoryClustering(this ISiloBuilder builder, InMemoryMembershipTable table) =>
        builder.UseClustering(_ => table);
}

/// <summary>Work that must finish before the silo takes requests (e.g. database migrations), run in registration order.</summary>
public interface ISiloStartupTask
{
    Task ExecuteAsync(CancellationToken cancellationToken);
}

/// <summary>The silo's lifetime in the host: starts the runtime with the host and shuts it down gracefully with it.</summary>
public sealed class Silo : IHostedService
{
    private readonly GrainRuntime _runtime;
    private readonly IClusterMembershipService _membership;
    private readonly IEnumerable<ISiloStartupTask> _startupTasks;
    private readonly IMessageTransport _transport;
    private int _killed;

    internal Silo(GrainRuntime runtime, IClusterMembershipService membership, IEnumerable<ISiloStartupTask> startupTasks, IMessageTransport transport)
    {
        _runtime = runtime;
        _membership = membership;
        _startupTasks = startupTasks;
        _transport = transport;
    }

    /// <summary>True once the silo was killed or declared dead.</summary>
    public bool IsKilled => Volatile.Read(ref _killed) != 0;

    /// <summary>
    /// Stops the silo abruptly, as a crash would: connections drop, activations vanish without <c>OnDeactivateAsync</c>,
    /// and the membership table is not told (peers find out by probing).
    /// </summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _killed, 1) != 0)
        {
            return;
        }

        if (_membership is ClusterMembershipService cluster)
        {
            await cluster.StopLoopsAsync().ConfigureAwait(false);
        }

        (_transport as TcpTransport)?.Abort();
        _runtime.Kill();
    }

    /// <summary>This silo's address.</summary>
    public SiloAddress SiloAddress => _runtime.LocalSilo;

    /// <summary>Activations currently in this silo.</summary>
    public int ActivationCount => _runtime.Catalog.Count;

    /// <summary>Whether this silo holds an activation of the grain now.</summary>
    internal bool HasActivation(GrainId grainId) => _runtime.Catalog.TryGet(grainId, out _);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var task in _startupTasks)
        {
            await task.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }

        _runtime.Start();
        _membership.ViewChanged += _runtime.OnViewChanged;
        if (_transport is TcpTransport tcp)
        {
            var address = _runtime.LocalSilo;
            // Silo:Host is the address peers use; a host name (e.g. a container name) is listened for on every interface.
            var bind = IPAddress.TryParse(address.Host, out var ip) ? ip : IPAddress.Any;
            tcp.Listen(new IPEndPoint(bind, address.Port), () => _runtime);
        }

        if (_membership is ClusterMembershipService cluster)
        {
            cluster.DeclaredDead += () => _ = KillAsync();
        }

        await _membership.UpdateStatusAsync(SiloStatus.Joining, cancellationToken).ConfigureAwait(false);
        await _membership.UpdateStatusAsync(SiloStatus.Active, cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (IsKilled)
        {
            return;
        }

        // Stopping first: the view change that follows must not be mistaken for a rebalancing.
        _runtime.BeginStopping();
        await AnnounceAsync(SiloStatus.ShuttingDown, cancellationToken).ConfigureAwait(false);
        await _runtime.StopAsync(cancellationToken).ConfigureAwait(false);
        await AnnounceAsync(SiloStatus.Dead, CancellationToken.None).ConfigureAwait(false);
        (_transport as TcpTransport)?.Abort();
    }

    // A stopping silo that cannot reach the membership table still stops; its peers declare it dead by probing.
    private async Task AnnounceAsync(SiloStatus status, CancellationToken cancellationToken)
    {
        try
        {
            await _membership.UpdateStatusAsync(status, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // whatever the table's failure, shutdown goes on
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            _runtime.Logger.StatusNotRecorded(e, _runtime.LocalSilo, status);
        }
    }
}
