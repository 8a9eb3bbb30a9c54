using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using OrleansSocial.Runtime;
using StackExchange.Redis;

namespace OrleansSocial.Host;

/// <summary>Ready when this silo is Active in the cluster (silo roles) or some silo is Active (front-end role).</summary>
internal sealed class MembershipHealthCheck(IClusterMembershipService membership, ILocalSiloDetails local, bool isSilo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var view = membership.CurrentView;
        if (isSilo)
        {
            var status = view.Members.GetValueOrDefault(local.SiloAddress);
            return Task.FromResult(status == SiloStatus.Active
                ? HealthCheckResult.Healthy($"silo {local.SiloAddress} is Active")
                : HealthCheckResult.Unhealthy($"silo {local.SiloAddress} is {status}"));
        }

        return Task.FromResult(view.ActiveSilos.Length > 0
            ? HealthCheckResult.Healthy($"{view.ActiveSilos.Length} active silos")
            : HealthCheckResult.Unhealthy("no active silo"));
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
