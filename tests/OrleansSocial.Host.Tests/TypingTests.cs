using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Conversations;
using OrleansSocial.Realtime;
using Microsoft.Extensions.Time.Testing;
using Orleans;
using Orleans.Streams;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>Typing is hot state only: the real conversation grain on a TestCluster whose clock the test drives.</summary>
public sealed class TypingTests
{
    [Fact]
    public async Task Typing_reaches_the_other_members_and_stops_five_seconds_after_the_last_signal_or_with_a_message()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var connectionString = PostgresServer.Instance.CreateDatabase("typing");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1, silo => silo.Services.AddSingleton<TimeProvider>(clock));
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 4);
        var (typist, other, third, outsider) = (accounts[0], accounts[1], accounts[2], accounts[3]);
        var conversation = cluster.Client.GetGrain<IConversationGrain>(Guid.CreateVersion7());
        await conversation.StartGroupAsync(typist, [other, third], "typing");
        var seen = new ConcurrentQueue<string>();
        var typistSaw = new ConcurrentQueue<string>();
        var streams = cluster.Silos[0].ServiceProvider.GetStreamProvider(UserEvents.Provider);
        await streams.GetStream<UserEvent>(UserEvents.StreamFor(other)).SubscribeAsync((e, _) => { seen.Enqueue(e.Name); return Task.CompletedTask; });
        await streams.GetStream<UserEvent>(UserEvents.StreamFor(typist)).SubscribeAsync((e, _) => { typistSaw.Enqueue(e.Name); return Task.CompletedTask; });

        // Moves the clock, waits (bounded) for the events expected so far, then a little longer for any that should not come.
        // The clock is the silo's: Orleans' grain timers and the streams' pulling agents run on it too, so while waiting
        // it is nudged on by 10 ms every 20 ms (at most a few hundred ms in all, far less than the 5 s being tested).
        async Task<string[]> AfterAsync(TimeSpan advance, int expected)
        {
            clock.Advance(advance);
            for (var i = 0; i < 100 && seen.Count < expected; i++)
            {
                await NudgeAsync();
            }

            for (var i = 0; i < 10; i++)
            {
                await NudgeAsync();
            }

            return [.. seen];
        }

        async Task NudgeAsync()
        {
            await Task.Delay(20);
            clock.Advance(TimeSpan.FromMilliseconds(10));
        }

        await conversation.TypingAsync(typist);
        var started = await AfterAsync(TimeSpan.FromSeconds(3), 1);
        await conversation.TypingAsync(typist);                      // still typing, 3 s in: no second event, and the 5 s start again
        var extended = await AfterAsync(TimeSpan.FromSeconds(3), 1);    // 6 s after the first signal, 3 s after the last
        var stopped = await AfterAsync(TimeSpan.FromSeconds(3), 2);     // 6 s after the last
        await conversation.TypingAsync(typist);
        await conversation.SendAsync(new NewMessage(typist, "t-1", "done typing", null));
        var afterMessage = await AfterAsync(TimeSpan.Zero, 5);

        Assert.Equal([UserEventNames.Typing], started);
        Assert.Equal([UserEventNames.Typing], extended);
        Assert.Equal([UserEventNames.Typing, UserEventNames.TypingStopped], stopped);
        Assert.Equal([UserEventNames.Typing, UserEventNames.TypingStopped, UserEventNames.Typing, UserEventNames.TypingStopped, UserEventNames.Message],
            afterMessage);
        Assert.DoesNotContain(UserEventNames.Typing, typistSaw);     // not echoed to the typist
        await Assert.ThrowsAsync<KeyNotFoundException>(() => conversation.TypingAsync(outsider));
    }
}
