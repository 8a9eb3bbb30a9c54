using OrleansSocial.Grains.Users;

namespace OrleansSocial.Host.Tests;

public sealed class PresenceLeasesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_report_overtaken_by_a_newer_one_from_the_same_front_end_is_ignored()
    {
        var leases = new PresenceLeases();

        leases.Report("fe-1", count: 0, version: 8, Now.AddSeconds(20)); // the last connection closed
        leases.Report("fe-1", count: 1, version: 7, Now.AddSeconds(20)); // the connect before it, arriving late

        Assert.False(leases.IsOnline(Now));
        Assert.True(leases.Any);
    }

    [Fact]
    public void Online_while_any_front_end_holds_a_connection_within_its_lease()
    {
        var leases = new PresenceLeases();
        leases.Report("fe-1", count: 2, version: 1, Now.AddSeconds(20));
        leases.Report("fe-2", count: 1, version: 1, Now.AddSeconds(5));

        leases.Report("fe-1", count: 0, version: 2, Now.AddSeconds(20));
        var withSecond = leases.IsOnline(Now.AddSeconds(1));
        leases.Expire(Now.AddSeconds(6)); // fe-2 stopped renewing: it died

        Assert.True(withSecond);
        Assert.False(leases.IsOnline(Now.AddSeconds(6)));
    }

    [Fact]
    public void Front_ends_whose_lease_ran_out_are_forgotten()
    {
        var leases = new PresenceLeases();
        leases.Report("fe-1", count: 1, version: 1, Now.AddSeconds(2));

        leases.Expire(Now.AddSeconds(2));

        Assert.False(leases.Any);
        Assert.False(leases.IsOnline(Now));
    }
}
