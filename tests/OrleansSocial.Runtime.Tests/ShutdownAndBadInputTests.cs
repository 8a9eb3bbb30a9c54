using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Runtime.Testing;

namespace OrleansSocial.Runtime.Tests;

public sealed class ShutdownAndBadInputTests
{
    private static async Task<TestCluster> StartAsync()
    {
        var cluster = new TestClusterBuilder().AddSiloBuilderConfigurator<TestSiloConfigurator>().Build();
        await cluster.DeployAsync();
        return cluster;
    }

    [Fact]
    public async Task Graceful_shutdown_runs_OnDeactivateAsync_for_every_activation()
    {
        var cluster = await StartAsync();
        var keys = Enumerable.Range(0, 50).Select(i => $"shutdown-{i}-{Guid.NewGuid()}").ToArray();
        await Task.WhenAll(keys.Select(k => cluster.GrainFactory.GetGrain<ILifecycleGrain>(k).InstanceId()));

        await cluster.StopAllSilosAsync();

        Assert.All(keys, k => Assert.Contains("deactivated:ShuttingDown", Probe.For(k)));
        Assert.Equal(0, cluster.Primary.ActivationCount);
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task State_written_in_OnDeactivateAsync_at_shutdown_is_persisted()
    {
        var cluster = await StartAsync();
        var storage = cluster.ServiceProvider.GetRequiredKeyedService<IGrainStorage>("Default");
        var profile = cluster.GrainFactory.GetGrain<IProfileGrain>("erin-" + Guid.NewGuid());
        await profile.Rename("Erin");

        await cluster.StopAllSilosAsync();
        var stored = new GrainState<ProfileState>(new ProfileState());
        await storage.ReadStateAsync("profile", profile.GetGrainId(), stored);

        Assert.Equal("Erin (saved at shutdown)", stored.State.DisplayName);
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task An_exception_in_OnDeactivateAsync_does_not_block_shutdown()
    {
        var cluster = await StartAsync();
        var key = "throws-" + Guid.NewGuid();
        var other = "fine-" + Guid.NewGuid();
        await cluster.GrainFactory.GetGrain<ILifecycleGrain>(key).InstanceId();
        await cluster.GrainFactory.GetGrain<ILifecycleGrain>(other).InstanceId();

        await cluster.StopAllSilosAsync();

        Assert.Contains("deactivated:ShuttingDown", Probe.For(key));
        Assert.Contains("deactivated:ShuttingDown", Probe.For(other));
        Assert.Equal(0, cluster.Primary.ActivationCount);
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task Calls_after_shutdown_fail_with_SiloUnavailableException()
    {
        var cluster = await StartAsync();
        var grain = cluster.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid());
        await grain.Increment();

        await cluster.StopAllSilosAsync();

        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => grain.Increment());
        Assert.Contains("stopped", error.Message, StringComparison.Ordinal);
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task GetGrain_for_an_interface_no_grain_class_implements_names_the_interface()
    {
        await using var cluster = await StartAsync();

        var error = Assert.Throws<ArgumentException>(() => cluster.GrainFactory.GetGrain<IOrphanGrain>("x"));

        Assert.Contains(typeof(IOrphanGrain).FullName!, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Null_or_empty_string_keys_are_rejected()
    {
        await using var cluster = await StartAsync();

        Assert.Throws<ArgumentException>(() => cluster.GrainFactory.GetGrain<IChainGrain>(""));
        Assert.Throws<ArgumentNullException>(() => cluster.GrainFactory.GetGrain<IChainGrain>((string)null!));
    }

    [Fact]
    public void A_grain_cannot_be_constructed_outside_the_runtime()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new CounterGrain());

        Assert.Contains("GetGrain", error.Message, StringComparison.Ordinal);
    }
}
