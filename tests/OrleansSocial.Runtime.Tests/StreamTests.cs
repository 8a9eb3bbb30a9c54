using Microsoft.Extensions.DependencyInjection;
using System.Collections.Concurrent;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Testing;

namespace OrleansSocial.Runtime.Tests;

public sealed class StreamTests
{
    private const string Provider = "events";

    private static async Task<TestCluster> StartAsync(int silos)
    {
        var builder = new TestClusterBuilder();
        builder.Options.InitialSilosCount = (short)silos;
        builder.ConfigureSilo(silo => silo.AddGrainsFromAssembly<TestSiloConfigurator>().AddMemoryStreams(Provider));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }
    }

    [Fact]
    public async Task Events_a_grain_publishes_reach_a_subscriber_on_another_silo_in_order()
    {
        await using var cluster = await StartAsync(2);
        var key = Guid.NewGuid().ToString("N");
        var received = new ConcurrentQueue<int>();
        var stream = cluster.Silos[1].ServiceProvider.GetStreamProvider(Provider).GetStream<int>(StreamId.Create("numbers", key));
        await stream.SubscribeAsync(n =>
        {
            received.Enqueue(n);
            return Task.CompletedTask;
        });

        await cluster.Silos[0].GrainFactory.GetGrain<IStreamGrain>("publisher-" + key).Publish(Provider, key, 200);
        await WaitUntilAsync(() => received.Count == 200);

        Assert.Equal(Enumerable.Range(0, 200), received);
    }

    [Fact]
    public async Task A_grain_subscriber_receives_events_as_turns_never_alongside_its_requests()
    {
        await using var cluster = await StartAsync(1);
        var key = Guid.NewGuid().ToString("N");
        var listener = cluster.GrainFactory.GetGrain<IStreamGrain>("listener-" + key);
        await listener.Listen(Provider, key);

        var publishing = cluster.GrainFactory.GetGrain<IStreamGrain>("publisher-" + key).Publish(Provider, key, 100);
        var busy = Enumerable.Range(0, 20).Select(_ => listener.Busy(2)).ToArray();
        await publishing;
        await Task.WhenAll(busy);
        for (var i = 0; i < 200 && (await listener.Received()).Count < 100; i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(Enumerable.Range(0, 100), await listener.Received());
        Assert.Equal(1, await listener.MaxConcurrentTurns());
    }

    [Fact]
    public async Task Unsubscribing_stops_delivery()
    {
        await using var cluster = await StartAsync(1);
        var stream = cluster.ServiceProvider.GetStreamProvider(Provider).GetStream<string>(StreamId.Create("words", Guid.NewGuid()));
        var received = new ConcurrentQueue<string>();
        var handle = await stream.SubscribeAsync(w =>
        {
            received.Enqueue(w);
            return Task.CompletedTask;
        });
        await stream.OnNextAsync("first");
        await WaitUntilAsync(() => received.Count == 1);

        await handle.UnsubscribeAsync();
        await stream.OnNextAsync("second");
        await Task.Delay(200);

        Assert.Equal(["first"], received);
        Assert.Empty(await stream.GetAllSubscriptionHandles());
    }

    [Fact]
    public async Task A_grains_subscription_ends_with_its_activation()
    {
        await using var cluster = await StartAsync(1);
        var key = Guid.NewGuid().ToString("N");
        var listener = cluster.GrainFactory.GetGrain<IStreamGrain>("leaving-" + key);
        await listener.Listen(Provider, key);
        var stream = cluster.ServiceProvider.GetStreamProvider(Provider).GetStream<int>(StreamId.Create("numbers", key));
        Assert.Single(await stream.GetAllSubscriptionHandles());

        await listener.Deactivate();
        await stream.OnNextAsync(1); // delivered to a gone activation: the subscription notices and ends
        for (var i = 0; i < 200 && (await stream.GetAllSubscriptionHandles()).Count > 0; i++)
        {
            await Task.Delay(25);
        }

        Assert.Empty(await stream.GetAllSubscriptionHandles());
        Assert.Empty(await listener.Received()); // the new activation never subscribed
    }

    [Fact]
    public void Asking_for_an_unregistered_stream_provider_names_it()
    {
        IServiceProvider services = new ServiceCollection().BuildServiceProvider();

        var error = Assert.Throws<KeyNotFoundException>(() => services.GetStreamProvider("nope"));

        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
    }
}
