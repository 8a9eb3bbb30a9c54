using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
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

internal sealed class SiloBuilder(IServiceCollection services, IConfiguration? configuration) : ISiloBuilder
{
    public IServiceCollection Services { get; } = services;

    public IConfiguration? Configuration { get; } = configuration;
}

/// <summary>Adds a silo to a .NET host.</summary>
public static class SiloHostingExtensions
{
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
        var builder = new SiloBuilder(services, configuration);
        if (!services.Any(d => d.ServiceType == typeof(GrainRuntime)))
        {
            AddSiloServices(services);
        }

        configure(builder);
        return services;
    }

    private static void AddSiloServices(IServiceCollection services)
    {
        services.AddOptions();
        services.AddLogging();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ILocalSiloDetails, LocalSiloDetails>();
        services.AddSingleton(sp => new GrainTypeRegistry(sp.GetServices<GrainAssembly>()));
        services.AddSingleton<RuntimeMetrics>();
        services.TryAddSingleton<IPlacementDirector, RendezvousPlacementDirector>();
        services.TryAddSingleton<IClusterMembershipService, SingleSiloMembershipService>();
        services.TryAddSingleton<IMessageTransport, NoRemoteSilosTransport>();
        services.AddSingleton<GrainRuntime>();
        services.AddSingleton<IGrainFactory>(sp => sp.GetRequiredService<GrainRuntime>().GrainFactory);
        services.AddSingleton<IClusterClient>(sp => sp.GetRequiredService<GrainRuntime>().GrainFactory);
        services.AddSingleton(GrainJsonSerializerOptions.From);
        services.AddSingleton(sp => new Silo(sp.GetRequiredService<GrainRuntime>(), sp.GetRequiredService<IClusterMembershipService>(), sp.GetServices<ISiloStartupTask>()));
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
    public SiloAddress SiloAddress { get; } = new(silo.Value.Host, silo.Value.Port, time.GetUtcNow().ToUnixTimeMilliseconds());

    public string ClusterId => cluster.Value.ClusterId;

    public string ServiceId => cluster.Value.ServiceId;
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

    internal Silo(GrainRuntime runtime, IClusterMembershipService membership, IEnumerable<ISiloStartupTask> startupTasks)
    {
        _runtime = runtime;
        _membership = membership;
        _startupTasks = startupTasks;
    }

    /// <summary>This silo's address.</summary>
    public SiloAddress SiloAddress => _runtime.LocalSilo;

    /// <summary>Activations currently in this silo.</summary>
    public int ActivationCount => _runtime.Catalog.Count;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var task in _startupTasks)
        {
            await task.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }

        _runtime.Start();
        await _membership.UpdateStatusAsync(SiloStatus.Active, cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _membership.UpdateStatusAsync(SiloStatus.ShuttingDown, cancellationToken).ConfigureAwait(false);
        await _runtime.StopAsync(cancellationToken).ConfigureAwait(false);
        await _membership.UpdateStatusAsync(SiloStatus.Dead, CancellationToken.None).ConfigureAwait(false);
    }
}
