using OrleansSocial.Grains.Users;
using OrleansSocial.Users;

namespace OrleansSocial.Host.Tests;

public sealed class RelationSummaryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static Relationship Following(long other, bool following) => new(other, following, false, false, false, false, false, false, null);

    [Fact]
    public void A_change_older_than_the_one_held_for_the_pair_is_ignored()
    {
        var summary = new RelationSummary();
        summary.Load(10, []);

        summary.Apply(Following(7, true), version: 12);
        summary.Apply(Following(7, false), version: 11); // arrived late: the follow of version 12 came after it

        Assert.True(summary.Get(7, Now).Following);
    }

    [Fact]
    public void A_change_to_another_pair_does_not_hide_a_late_change_to_this_one()
    {
        var summary = new RelationSummary();
        summary.Load(10, []);

        summary.Apply(Following(8, true), version: 13);
        summary.Apply(Following(7, true), version: 12);

        Assert.True(summary.Get(7, Now).Following);
        Assert.True(summary.Get(8, Now).Following);
    }

    [Fact]
    public void Changes_pushed_while_loading_survive_an_older_snapshot_and_yield_to_a_newer_one()
    {
        var summary = new RelationSummary();
        summary.Apply(Following(7, true), version: 21);   // newer than the snapshot below: kept
        summary.Apply(Following(8, true), version: 15);   // the snapshot already includes what came after it: replaced
        summary.Load(20, [new RelationRow(RelationKind.Blocking, 9, null)]);
        summary.Apply(Following(9, true), version: 19);   // older than the snapshot: ignored

        Assert.True(summary.IsLoaded);
        Assert.True(summary.Get(7, Now).Following);
        Assert.False(summary.Get(8, Now).Following);
        Assert.Equal(new RelationFacts(false, true, false, false), summary.Get(9, Now));
    }

    [Fact]
    public void A_mute_counts_until_it_expires_and_blocks_count_either_way()
    {
        var summary = new RelationSummary();
        summary.Load(5, [
            new RelationRow(RelationKind.Muting, 7, Now.AddMinutes(10)),
            new RelationRow(RelationKind.Muting, 8, null),
            new RelationRow(RelationKind.BlockedBy, 9, null),
            new RelationRow(RelationKind.Following, 10, null),
        ]);

        Assert.True(summary.Get(7, Now).Muting);
        Assert.False(summary.Get(7, Now.AddMinutes(11)).Muting);
        Assert.True(summary.Get(8, Now.AddYears(5)).Muting);
        Assert.True(summary.Get(9, Now).BlockedEitherWay);
        Assert.Equal([10L], summary.FolloweeIds);
        Assert.Equal(RelationFacts.None, summary.Get(11, Now));
    }

    [Fact]
    public void The_muted_list_follows_changes_and_drops_a_mute_once_it_runs_out()
    {
        var summary = new RelationSummary();
        summary.Load(5, [new RelationRow(RelationKind.Muting, 7, Now.AddMinutes(10)), new RelationRow(RelationKind.Following, 10, null)]);

        var first = summary.Muting(Now);
        var again = summary.Muting(Now.AddMinutes(1));
        summary.Apply(new Relationship(8, false, false, false, false, false, false, true, null), version: 6);
        var afterMute = summary.Muting(Now.AddMinutes(2));
        var afterExpiry = summary.Muting(Now.AddMinutes(10));

        Assert.Equal([7L], first);
        Assert.Same(first, again);
        Assert.Equal([7L, 8L], afterMute.Order());
        Assert.Equal([8L], afterExpiry);
    }
}
