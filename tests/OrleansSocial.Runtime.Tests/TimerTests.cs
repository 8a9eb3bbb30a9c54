namespace OrleansSocial.Runtime.Tests;

[Collection(ClusterCollection.Name)]
public sealed class TimerTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Timer_ticks_never_overlap_requests()
    {
        var grain = fixture.Grains.GetGrain<ITimerGrain>("ticker-" + Guid.NewGuid());
        await grain.Start(TimeSpan.FromMilliseconds(1), interleave: false);

        for (var i = 0; i < 20; i++)
        {
            await grain.HoldTurn(5);
        }

        Assert.True(await grain.Ticks() > 0, "the timer should have ticked between requests");
        Assert.Equal(1, await grain.MaxConcurrentTurns());
    }

    [Fact]
    public async Task An_interleaving_timer_ticks_while_a_request_holds_the_turn()
    {
        var grain = fixture.Grains.GetGrain<ITimerGrain>("interleaved-" + Guid.NewGuid());
        await grain.Start(TimeSpan.FromMilliseconds(1), interleave: true);

        var before = await grain.Ticks();
        var during = await grain.HoldTurn(300);

        Assert.True(during > before, "ticks should have run while the request awaited");
        Assert.True(await grain.MaxConcurrentTurns() > 1);
    }

    [Fact]
    public async Task Timers_stop_when_the_activation_deactivates()
    {
        var key = "stopping-" + Guid.NewGuid();
        var grain = fixture.Grains.GetGrain<ITimerGrain>(key);
        await grain.Start(TimeSpan.FromMilliseconds(1), interleave: false);
        await Task.Delay(50);

        await grain.Deactivate();
        await grain.Ticks(); // a new activation, with no timer
        var afterDeactivation = await grain.Ticks();
        await Task.Delay(100);

        Assert.True(afterDeactivation > 0);
        Assert.Equal(afterDeactivation, await grain.Ticks());
    }
}
