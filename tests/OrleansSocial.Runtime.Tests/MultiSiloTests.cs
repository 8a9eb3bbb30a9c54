using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Storage;
using OrleansSocial.Runtime.Testing;

namespace OrleansSocial.Runtime.Tests;

public sealed class MultiSiloTests
{
    private static async Task<TestCluster> StartAsync(int silos)
    {
        // One storage shared by every silo, as a database would be.
        var storage = new MemoryGrainStorage("Default", new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var builder = new TestClusterBuilder();
        builder.Options.InitialSilosCount = (short)silos;
        builder.ConfigureSilo(silo =>
        {
            silo.AddGrainsFromAssembly<TestSiloConfigurator>();
            silo.Services.AddKeyedSingleton<IGrainStorage>("Default", storage);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static SiloAddress OwnerOf(TestCluster cluster, IAddressable grain) =>
        cluster.Primary.ServiceProvider.GetRequiredService<IPlacementDirector>().GetOwner(grain.GetGrainId(), cluster.Primary.View)!;

    /// <summary>Keys whose grains the given silo owns.</summary>
    private static List<string> KeysOwnedBy(TestCluster cluster, SiloHandle silo, int count, string prefix) =>
        Enumerable.Range(0, 10_000).Select(i => $"{prefix}-{i}")
            .Where(k => OwnerOf(cluster, cluster.GrainFactory.GetGrain<ISiloProbeGrain>(k)).Equals(silo.SiloAddress))
            .Take(count).ToList();

    [Fact]
    public async Task Calls_results_exceptions_references_and_request_context_cross_silos()
    {
        await using var cluster = await StartAsync(3);
        var remote = cluster.Silos[1];
        var key = KeysOwnedBy(cluster, remote, 1, "cross")[0];
        var local = KeysOwnedBy(cluster, cluster.Silos[0], 1, "home")[0];
        var grain = cluster.Silos[0].GrainFactory.GetGrain<ISiloProbeGrain>(key);

        Assert.Equal(remote.SiloAddress.ToString(), await grain.Silo());
        Assert.Equal(1, await grain.Increment());
        var error = await Assert.ThrowsAsync<ProfileRuleException>(() => grain.Fail("name taken"));
        Assert.Equal("name taken", error.Message);
        Assert.Equal(cluster.Silos[0].SiloAddress.ToString(), await grain.CallOther(cluster.GrainFactory.GetGrain<ISiloProbeGrain>(local)));
        RequestContext.Set("trace", "t-42");
        try
        {
            Assert.Equal("t-42", await grain.ReadContext("trace"));
        }
        finally
        {
            RequestContext.Clear();
        }
    }

    [Fact]
    public async Task A_request_that_waited_past_its_callers_deadline_on_another_silo_is_not_run()
    {
        var builder = new TestClusterBuilder();
        builder.Options.InitialSilosCount = 2;
        var configured = 0;
        builder.ConfigureSilo(silo =>
        {
            silo.AddGrainsFromAssembly<TestSiloConfigurator>();

            // Only the calling silo is impatient; the grain's silo would wait 30 s on its own account.
            if (configured++ == 0)
            {
                silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMilliseconds(500));
            }
        });
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var caller = cluster.Silos[0];
        var placement = caller.ServiceProvider.GetRequiredService<IPlacementDirector>();
        var counter = Enumerable.Range(0, 1000).Select(_ => caller.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid()))
            .First(g => cluster.Silos[1].SiloAddress.Equals(placement.GetOwner(g.GetGrainId(), caller.View)));

        // Warm up: the first call between the silos (connection, serializers, JIT) may itself exceed 500 ms.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Assert.Equal(0, await counter.Peek());
                break;
            }
            catch (TimeoutException) when (attempt < 20)
            {
            }
        }

        var holding = counter.HoldTurn(2000);
        await Task.Delay(200); // HoldTurn is running on silo 1
        await Assert.ThrowsAsync<TimeoutException>(() => counter.Increment()); // queued on silo 1 behind HoldTurn
        await Assert.ThrowsAsync<TimeoutException>(() => holding);
        await Task.Delay(2000); // HoldTurn has finished; the queued Increment would run now if its deadline were ignored

        Assert.Equal(0, await counter.Peek());
    }

    [Fact]
    public async Task A_call_cycle_across_silos_raises_DeadlockException()
    {
        await using var cluster = await StartAsync(2);
        var a = KeysOwnedBy(cluster, cluster.Silos[0], 1, "cycle-a")[0];
        var b = KeysOwnedBy(cluster, cluster.Silos[1], 1, "cycle-b")[0];

        var error = await Assert.ThrowsAsync<DeadlockException>(() =>
            cluster.GrainFactory.GetGrain<ISiloProbeGrain>(a).CallBackThrough(b, a));

        Assert.Contains($"siloprobe/{a}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_in_flight_to_a_silo_that_dies_fails_promptly_with_SiloUnavailableException()
    {
        await using var cluster = await StartAsync(2);
        var victim = cluster.Silos[1];
        var key = KeysOwnedBy(cluster, victim, 1, "inflight")[0];
        var call = cluster.Silos[0].GrainFactory.GetGrain<ISiloProbeGrain>(key).Sleep(TimeSpan.FromSeconds(20));
        await Task.Delay(200);

        await cluster.KillSiloAsync(victim);

        // The response timeout is 30 s and the grain sleeps 20 s: only the broken connection can end the call now.
        await Assert.ThrowsAsync<SiloUnavailableException>(() => call);
    }

    [Fact]
    public async Task A_grain_of_a_killed_silo_reactivates_elsewhere_with_its_last_written_state()
    {
        await using var cluster = await StartAsync(3);
        var victim = cluster.Silos[2];
        var keys = KeysOwnedBy(cluster, victim, 5, "survivor");
        foreach (var key in keys)
        {
            await cluster.Silos[0].GrainFactory.GetGrain<ISiloProbeGrain>(key).Increment();
            await cluster.Silos[0].GrainFactory.GetGrain<ISiloProbeGrain>(key).Increment();
        }

        await cluster.KillSiloAsync(victim);
        await cluster.WaitForLivenessToStabilizeAsync();

        foreach (var key in keys)
        {
            var grain = cluster.Silos[0].GrainFactory.GetGrain<ISiloProbeGrain>(key);
            Assert.NotEqual(victim.SiloAddress.ToString(), await grain.Silo());
            Assert.Equal(2, await grain.Count());
            Assert.DoesNotContain(Probe.For(key), e => e.StartsWith("deactivated", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_joining_silo_takes_over_some_grains_and_each_grain_then_has_one_activation()
    {
        await using var cluster = await StartAsync(2);
        var keys = Enumerable.Range(0, 60).Select(i => $"join-{Guid.NewGuid():N}-{i}").ToList();
        foreach (var key in keys)
        {
            await cluster.GrainFactory.GetGrain<ISiloProbeGrain>(key).Increment();
        }

        var joined = await cluster.StartAdditionalSiloAsync();
        await cluster.WaitForLivenessToStabilizeAsync();
        var placements = new List<string>();
        foreach (var key in keys)
        {
            placements.Add(await cluster.GrainFactory.GetGrain<ISiloProbeGrain>(key).Silo());
        }

        var moved = keys.Where((k, i) => placements[i] == joined.SiloAddress.ToString()).ToList();
        Assert.NotEmpty(moved);
        Assert.All(moved, k => Assert.Contains(Probe.For(k), e => e.StartsWith("deactivated:Migrating", StringComparison.Ordinal)));
        for (var i = 0; i < 100 && cluster.Silos.Sum(s => s.ActivationCount) != keys.Count; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(keys.Count, cluster.Silos.Sum(s => s.ActivationCount));
        foreach (var key in moved)
        {
            Assert.Equal(1, await cluster.GrainFactory.GetGrain<ISiloProbeGrain>(key).Count());
        }
    }

    [Fact]
    public async Task A_graceful_stop_runs_OnDeactivateAsync_for_the_moving_grains_and_they_continue_elsewhere()
    {
        await using var cluster = await StartAsync(3);
        var leaving = cluster.Silos[1];
        var keys = KeysOwnedBy(cluster, leaving, 5, $"leave-{Guid.NewGuid():N}");
        foreach (var key in keys)
        {
            await cluster.Silos[0].GrainFactory.GetGrain<ISiloProbeGrain>(key).Increment();
        }

        await cluster.StopSiloAsync(leaving);
        await cluster.WaitForLivenessToStabilizeAsync();

        foreach (var key in keys)
        {
            Assert.Contains($"deactivated:ShuttingDown@{leaving.SiloAddress}", Probe.For(key));
            var grain = cluster.Silos[0].GrainFactory.GetGrain<ISiloProbeGrain>(key);
            Assert.Equal(2, await grain.Increment());
            Assert.NotEqual(leaving.SiloAddress.ToString(), await grain.Silo());
        }
    }
}
