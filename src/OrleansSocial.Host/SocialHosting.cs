using System.Net;
using Orleans.Configuration;
using Orleans.Dashboard;
using OrleansSocial.Grains;
using StackExchange.Redis;

namespace OrleansSocial.Host;

/// <summary>Where a process sits in the cluster: its ids and endpoints (sections <c>Cluster</c> and <c>Silo</c>).</summary>
internal sealed record ClusterSettings(string ClusterId, string ServiceId, int SiloPort, int GatewayPort, IPAddress? AdvertisedAddress, bool Dashboard)
{
    /// <summary>Where the Orleans dashboard is served when <c>Dashboard:Enabled</c> is set (admins only).</summary>
    public const string DashboardPath = "/dashboard";

    public const string DefaultClusterId = "dev";
    public const string DefaultServiceId = "orleans-social";

    /// <summary>An IP address as given, or the first IPv4 address a host name resolves to (a container's service name).</summary>
    private static IPAddress AddressOf(string hostOrAddress) =>
        IPAddress.TryParse(hostOrAddress, out var address) ? address
        : Dns.GetHostAddresses(hostOrAddress).OrderBy(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1).First();

    public static ClusterSettings From(IConfiguration configuration)
    {
        var advertised = configuration["Silo:AdvertisedAddress"];
        return new(
            configuration["Cluster:ClusterId"] is { Length: > 0 } clusterId ? clusterId : DefaultClusterId,
            configuration["Cluster:ServiceId"] is { Length: > 0 } serviceId ? serviceId : DefaultServiceId,
            configuration.GetValue("Silo:Port", EndpointOptions.DEFAULT_SILO_PORT),
            configuration.GetValue("Silo:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT),
            string.IsNullOrWhiteSpace(advertised) ? null : AddressOf(advertised),
            configuration.GetValue("Dashboard:Enabled", false));
    }
}

/// <summary>How each role joins the cluster.</summary>
internal static class SocialHosting
{
    /// <summary>
    /// A silo of OrleansSocial: without Redis a one-silo localhost cluster; with Redis, membership in Redis and the silo
    /// and gateway ports open on every address, advertising <see cref="ClusterSettings.AdvertisedAddress"/> (default: this
    /// host's first address).
    /// </summary>
    public static ISiloBuilder AddSocialSilo(this ISiloBuilder silo, ClusterSettings cluster, string? postgres, string? redis)
    {
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.ClusterId, cluster.ServiceId));
        if (string.IsNullOrWhiteSpace(redis))
        {
            silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
        }
        else
        {
            silo.UseRedisClustering(redis);
            silo.ConfigureEndpoints(cluster.AdvertisedAddress ?? IPAddress.Loopback, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
        }

        // SIGTERM (or Ctrl-C) stops the host: the silo leaves the cluster, its grains deactivate and write what they hold.
        silo.Configure<GrainCollectionOptions>(o => o.DeactivationTimeout = TimeSpan.FromSeconds(20));

        // A silo that stops answering is declared dead after three missed probes of 2 s (Orleans' default 5 s): its
        // grains answer again from the other silos within about 10 s of a crash instead of about 20.
        silo.Configure<ClusterMembershipOptions>(o => o.ProbeTimeout = TimeSpan.FromSeconds(2));
        if (cluster.Dashboard)
        {
            silo.AddDashboard();
        }

        return silo.AddSocialGrains(postgres);
    }

    /// <summary>A front end that is only a cluster client: it finds the silos' gateways in Redis.</summary>
    public static IClientBuilder AddSocialClient(this IClientBuilder client, ClusterSettings cluster, string redis)
    {
        client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.ClusterId, cluster.ServiceId));
        client.UseRedisClustering(redis);
        if (cluster.Dashboard)
        {
            client.AddDashboard();
        }

        return client.AddSocialStreams();
    }

    /// <summary>
    /// The Orleans dashboard (grains, silos, calls per second), off unless <c>Dashboard:Enabled</c>; then served at
    /// <see cref="ClusterSettings.DashboardPath"/> to signed-in administrators only (a bearer token with role admin).
    /// </summary>
    public static void MapSocialDashboard(this WebApplication app, ClusterSettings cluster)
    {
        if (cluster.Dashboard)
        {
            app.MapOrleansDashboard(ClusterSettings.DashboardPath).RequireAuthorization(policy => policy.RequireRole("admin"));
        }
    }

    /// <summary>Readiness: the cluster, and PostgreSQL and Redis when configured; a silo's fan-out lag (degraded, not down).</summary>
    public static void AddSocialHealthChecks(this IServiceCollection services, bool isSilo, string? postgres, string? redis)
    {
        var health = services.AddHealthChecks();
        health.Add(new("membership", sp => isSilo ? ActivatorUtilities.CreateInstance<SiloHealthCheck>(sp) : ActivatorUtilities.CreateInstance<GatewayHealthCheck>(sp),
            null, [OrleansSocial.Api.ApiHosting.ReadyTag]));
        if (!string.IsNullOrWhiteSpace(postgres))
        {
            health.Add(new("postgres", sp => new PostgresHealthCheck(sp.GetRequiredKeyedService<Npgsql.NpgsqlDataSource>(OrleansSocial.Api.ApiHosting.PostgresKey)),
                null, [OrleansSocial.Api.ApiHosting.ReadyTag]));
            if (isSilo)
            {
                health.Add(new("fanout", sp => ActivatorUtilities.CreateInstance<FanoutHealthCheck>(sp), null, [OrleansSocial.Api.ApiHosting.ReadyTag]));
            }
        }

        if (!string.IsNullOrWhiteSpace(redis))
        {
            // A connection of the health check's own: Orleans' clustering keeps its connection to itself.
            services.AddKeyedSingleton<IConnectionMultiplexer>(RedisHealthCheck.ConnectionKey, (_, _) =>
            {
                var options = ConfigurationOptions.Parse(redis);
                options.AbortOnConnectFail = false;
                return ConnectionMultiplexer.Connect(options);
            });
            health.Add(new("redis", sp => new RedisHealthCheck(sp.GetRequiredKeyedService<IConnectionMultiplexer>(RedisHealthCheck.ConnectionKey)),
                null, [OrleansSocial.Api.ApiHosting.ReadyTag]));
        }
    }
}
