using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Testing;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Runtime.Redis.Tests;

public interface IAnnouncerGrain : IGrainWithStringKey
{
    Task Announce(string streamKey, int count);
}

public class AnnouncerGrain : Grain, IAnnouncerGrain
{
    public async Task Announce(string streamKey, int count)
    {
        var stream = this.GetStreamProvider("redis").GetStream<Announcement>(StreamId.Create("announcements", streamKey));
        for (var i = 0; i < count; i++)
        {
            await stream.OnNextAsync(new Announcement(i, $"event {i}"));
        }
    }
}

public sealed record Announcement(int Number, string Text);

public sealed class RedisStreamTests
{
    [Fact]
    public async Task Events_cross_silos_and_reach_a_cluster_client_over_redis_in_order()
    {
        var builder = new TestClusterBuilder();
        builder.Options.InitialSilosCount = 2;
        builder.ConfigureSilo(silo => silo.AddGrainsFromAssembly<AnnouncerGrain>().AddRedisStreams("redis", RedisServer.Instance.Configuration));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        using var clientHost = await cluster.StartClientAsync(client => client
            .AddGrainsFromAssembly<AnnouncerGrain>()
            .AddRedisStreams("redis", RedisServer.Instance.Configuration));
        var key = Guid.NewGuid().ToString("N");
        var onSilo = new ConcurrentQueue<Announcement>();
        var onClient = new ConcurrentQueue<Announcement>();
        var id = StreamId.Create("announcements", key);
        await cluster.Silos[1].ServiceProvider.GetStreamProvider("redis").GetStream<Announcement>(id)
            .SubscribeAsync(a => { onSilo.Enqueue(a); return Task.CompletedTask; });
        await clientHost.Services.GetRequiredService<IClusterClient>().GetStreamProvider("redis").GetStream<Announcement>(id)
            .SubscribeAsync(a => { onClient.Enqueue(a); return Task.CompletedTask; });

        await cluster.Silos[0].GrainFactory.GetGrain<IAnnouncerGrain>("a-" + key).Announce(key, 300);
        for (var i = 0; i < 400 && (onSilo.Count < 300 || onClient.Count < 300); i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(Enumerable.Range(0, 300), onSilo.Select(a => a.Number));
        Assert.Equal(Enumerable.Range(0, 300), onClient.Select(a => a.Number));
        Assert.Equal("event 299", onClient.Last().Text);
    }

    [Fact]
    public async Task A_process_not_subscribed_to_a_stream_receives_nothing_from_it()
    {
        var builder = new TestClusterBuilder();
        builder.ConfigureSilo(silo => silo.AddGrainsFromAssembly<AnnouncerGrain>().AddRedisStreams("redis", RedisServer.Instance.Configuration));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var provider = cluster.ServiceProvider.GetStreamProvider("redis");
        var mine = new ConcurrentQueue<Announcement>();
        var myKey = Guid.NewGuid().ToString("N");
        await provider.GetStream<Announcement>(StreamId.Create("announcements", myKey)).SubscribeAsync(a => { mine.Enqueue(a); return Task.CompletedTask; });

        await cluster.GrainFactory.GetGrain<IAnnouncerGrain>("other").Announce(Guid.NewGuid().ToString("N"), 5);
        await cluster.GrainFactory.GetGrain<IAnnouncerGrain>("mine").Announce(myKey, 1);
        for (var i = 0; i < 200 && mine.IsEmpty; i++)
        {
            await Task.Delay(25);
        }

        await Task.Delay(100);
        Assert.Equal([0], mine.Select(a => a.Number));
    }
}
