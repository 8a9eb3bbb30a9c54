using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Testing;

namespace OrleansSocial.Runtime.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ReturnTypesTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ValueTask_methods_return_their_results_after_completing_asynchronously()
    {
        var grain = fixture.Grains.GetGrain<IReturnTypesGrain>(Random.Shared.NextInt64());

        var echoed = await grain.EchoLater("hello");
        await grain.Remember("kept");

        Assert.Equal("hello", echoed);
        Assert.Equal("kept", await grain.Remembered());
    }

    [Fact]
    public async Task A_grain_reference_returned_from_a_grain_is_usable_by_the_caller()
    {
        var key = Guid.NewGuid();

        var counter = await fixture.Grains.GetGrain<IReturnTypesGrain>(1).CounterFor(key);

        Assert.Equal(1, await counter.Increment());
        Assert.Equal(key, counter.GetPrimaryKey());
        Assert.Equal(1, await counter.AsReference<ICounterGrain>().Peek());
    }

    [Fact]
    public async Task A_completed_task_the_grain_keeps_reaches_the_caller_itself_not_a_copy()
    {
        var grain = fixture.Grains.GetGrain<IReturnTypesGrain>(Random.Shared.NextInt64());
        await grain.Kept("warm"); // activates it: later calls run inline

        var first = grain.Kept("same");
        var second = grain.Kept("same");

        Assert.Same(first, second);
        Assert.Equal("same", await second);
    }

    [Fact]
    public async Task Completed_results_of_calls_in_turn_are_each_their_own()
    {
        var one = fixture.Grains.GetGrain<IReturnTypesGrain>(Random.Shared.NextInt64());
        var two = fixture.Grains.GetGrain<IReturnTypesGrain>(Random.Shared.NextInt64());
        await Task.WhenAll(one.Kept("warm"), two.Kept("warm"));

        Assert.Equal("a", await one.Kept("a"));
        Assert.Equal("b", await two.Kept("b"));
        Assert.Equal("a", await one.Kept("a"));
        Assert.Equal(4, await one.Twice(2));
        Assert.Equal(6, await two.Twice(3));
    }

    [Fact]
    public async Task A_result_an_incoming_filter_replaced_is_what_the_caller_gets()
    {
        var grain = fixture.Grains.GetGrain<IReplacingGrain>(Random.Shared.NextInt64());

        Assert.Equal("replaced x", await grain.Kept("x"));
        Assert.Equal("replaced y", await grain.Kept("y"));
    }

    [Fact]
    public async Task Grain_references_are_made_by_a_compiled_constructor_not_by_reflection_per_reference()
    {
        var first = fixture.Grains.GetGrain<ICounterGrain>(Guid.NewGuid());
        var second = fixture.Grains.GetGrain<ICounterGrain>(Guid.NewGuid());

        Assert.True(GrainReference.IsFactoryCompiled(typeof(ICounterGrain)));
        Assert.NotSame(first, second);
        Assert.Equal(1, await first.Increment());
        Assert.Equal(1, await second.Increment());
    }
}

public sealed class MetricsAndTimeoutTests
{
    [Fact]
    public async Task Runtime_metrics_count_calls_failures_timeouts_durations_and_active_activations()
    {
        await using var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo => silo.AddGrainsFromAssembly<TestSiloConfigurator>()
                .Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(1.5)))
            .Build();
        await cluster.DeployAsync();
        var meterFactory = cluster.ServiceProvider.GetRequiredService<IMeterFactory>();
        var totals = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) => totals.AddOrUpdate(instrument.Name + ".count", 1, (_, v) => v + 1));
        listener.Start();

        var counter = cluster.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid());
        for (var i = 0; i < 5; i++)
        {
            await counter.Increment();
        }

        await Assert.ThrowsAsync<ProfileRuleException>(() => cluster.GrainFactory.GetGrain<IThrowingGrain>(1).ThrowAfterAwait("no"));
        await Assert.ThrowsAsync<TimeoutException>(() => cluster.GrainFactory.GetGrain<ISlowGrain>(1).Sleep(TimeSpan.FromSeconds(4)));
        listener.RecordObservableInstruments();

        Assert.Equal(7, totals.GetValueOrDefault("orleans.calls"));
        Assert.Equal(1, totals.GetValueOrDefault("orleans.call.timeouts"));
        Assert.True(totals.GetValueOrDefault("orleans.call.failures") >= 1);
        Assert.True(totals.GetValueOrDefault("orleans.call.duration.count") >= 6);
        Assert.Equal(3, totals.GetValueOrDefault("orleans.activations.active"));
    }

    [Fact]
    public async Task The_deactivation_timeout_bounds_a_hanging_OnDeactivateAsync_at_shutdown()
    {
        var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo => silo.AddGrainsFromAssembly<TestSiloConfigurator>()
                .Configure<GrainCollectionOptions>(o => o.DeactivationTimeout = TimeSpan.FromMilliseconds(200)))
            .Build();
        await cluster.DeployAsync();
        await cluster.GrainFactory.GetGrain<IStuckGrain>(1).Touch();

        var stop = cluster.StopAllSilosAsync();
        var finished = await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(20)));

        Assert.Same(stop, finished);
        Assert.Equal(0, cluster.Primary.ActivationCount);
        await cluster.DisposeAsync();
    }
}
