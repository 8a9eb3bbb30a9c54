using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansSocial.Grains.Posts;
using OrleansSocial.Notifications;
using OrleansSocial.Posts;
using OrleansSocial.TestInfrastructure;
using OrleansSocial.Users;

namespace OrleansSocial.Host.Tests;

/// <summary>What the grains hold in memory instead of asking the tables, on a two-silo TestCluster of the real grains.</summary>
public sealed class HotStateTests
{
    [Fact]
    public async Task A_post_with_more_reactions_than_its_grain_holds_answers_each_viewers_flags_from_the_rows()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("hotreactions");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 2,
            silo => silo.Services.AddSingleton(new PostOptions { ReactionsHeldInMemory = 3 }));
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 7);
        var (author, fans, stranger) = (accounts[0], accounts[1..6], accounts[6]);
        var post = Guid.CreateVersion7();
        var grain = cluster.Client.GetGrain<IPostGrain>(post);
        await grain.CreateAsync(new NewPost(author, "crowded", PostVisibility.Public, null, null));

        foreach (var fan in fans)
        {
            await grain.LikeAsync(fan);
        }

        var again = await grain.LikeAsync(fans[4]);
        var unliked = await grain.UnlikeAsync(fans[0]);
        var views = await Task.WhenAll(fans.Select(f => grain.GetAsync(f)));
        var strangerView = await grain.GetAsync(stranger);
        var unread = await cluster.Client.GetGrain<INotificationInboxGrain>(author).GetUnreadCountAsync();

        Assert.Equal(5, again.Counts.Likes);
        Assert.Equal(4, unliked.Counts.Likes);
        Assert.False(unliked.Liked);
        Assert.Equal([false, true, true, true, true], views.Select(v => v!.Liked));
        Assert.False(strangerView!.Liked);
        Assert.Equal(4, strangerView.Counts.Likes);
        Assert.Equal(5, unread);   // the first like's delivery activated the inbox, whose count already saw that like: counted once
    }

    [Fact]
    public async Task Relationship_changes_made_by_either_account_decide_at_once_what_the_other_sees()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("hotrelations");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 2);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 2);
        var (reader, owner) = (accounts[0], accounts[1]);
        var grains = cluster.Client;
        await grains.GetGrain<IUserGrain>(owner).UpdateProfileAsync(new ProfileUpdate(IsPrivate: true));
        var post = Guid.CreateVersion7();
        await grains.GetGrain<IPostGrain>(post).CreateAsync(new NewPost(owner, "for my followers", PostVisibility.Followers, null, null));

        var before = await grains.GetGrain<IPostGrain>(post).GetAsync(reader);   // activates both summaries
        await grains.GetGrain<IUserGrain>(reader).FollowAsync(owner);
        var requested = await grains.GetGrain<IPostGrain>(post).GetAsync(reader);
        await grains.GetGrain<IUserGrain>(owner).AuthorizeFollowRequestAsync(reader);   // the owner's grain acts
        var approved = await grains.GetGrain<IPostGrain>(post).GetAsync(reader);
        await grains.GetGrain<IUserGrain>(owner).BlockAsync(reader);
        var blocked = await grains.GetGrain<IPostGrain>(post).GetAsync(reader);
        var readerSide = await grains.GetGrain<IUserGrain>(reader).GetRelationToAsync(owner);
        var profileWhileBlocked = await grains.GetGrain<IUserGrain>(owner).GetAccountAsync(reader);
        await grains.GetGrain<IUserGrain>(owner).UnblockAsync(reader);
        var unblocked = await grains.GetGrain<IPostGrain>(post).GetAsync(reader);
        var profileAfter = await grains.GetGrain<IUserGrain>(owner).GetAccountAsync(reader);

        Assert.Null(before);
        Assert.Null(requested);
        Assert.NotNull(approved);
        Assert.Null(blocked);
        Assert.Equal(new RelationFacts(Following: false, Blocking: false, BlockedBy: true, Muting: false), readerSide);
        Assert.Null(profileWhileBlocked);
        Assert.Null(unblocked);   // the block ended the follow
        Assert.NotNull(profileAfter);
        Assert.Equal(0, profileAfter.FollowersCount);
    }

    [Fact]
    public async Task Likes_written_together_commit_together_and_a_bad_one_fails_alone()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("reactionwriter");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 41);
        var (author, fans) = (accounts[0], accounts[1..]);
        var post = Guid.CreateVersion7();
        await cluster.Client.GetGrain<IPostGrain>(post).CreateAsync(new NewPost(author, "batch me", PostVisibility.Public, null, null));
        var writer = cluster.Silos[0].ServiceProvider.GetRequiredService<ReactionWriter>();
        var now = DateTimeOffset.UtcNow;
        Task<ReactionWritten> Like(long account) =>
            writer.WriteAsync(new ReactionChange("likes", post, account, true, author, NotificationTypes.Like, now));

        var good = fans.Select(Like).ToArray();
        var missingAccount = Like(long.MaxValue);   // no such account: the foreign key refuses it
        var selfLike = Like(author);                 // stored, but never a notification to oneself
        var results = await Task.WhenAll(good);
        var self = await selfLike;

        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => missingAccount);
        Assert.All(results, r => Assert.True(r.Changed));
        Assert.All(results, r => Assert.NotNull(r.Notification));
        Assert.Equal(40, results.Select(r => r.Notification!.Id).Distinct().Count());
        Assert.True(self.Changed);
        Assert.Null(self.Notification);
        Assert.False((await Like(fans[0])).Changed);   // set semantics: a second like adds nothing
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var rows = db.CreateCommand("SELECT (SELECT count(*) FROM likes WHERE post_id = $1), (SELECT count(*) FROM notifications WHERE post_id = $1)");
        rows.Parameters.Add(new NpgsqlParameter { Value = post });
        await using var reader = await rows.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(41, reader.GetInt64(0));
        Assert.Equal(40, reader.GetInt64(1));
    }
}
