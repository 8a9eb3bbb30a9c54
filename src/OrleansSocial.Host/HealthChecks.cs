using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Orleans.Runtime;
using StackExchange.Redis;

namespace OrleansSocial.Host;

/// <summary>Ready when this silo is Active in the cluster's membership.</summary>
internal sealed class SiloHealthCheck(IClusterMembershipService membership, ILocalSiloDetails local) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"silo {local.SiloAddress} is Active")
            : HealthCheckResult.Unhealthy($"silo {local.SiloAddress} is {status}"));
    }
}

/// <summary>Ready when the cluster answers this client: the management grain lists at least one active silo.</summary>
internal sealed class GatewayHealthCheck(IClusterClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(true, cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"{hosts.Count} active silos")
                : HealthCheckResult.Unhealthy("no active silo");
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or SiloUnavailableException)
        {
            return HealthCheckResult.Unhealthy("the cluster does not answer: " + e.Message);
        }
    }
}

/// <summary>
/// Degraded while the silo's fan-out is further behind than <see cref="OrleansSocial.Timelines.TimelineOptions.FanoutLagDegradedSeconds"/>:
/// requests are still answered, but new posts reach followers' timelines and live events late.
/// </summary>
internal sealed class FanoutHealthCheck(OrleansSocial.Grains.Timelines.TimelineFanout fanout, OrleansSocial.Timelines.TimelineOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var lag = fanout.Lag;
        var description = $"fan-out lag {lag.TotalSeconds:F1} s, {fanout.Queued} posts queued";
        return Task.FromResult(lag.TotalSeconds > options.FanoutLagDegradedSeconds
            ? HealthCheckResult.Degraded(description + $" (more than {options.FanoutLagDegradedSeconds:F0} s behind)")
            : HealthCheckResult.Healthy(description));
    }
}

/// <summary>Ready when PostgreSQL answers a query (through the front end's own connection pool).</summary>
internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("PostgreSQL answers");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer: " + e.Message);
        }
    }
}

/// <summary>Ready when Redis answers PING (on the membership connection the process already holds).</summary>
internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public const string ConnectionKey = "health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync().ConfigureAwait(false);
            return HealthCheckResult.Healthy($"Redis answers in {latency.TotalMilliseconds:F1} ms");
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis does not answer: " + e.Message);
        }
    }
}
