using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Testing;

namespace OrleansSocial.Runtime.Tests;

[Collection(ClusterCollection.Name)]
public sealed class SchedulingTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_thousand_concurrent_increments_on_a_non_reentrant_grain_that_awaits_mid_turn_end_at_exactly_a_thousand()
    {
        var counter = fixture.Grains.GetGrain<ICounterGrain>(Guid.NewGuid());

        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => Task.Run(() => counter.Increment())));

        Assert.Equal(1000, await counter.Peek());
        Assert.Equal(Enumerable.Range(1, 1000), results.Order());
        Assert.Equal(1, await counter.MaxConcurrentTurns());
    }

    [Fact]
    public async Task Concurrent_calls_on_a_reentrant_grain_interleave_at_awaits()
    {
        var counter = fixture.Grains.GetGrain<IReentrantCounterGrain>(Guid.NewGuid());

        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => counter.Increment())));

        Assert.True(await counter.MaxConcurrentTurns() > 1, "a reentrant grain should have had several requests in flight at once");
    }

    [Fact]
    public async Task Read_only_requests_run_together_on_a_non_reentrant_grain()
    {
        var counter = fixture.Grains.GetGrain<ICounterGrain>(Guid.NewGuid());

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => counter.SlowRead(50)));

        Assert.True(await counter.ReadOnlyMaxConcurrentTurns() > 1);
    }

    [Fact]
    public async Task An_always_interleave_method_answers_while_a_long_request_holds_the_turn()
    {
        var counter = fixture.Grains.GetGrain<ICounterGrain>(Guid.NewGuid());
        await counter.Increment();

        var holding = counter.HoldTurn(2000);
        var peek = await counter.Peek();

        Assert.Equal(1, peek);
        Assert.False(holding.IsCompleted, "Peek had to wait for the long request instead of interleaving");
        await holding;
    }

    [Fact]
    public async Task A_call_cycle_on_non_reentrant_grains_fails_fast_with_a_deadlock_exception_naming_the_chain()
    {
        var a = $"a-{Guid.NewGuid():N}";
        var b = $"b-{Guid.NewGuid():N}";

        // The default response timeout is 30 s: without detection this call would hang and end in TimeoutException.
        var error = await Assert.ThrowsAsync<DeadlockException>(() => fixture.Grains.GetGrain<IChainGrain>(a).CallThenBack(b, a, allowReentrancy: false));

        Assert.Equal([$"chain/{a}", $"chain/{b}", $"chain/{a}"], error.CallChain.Select(id => id.ToString()));
        Assert.Contains($"chain/{a} -> chain/{b} -> chain/{a}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowCallChainReentrancy_lets_a_call_cycle_back_into_the_waiting_grain()
    {
        var a = $"a-{Guid.NewGuid():N}";
        var b = $"b-{Guid.NewGuid():N}";

        var answer = await fixture.Grains.GetGrain<IChainGrain>(a).CallThenBack(b, a, allowReentrancy: true);

        Assert.Equal($"hello from {a}", answer);
    }

    [Fact]
    public async Task A_chain_through_distinct_grains_without_a_cycle_succeeds()
    {
        var answer = await fixture.Grains.GetGrain<IChainGrain>("x-" + Guid.NewGuid()).CallThenBack("y-" + Guid.NewGuid(), "z-1", allowReentrancy: false);

        Assert.Equal("hello from z-1", answer);
    }

    [Fact]
    public async Task Exception_type_and_message_reach_the_caller()
    {
        var grain = fixture.Grains.GetGrain<IThrowingGrain>(7);

        var afterAwait = await Assert.ThrowsAsync<ProfileRuleException>(() => grain.ThrowAfterAwait("display name taken"));
        var synchronous = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.ThrowSynchronously("too long"));
        var valueTask = await Assert.ThrowsAsync<KeyNotFoundException>(async () => await grain.ValueTaskThrow("no such post"));

        Assert.Equal("display name taken", afterAwait.Message);
        Assert.StartsWith("too long", synchronous.Message, StringComparison.Ordinal);
        Assert.Equal("no such post", valueTask.Message);
    }

    [Fact]
    public async Task A_stateless_worker_runs_up_to_its_limit_of_activations_concurrently()
    {
        var worker = fixture.Grains.GetGrain<IWorkerGrain>(0);

        var instances = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => worker.Work(100)));

        Assert.Equal(4, WorkerGrain.Running.Max);
        Assert.Equal(4, instances.Distinct().Count());
    }

    [Fact]
    public async Task A_slow_grain_method_raises_TimeoutException_at_the_configured_response_timeout()
    {
        await using var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo => silo.AddGrainsFromAssembly<TestSiloConfigurator>()
                .Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(1)))
            .Build();
        await cluster.DeployAsync();
        var slow = cluster.GrainFactory.GetGrain<ISlowGrain>(Random.Shared.NextInt64());

        var error = await Assert.ThrowsAsync<TimeoutException>(() => slow.Sleep(TimeSpan.FromSeconds(4)));

        Assert.Contains("ISlowGrain.Sleep", error.Message, StringComparison.Ordinal);
        Assert.False(await slow.Finished(), "the caller should have given up before the grain finished");
    }
}
