using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansSocial.Runtime.Hosting;
using StackExchange.Redis;

namespace OrleansSocial.Runtime.Redis;

/// <summary>Redis membership for a silo.</summary>
public static class RedisClusteringExtensions
{
    /// <summary>Service key of the Redis connection membership uses (also used by readiness checks).</summary>
    public const string MembershipConnectionKey = "membership";

    /// <summary>
    /// Keeps cluster membership in Redis (one hash per cluster). <paramref name="configuration"/> is a StackExchange.Redis
    /// configuration string, e.g. <c>localhost:6379,abortConnect=false</c>.
    /// </summary>
    public static ISiloBuilder UseRedisClustering(this ISiloBuilder builder, string configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        return builder.UseClustering(RedisMembershipRegistration.Table(builder.Services, configuration));
    }
}

internal static class RedisMembershipRegistration
{
    /// <summary>Registers the Redis connection for membership and returns a factory of the cluster's table.</summary>
    public static Func<IServiceProvider, IMembershipTable> Table(IServiceCollection services, string configuration)
    {
        services.AddKeyedSingleton<IConnectionMultiplexer>(RedisClusteringExtensions.MembershipConnectionKey, (_, _) => ConnectionMultiplexer.Connect(configuration));
        return sp =>
        {
            var cluster = sp.GetRequiredService<IOptions<ClusterOptions>>().Value;
            return new RedisMembershipTable(sp.GetRequiredKeyedService<IConnectionMultiplexer>(RedisClusteringExtensions.MembershipConnectionKey), cluster.ServiceId, cluster.ClusterId);
        };
    }
}

/// <summary>Redis membership for a cluster client.</summary>
public static class RedisClientClusteringExtensions
{
    /// <summary>Reads cluster membership from Redis, where the silos keep it.</summary>
    public static IClientBuilder UseRedisClustering(this IClientBuilder builder, string configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        return builder.UseClustering(RedisMembershipRegistration.Table(builder.Services, configuration));
    }
}
