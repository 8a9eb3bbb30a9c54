using System.Collections.Immutable;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSocial.Runtime.Core;
using OrleansSocial.Runtime.Diagnostics;
using OrleansSocial.Runtime.Messaging;

namespace OrleansSocial.Runtime.Hosting;

/// <summary>Configures a cluster client: a process that calls grains but hosts none (e.g. a separate front end).</summary>
public interface IClientBuilder
{
    IServiceCollection Services { get; }

    IConfiguration? Configuration { get; }
}

/// <summary>Adds a cluster client to a .NET host.</summary>
public static class ClientHostingExtensions
{
    /// <summary>
    /// Connects this process to a cluster as a client. It reads membership from the cluster's table and sends each call
    /// straight to the silo that owns the grain (computed with the silos' own placement), over the silo transport. When
    /// a silo goes away its calls fail with <see cref="SiloUnavailableException"/> until the view moves its grains.
    /// </summary>
    public static IHostApplicationBuilder UseOrleansClient(this IHostApplicationBuilder builder, Action<IClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOrleansClient(configure, builder.Configuration);
        return builder;
    }

    public static IServiceCollection AddOrleansClient(this IServiceCollection services, Action<IClientBuilder> configure, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        SiloHostingExtensions.AddRuntimeServices(services);
        services.AddSingleton<ILocalSiloDetails, ClientDetails>();
        services.AddSingleton<TcpTransport>();
        services.AddSingleton<IMessageTransport>(sp => sp.GetRequiredService<TcpTransport>());
        services.AddSingleton<ClientMembershipService>();
        services.AddSingleton<IClusterMembershipService>(sp => sp.GetRequiredService<ClientMembershipService>());
        services.AddHostedService<ClientLifetime>();
        configure(new RuntimeBuilder(services, configuration));
        return services;
    }

    /// <summary>Makes the grain interfaces (and classes) of <paramref name="assembly"/> callable from this client.</summary>
    public static IClientBuilder AddGrainsFromAssembly(this IClientBuilder builder, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(new GrainAssembly(assembly));
        return builder;
    }

    public static IClientBuilder AddGrainsFromAssembly<T>(this IClientBuilder builder) => builder.AddGrainsFromAssembly(typeof(T).Assembly);

    /// <summary>Reads membership from the given table.</summary>
    public static IClientBuilder UseClustering(this IClientBuilder builder, Func<IServiceProvider, IMembershipTable> table)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.RemoveAll<IMembershipTable>();
        builder.Services.AddSingleton(table);
        return builder;
    }

    public static IClientBuilder UseInMemoryClustering(this IClientBuilder builder, InMemoryMembershipTable table) => builder.UseClustering(_ => table);

    public static IClientBuilder Configure<TOptions>(this IClientBuilder builder, Action<TOptions> configure)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure(configure);
        return builder;
    }

    private sealed class ClientDetails(IOptions<ClusterOptions> cluster, TimeProvider time) : ILocalSiloDetails
    {
        // Never in the table, so never the owner of a grain: every call leaves the process.
        public SiloAddress SiloAddress { get; } = new("client", 0, time.GetUtcNow().ToUnixTimeMilliseconds());

        public string ClusterId => cluster.Value.ClusterId;

        public string ServiceId => cluster.Value.ServiceId;
    }

    private sealed class ClientLifetime(GrainRuntime runtime, ClientMembershipService membership, TcpTransport transport) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            transport.UseRuntime(() => runtime);
            runtime.Start();
            await membership.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            await membership.DisposeAsync().ConfigureAwait(false);
            transport.Abort();
            runtime.Kill();
        }
    }
}

/// <summary>A client's read-only view of membership, refreshed from the table.</summary>
internal sealed partial class ClientMembershipService(IMembershipTable table, IOptions<ClusterMembershipOptions> options, TcpTransport transport,
    TimeProvider time, ILogger<ClientMembershipService> logger) : IClusterMembershipService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private MembershipView _view = new(-1, ImmutableDictionary<SiloAddress, SiloStatus>.Empty);
    private Task? _loop;

    public MembershipView CurrentView => Volatile.Read(ref _view);

    public event Action<MembershipView>? ViewChanged;

    public Task UpdateStatusAsync(SiloStatus status, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A cluster client has no membership status.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        _loop = LoopAsync();
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var data = await table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        if (data.Version.Version == CurrentView.Version)
        {
            return;
        }

        var view = new MembershipView(data.Version.Version, data.Entries.ToImmutableDictionary(e => e.Entry.SiloAddress, e => e.Entry.Status));
        Volatile.Write(ref _view, view);
        foreach (var (silo, status) in view.Members)
        {
            if (status == SiloStatus.Dead)
            {
                transport.Disconnect(silo);
            }
        }

        ViewChanged?.Invoke(view);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(options.Value.TableRefreshPeriod, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await RefreshAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRefreshFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
    }

    [LoggerMessage(50, LogLevel.Warning, "The cluster client could not refresh membership")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
