using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Testing;
using OrleansSocial.TestInfrastructure;
using StackExchange.Redis;

namespace OrleansSocial.Runtime.Redis.Tests;

public interface IEchoGrain : IGrainWithIntegerKey
{
    Task<string> Where();
}

public class EchoGrain(ILocalSiloDetails silo) : Grain, IEchoGrain
{
    public Task<string> Where() => Task.FromResult(silo.SiloAddress.ToString());
}

public sealed class RedisClusterTests
{
    [Fact]
    public async Task Three_silos_with_redis_membership_form_a_cluster_spread_grains_and_survive_a_kill()
    {
        var builder = new TestClusterBuilder();
        builder.Options.InitialSilosCount = 3;
        builder.ConfigureSilo(silo => silo.AddGrainsFromAssembly<EchoGrain>().UseRedisClustering(RedisServer.Instance.Configuration));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();

        var placements = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => cluster.GrainFactory.GetGrain<IEchoGrain>(i).Where()));
        Assert.Equal(3, placements.Distinct().Count());

        using var redis = await ConnectionMultiplexer.ConnectAsync(RedisServer.Instance.Configuration);
        var hash = await redis.GetDatabase().HashGetAllAsync($"test-service/members/{builder.Options.ClusterId}");
        Assert.Equal(4, hash.Length); // three silos and the Version field

        var victim = cluster.Silos[2];
        await cluster.KillSiloAsync(victim);
        await cluster.WaitForLivenessToStabilizeAsync();
        var after = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => cluster.GrainFactory.GetGrain<IEchoGrain>(i).Where()));

        Assert.DoesNotContain(victim.SiloAddress.ToString(), after);
        var table = cluster.Silos[0].ServiceProvider.GetRequiredService<IMembershipTable>();
        var rows = (await table.ReadAllAsync(default)).Entries;
        Assert.Equal(SiloStatus.Dead, rows.Single(r => r.Entry.SiloAddress.Equals(victim.SiloAddress)).Entry.Status);
    }
}
