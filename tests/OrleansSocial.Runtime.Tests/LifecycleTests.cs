using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Testing;

namespace OrleansSocial.Runtime.Tests;

[Collection(ClusterCollection.Name)]
public sealed class LifecycleTests(ClusterFixture fixture)
{
    [Fact]
    public async Task OnActivateAsync_completes_before_the_first_request_runs()
    {
        var grain = fixture.Grains.GetGrain<ILifecycleGrain>("first-" + Guid.NewGuid());

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => grain.ActivatedBeforeFirstRequest()));

        Assert.All(results, Assert.True);
    }

    [Fact]
    public async Task A_failing_activation_fails_the_call_leaves_no_activation_and_the_next_call_activates()
    {
        var key = "flaky-" + Guid.NewGuid();
        var grain = fixture.Grains.GetGrain<IFlakyActivationGrain>(key);
        var before = fixture.Cluster.Primary.ActivationCount;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Attempts());

        Assert.Equal("database not reachable on first activation", error.Message);
        Assert.Equal(before, fixture.Cluster.Primary.ActivationCount);
        Assert.Equal(2, await grain.Attempts());
    }

    [Fact]
    public async Task DeactivateOnIdle_runs_OnDeactivateAsync_and_the_next_call_gets_a_new_activation()
    {
        var key = "idle-" + Guid.NewGuid();
        var grain = fixture.Grains.GetGrain<ILifecycleGrain>(key);
        var first = await grain.InstanceId();

        await grain.Deactivate();
        var second = await grain.InstanceId();

        Assert.NotEqual(first, second);
        Assert.Equal(["activated", "deactivated:ApplicationRequested", "activated"], Probe.For(key));
    }

    [Fact]
    public async Task Calls_arriving_while_an_activation_deactivates_are_all_answered_by_the_next_activation()
    {
        // Races a burst of calls against deactivation; a call queued on an activation that has just gone would hang
        // until the 30 s response timeout (this found such a race once in about 50,000 calls).
        for (var round = 0; round < 100; round++)
        {
            var grain = fixture.Grains.GetGrain<ILifecycleGrain>($"burst-{round}-{Guid.NewGuid()}");
            await grain.InstanceId();

            var deactivate = grain.Deactivate();
            var calls = Enumerable.Range(0, 20).Select(_ => Task.Run(() => grain.InstanceId())).ToArray();
            await deactivate;
            var answered = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(20));

            Assert.Equal(20, answered.Length);
        }
    }

    [Fact]
    public async Task Grain_keys_of_each_kind_identify_the_grain()
    {
        var key = Guid.NewGuid();
        Assert.Equal(-42L, await fixture.Grains.GetGrain<IKeysGrain>(-42).Key());
        Assert.Equal(key, fixture.Grains.GetGrain<ICounterGrain>(key).GetPrimaryKey());
        Assert.Equal("k", fixture.Grains.GetGrain<IChainGrain>("k").GetPrimaryKeyString());
        Assert.Equal(fixture.Grains.GetGrain<IChainGrain>("k"), fixture.Grains.GetGrain<IChainGrain>("k"));
    }
}

public sealed class IdleCollectionTests
{
    private static async Task<(TestCluster Cluster, FakeTimeProvider Time)> StartAsync()
    {
        var time = new FakeTimeProvider();
        var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo =>
            {
                silo.Services.AddSingleton<TimeProvider>(time);
                silo.AddGrainsFromAssembly<TestSiloConfigurator>()
                    .Configure<GrainCollectionOptions>(o =>
                    {
                        o.CollectionAge = TimeSpan.FromMinutes(10);
                        o.CollectionQuantum = TimeSpan.FromMinutes(1);
                    });
            })
            .Build();
        await cluster.DeployAsync();
        return (cluster, time);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task An_activation_idle_longer_than_the_collection_age_is_deactivated_with_OnDeactivateAsync()
    {
        var (cluster, time) = await StartAsync();
        await using var _ = cluster;
        var key = "collected-" + Guid.NewGuid();
        await cluster.GrainFactory.GetGrain<ILifecycleGrain>(key).InstanceId();

        time.Advance(TimeSpan.FromMinutes(5));
        await Task.Delay(50);
        Assert.DoesNotContain("deactivated:ActivationIdle", Probe.For(key));

        time.Advance(TimeSpan.FromMinutes(6));
        await WaitForAsync(() => Probe.For(key).Contains("deactivated:ActivationIdle"));

        Assert.Contains("deactivated:ActivationIdle", Probe.For(key));
        Assert.Equal(0, cluster.Primary.ActivationCount);
    }

    [Fact]
    public async Task DelayDeactivation_keeps_an_idle_activation_alive_until_the_delay_passes()
    {
        var (cluster, time) = await StartAsync();
        await using var _ = cluster;
        var key = "delayed-" + Guid.NewGuid();
        await cluster.GrainFactory.GetGrain<ILifecycleGrain>(key).KeepAliveFor(TimeSpan.FromMinutes(30));

        time.Advance(TimeSpan.FromMinutes(20));
        await Task.Delay(50);
        Assert.DoesNotContain("deactivated:ActivationIdle", Probe.For(key));

        time.Advance(TimeSpan.FromMinutes(12));
        await WaitForAsync(() => Probe.For(key).Contains("deactivated:ActivationIdle"));
        Assert.Contains("deactivated:ActivationIdle", Probe.For(key));
    }
}
