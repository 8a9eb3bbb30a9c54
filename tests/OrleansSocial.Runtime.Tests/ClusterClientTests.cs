using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Testing;

namespace OrleansSocial.Runtime.Tests;

public sealed class ClusterClientTests
{
    [Fact]
    public async Task A_cluster_client_calls_grains_on_every_silo_and_fails_over_when_a_silo_stops()
    {
        var builder = new TestClusterBuilder();
        builder.Options.InitialSilosCount = 3;
        builder.ConfigureSilo(silo => silo.AddGrainsFromAssembly<TestSiloConfigurator>().AddMemoryGrainStorageAsDefault());
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        using var clientHost = await cluster.StartClientAsync(client => client.AddGrainsFromAssembly<TestSiloConfigurator>());
        var client = clientHost.Services.GetRequiredService<IClusterClient>();
        var keys = Enumerable.Range(0, 30).Select(i => $"client-{Guid.NewGuid():N}-{i}").ToList();

        var before = new List<string>();
        foreach (var key in keys)
        {
            before.Add(await client.GetGrain<ISiloProbeGrain>(key).Silo());
        }

        Assert.Equal(3, before.Distinct().Count());
        var leaving = cluster.Silos.Single(s => s.SiloAddress.ToString() == before[0]);
        await cluster.StopSiloAsync(leaving);

        var after = new List<string>();
        foreach (var key in keys)
        {
            after.Add(await RetryAsync(() => client.GetGrain<ISiloProbeGrain>(key).Silo()));
        }

        Assert.DoesNotContain(leaving.SiloAddress.ToString(), after);
        Assert.Equal(2, after.Distinct().Count());
    }

    [Fact]
    public async Task Exceptions_and_results_reach_a_cluster_client_with_their_types()
    {
        var builder = new TestClusterBuilder();
        builder.Options.InitialSilosCount = 2;
        builder.ConfigureSilo(silo => silo.AddGrainsFromAssembly<TestSiloConfigurator>().AddMemoryGrainStorageAsDefault());
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        using var clientHost = await cluster.StartClientAsync(client => client.AddGrainsFromAssembly<TestSiloConfigurator>());
        var client = clientHost.Services.GetRequiredService<IClusterClient>();

        var counter = await client.GetGrain<IReturnTypesGrain>(5).CounterFor(Guid.NewGuid());
        Assert.Equal(1, await counter.Increment());
        Assert.Equal("echo", await client.GetGrain<IReturnTypesGrain>(5).EchoLater("echo"));
        var error = await Assert.ThrowsAsync<KeyNotFoundException>(async () => await client.GetGrain<IThrowingGrain>(3).ValueTaskThrow("missing"));
        Assert.Equal("missing", error.Message);
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (SiloUnavailableException) when (attempt < 100)
            {
                await Task.Delay(100);
            }
        }
    }
}
