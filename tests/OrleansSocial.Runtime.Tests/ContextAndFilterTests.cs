using Microsoft.Extensions.DependencyInjection;

namespace OrleansSocial.Runtime.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ContextAndFilterTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Request_context_values_flow_to_the_callee_and_onward()
    {
        RequestContext.Set("trace", "abc-123");
        try
        {
            var direct = await fixture.Grains.GetGrain<IChainGrain>("rc-" + Guid.NewGuid()).ReadRequestContext("trace", null);
            var forwarded = await fixture.Grains.GetGrain<IChainGrain>("rc-" + Guid.NewGuid()).ReadRequestContext("trace", "rc-next-" + Guid.NewGuid());

            Assert.Equal("abc-123", direct);
            Assert.Equal("abc-123", forwarded);
        }
        finally
        {
            RequestContext.Clear();
        }
    }

    private static readonly AsyncLocal<string?> CallersOwn = new();

    [Fact]
    public async Task Request_context_values_set_by_the_callee_do_not_flow_back()
    {
        await fixture.Grains.GetGrain<IChainGrain>("rc-back-" + Guid.NewGuid()).SetRequestContextInCallee("leak");

        Assert.Null(RequestContext.Get("leak"));
    }

    [Fact]
    public async Task After_a_call_completed_inline_the_callers_own_context_is_as_it_was()
    {
        RequestContext.Set("mine", "kept");
        CallersOwn.Value = "also kept";
        try
        {
            await fixture.Grains.GetGrain<IChainGrain>("rc-keep-" + Guid.NewGuid()).SetRequestContextInCallee("theirs");

            Assert.Equal("kept", RequestContext.Get("mine"));
            Assert.Null(RequestContext.Get("theirs"));
            Assert.Equal("also kept", CallersOwn.Value);
        }
        finally
        {
            RequestContext.Clear();
            CallersOwn.Value = null;
        }
    }

    [Fact]
    public async Task Incoming_and_outgoing_filters_see_every_call()
    {
        var log = fixture.Cluster.ServiceProvider.GetRequiredService<CallLog>();
        var a = "f-" + Guid.NewGuid();
        var b = "g-" + Guid.NewGuid();

        await fixture.Grains.GetGrain<IChainGrain>(a).CallBack(b);

        Assert.Contains($"chain/{a}:IChainGrain.CallBack", log.Incoming);
        Assert.Contains($"chain/{b}:IChainGrain.Hello", log.Incoming);
        Assert.Contains($"client->chain/{a}:IChainGrain.CallBack", log.Outgoing);
        Assert.Contains($"chain/{a}->chain/{b}:IChainGrain.Hello", log.Outgoing);
    }
}
