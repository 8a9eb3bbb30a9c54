using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using OrleansSocial.Grains.Timelines;
using OrleansSocial.Posts;
using OrleansSocial.Realtime;
using OrleansSocial.Timelines;
using OrleansSocial.TestInfrastructure;
using OrleansSocial.Users;

namespace OrleansSocial.Host.Tests;

/// <summary>Fan-out reaches beyond timeline rows only to the accounts the audience directory lists.</summary>
public sealed class AudienceDirectoryTests
{
    private static async Task<int> ActivationsAsync(Orleans.TestingHost.InProcessTestCluster cluster, string grainType)
    {
        var stats = await cluster.Client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return stats.Where(s => s.GrainType.Contains(grainType, StringComparison.Ordinal)).Sum(s => s.ActivationCount);
    }

    private static async Task<FanoutResult> FannedOutAsync(Orleans.TestingHost.InProcessTestCluster cluster, Guid post)
    {
        var fanout = cluster.Silos[0].ServiceProvider.GetRequiredService<TimelineFanout>();
        for (var i = 0; i < 200; i++)
        {
            if (fanout.ResultOf(post) is { } done)
            {
                return done;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("the fan-out did not finish");
    }

    private static PageQuery Page => new(20);

    [Fact]
    public async Task A_post_to_followers_who_are_neither_connected_nor_reading_activates_none_of_their_timelines_and_publishes_to_none_of_them()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("audience");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 42);
        var (author, reader, live, away) = (accounts[0], accounts[1], accounts[2], accounts[3..]);
        foreach (var follower in accounts[1..])
        {
            await cluster.Client.GetGrain<IUserGrain>(follower).FollowAsync(author);
        }

        foreach (var follower in away.Append(live).Append(author)) // following merged into their timelines: gone idle since
        {
            await cluster.DeactivateAsync(cluster.Client.GetGrain<ITimelineGrain>(follower));
        }

        Assert.Empty(await cluster.Client.GetGrain<ITimelineGrain>(reader).ReadAsync(Page)); // loaded, and so listed
        var events = new ConcurrentQueue<UserEvent>();
        await cluster.Silos[0].ServiceProvider.ListenAsConnectedAsync(live, events.Enqueue);
        var timelinesBefore = await ActivationsAsync(cluster, nameof(TimelineGrain));
        var streamsBefore = await ActivationsAsync(cluster, "PubSubRendezvousGrain");

        var post = Guid.CreateVersion7();
        await cluster.Client.GetGrain<IPostGrain>(post).CreateAsync(new NewPost(author, "to everyone who follows", PostVisibility.Public, null, null));
        var result = await FannedOutAsync(cluster, post);
        var timelinesAfter = await ActivationsAsync(cluster, nameof(TimelineGrain));
        var streamsAfter = await ActivationsAsync(cluster, "PubSubRendezvousGrain");
        var readerSees = await cluster.Client.GetGrain<ITimelineGrain>(reader).ReadAsync(Page);
        for (var i = 0; i < 100 && !events.Any(e => e.Name == UserEventNames.Update); i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(42, result.Deliveries); // every follower's row, and the author's own
        Assert.Equal(1, timelinesBefore);
        Assert.Equal(timelinesBefore, timelinesAfter);
        Assert.Equal(streamsBefore, streamsAfter);
        Assert.Equal(post, Assert.Single(readerSees).Post.Id);
        Assert.Single(events, e => e.Name == UserEventNames.Update);
        foreach (var follower in away.Take(5))
        {
            Assert.Equal(post, Assert.Single(await cluster.Client.GetGrain<ITimelineGrain>(follower).ReadAsync(Page)).Post.Id);
        }
    }

    [Fact]
    public async Task A_timeline_held_in_memory_reads_its_entries_afresh_after_the_directory_partition_that_listed_it_restarts()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("audience_epoch");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1,
            silo => silo.Services.AddSingleton(new TimelineOptions { DirectoryCheckSeconds = 1 }));
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 2);
        var (author, reader) = (accounts[0], accounts[1]);
        await cluster.Client.GetGrain<IUserGrain>(reader).FollowAsync(author);
        var timeline = cluster.Client.GetGrain<ITimelineGrain>(reader);
        Assert.Empty(await timeline.ReadAsync(Page));

        // The partition forgets the reader (as after its silo died); a post fanned out now skips the held entries.
        await cluster.DeactivateAsync(IAudienceDirectoryGrain.For(cluster.Client, reader));
        var post = Guid.CreateVersion7();
        await cluster.Client.GetGrain<IPostGrain>(post).CreateAsync(new NewPost(author, "while forgotten", PostVisibility.Public, null, null));
        await FannedOutAsync(cluster, post);
        var missed = await timeline.ReadAsync(Page);

        // The timeline's periodic check finds the new epoch and drops what it held; the next read has the post.
        IReadOnlyList<TimelineItem> after = missed;
        for (var i = 0; i < 50 && after.Count == 0; i++)
        {
            await Task.Delay(200);
            after = await timeline.ReadAsync(Page);
        }

        Assert.Empty(missed);
        Assert.Equal(post, Assert.Single(after).Post.Id);
    }
}

/// <summary>Home timelines render from the views this silo's grains publish, and see every change the grains would.</summary>
public sealed class LocalViewsTests
{
    [Fact]
    public async Task A_home_timeline_rendered_from_published_views_shows_each_change_at_once()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("localviews");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 4);
        var (author, reader, fan, blocker) = (accounts[0], accounts[1], accounts[2], accounts[3]);
        await cluster.Client.GetGrain<IUserGrain>(reader).FollowAsync(author);
        await cluster.Client.GetGrain<IUserGrain>(blocker).FollowAsync(author);
        var id = Guid.CreateVersion7();
        var post = cluster.Client.GetGrain<IPostGrain>(id);
        await post.CreateAsync(new NewPost(author, "read me locally", PostVisibility.Public, null, null));
        var views = cluster.Silos[0].ServiceProvider.GetRequiredService<OrleansSocial.Grains.Posts.LocalViews>();
        var timeline = cluster.Client.GetGrain<ITimelineGrain>(reader);
        async Task<PostView?> HomeAsync(ITimelineGrain t)
        {
            for (var i = 0; i < 100; i++)
            {
                if ((await t.ReadAsync(new PageQuery(20))).FirstOrDefault() is { } item)
                {
                    return item.Post;
                }

                await Task.Delay(50); // fan-out runs after the post is accepted
            }

            return null;
        }

        var first = await HomeAsync(timeline);
        var published = views.TryGet(id, out _) && views.TryGet(author, out _);
        await post.LikeAsync(fan);
        var withdrawnByLike = !views.TryGet(id, out _);
        var liked = await HomeAsync(timeline);
        await post.LikeAsync(reader);
        var own = await HomeAsync(timeline);
        await cluster.Client.GetGrain<IUserGrain>(author).UpdateProfileAsync(new ProfileUpdate(DisplayName: "Renamed Author"));
        var renamed = await HomeAsync(timeline);
        await cluster.Client.GetGrain<IUserGrain>(blocker).BlockAsync(author);
        var blocked = await cluster.Client.GetGrain<ITimelineGrain>(blocker).ReadAsync(new PageQuery(20));
        await post.DeleteAsync(author);
        var deleted = await timeline.ReadAsync(new PageQuery(20));

        Assert.Equal(0, first!.Counts.Likes);
        Assert.True(published);
        Assert.True(withdrawnByLike);
        Assert.Equal(1, liked!.Counts.Likes);
        Assert.False(liked.Liked);
        Assert.Equal(2, own!.Counts.Likes);
        Assert.True(own.Liked);
        Assert.Equal("Renamed Author", renamed!.Author.DisplayName);
        Assert.Empty(blocked);
        Assert.Empty(deleted);
    }

    [Fact]
    public async Task A_post_read_from_published_views_answers_what_its_grain_answers_through_each_change()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("localreads");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 4);
        var (author, reader, fan, stranger) = (accounts[0], accounts[1], accounts[2], accounts[3]);
        var reads = (OrleansSocial.Posts.ILocalPostReader)cluster.Silos[0].ServiceProvider.GetRequiredService<OrleansSocial.Grains.Posts.LocalViews>();
        var id = Guid.CreateVersion7();
        var post = cluster.Client.GetGrain<IPostGrain>(id);
        await post.CreateAsync(new NewPost(author, "read me by id", PostVisibility.Public, null, null));
        await cluster.Client.GetGrain<IUserGrain>(author).GetAccountAsync(0); // the author's grain publishes its account
        var followersOnly = cluster.Client.GetGrain<IPostGrain>(Guid.CreateVersion7());
        await followersOnly.CreateAsync(new NewPost(author, "followers only", PostVisibility.Followers, null, null));

        // What the published views answer for a viewer next to what the grain answers them, once a reader with no flags of
        // their own has made the grain publish its shared view.
        async Task<(bool Answered, PostView? Local, PostView? Grain)> BothAsync(IPostGrain p, long viewer)
        {
            await p.GetAsync(0);
            var grain = await p.GetAsync(viewer);
            var answered = reads.TryRead(p.GetPrimaryKey(), viewer, out var local);
            return (answered, local, grain);
        }

        var first = await BothAsync(post, reader);
        var anonymous = await BothAsync(post, 0);
        await post.LikeAsync(fan);
        var liked = await BothAsync(post, reader);
        await post.LikeAsync(reader);
        var own = await BothAsync(post, reader);
        await cluster.Client.GetGrain<IUserGrain>(author).BlockAsync(stranger);
        await cluster.Client.GetGrain<IUserGrain>(author).GetAccountAsync(0); // published again, with the block
        var blocked = await BothAsync(post, stranger);
        await followersOnly.GetAsync(author); // its view is published once someone who may see it has read it
        var audience = await BothAsync(followersOnly, reader);
        await post.DeleteAsync(author);
        var deleted = await BothAsync(post, reader);

        // The grain's answers come through the test's client as copies: compared by what they say.
        static string Said(PostView? view) => System.Text.Json.JsonSerializer.Serialize(view);
        Assert.True(first.Answered);
        Assert.Equal(Said(first.Grain), Said(first.Local));
        Assert.True(anonymous.Answered);
        Assert.Equal(Said(anonymous.Grain), Said(anonymous.Local));
        Assert.True(liked.Answered);
        Assert.Equal(1, liked.Local!.Counts.Likes);
        Assert.False(liked.Local.Liked);
        Assert.Equal(Said(liked.Grain), Said(liked.Local));
        Assert.True(own.Answered);
        Assert.True(own.Local!.Liked);
        Assert.Equal(Said(own.Grain), Said(own.Local));
        Assert.True(blocked.Answered);
        Assert.Null(blocked.Grain);
        Assert.Null(blocked.Local);
        Assert.False(audience.Answered); // whether the reader follows the author is the reader's grain's to say
        Assert.Null(audience.Grain);
        Assert.False(deleted.Answered);
        Assert.Null(deleted.Grain);
    }
}
