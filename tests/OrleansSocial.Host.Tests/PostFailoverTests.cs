using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Npgsql;
using OrleansSocial.Grains;
using OrleansSocial.Posts;
using OrleansSocial.Realtime;
using Orleans;
using OrleansSocial.Grains.Storage;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>The real grains on a multi-silo TestCluster over PostgreSQL.</summary>
public sealed class PostFailoverTests
{
    private static readonly TimeSpan PostGrainFlushWait = OrleansSocial.Grains.Posts.PostGrain.FlushPeriod * 2;

    [Fact]
    public async Task A_posts_counters_come_back_from_the_rows_after_its_silo_is_killed_and_a_stale_written_behind_count_is_repaired()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("failover");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 31);
        var (author, fans) = (accounts[0], accounts[1..]);
        var post = Guid.CreateVersion7();
        await cluster.Client.GetGrain<IPostGrain>(post).CreateAsync(new NewPost(author, "survive this", PostVisibility.Public, null, null));
        await Task.WhenAll(fans.Select(f => cluster.Client.GetGrain<IPostGrain>(post).LikeAsync(f)));
        await cluster.Client.GetGrain<IPostGrain>(post).RepostAsync(fans[0]);
        await cluster.Client.GetGrain<IPostGrain>(post).AddCommentAsync(fans[1], "still here after the crash", null);
        var original = cluster.Silos[0];

        // The counts column as a crash inside the write-behind window would leave it: not yet written.
        await Task.Delay(PostGrainFlushWait);
        await using (var db0 = NpgsqlDataSource.Create(connectionString))
        {
            await using var stale = db0.CreateCommand("UPDATE posts SET likes_count = 0, reposts_count = 0, comments_count = 0 WHERE id = $1");
            stale.Parameters.Add(new NpgsqlParameter { Value = post });
            await stale.ExecuteNonQueryAsync();
        }

        // The post was activated on the only silo; that silo dies, so the grain activates afresh on a new one.
        var survivor = await cluster.StartAdditionalSiloAsync();
        await cluster.StartAdditionalSiloAsync();
        await cluster.KillSiloAsync(original);
        await cluster.WaitForLivenessToStabilizeAsync();
        var view = await survivor.Grains().GetGrain<IPostGrain>(post).GetAsync(author);

        Assert.NotNull(view);
        Assert.Equal(30, view.Counts.Likes);
        Assert.Equal(1, view.Counts.Reposts);
        Assert.Equal(1, view.Counts.Comments);
        await using var db = NpgsqlDataSource.Create(connectionString);
        long stored = -1;
        for (var i = 0; i < 100 && stored != 30; i++)
        {
            await Task.Delay(100);
            await using var column = db.CreateCommand("SELECT likes_count FROM posts WHERE id = $1");
            column.Parameters.Add(new NpgsqlParameter { Value = post });
            stored = (long)(await column.ExecuteScalarAsync())!;
        }

        Assert.Equal(30, stored);
    }

    [Fact]
    public async Task An_accounts_counters_come_back_from_the_rows_after_its_silo_is_killed_with_changes_it_never_stored()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("accountfailover");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 8);
        var (star, fans) = (accounts[0], accounts[1..]);
        var user = cluster.Client.GetGrain<OrleansSocial.Users.IUserGrain>(star);
        await cluster.Client.GetGrain<IPostGrain>(Guid.CreateVersion7()).CreateAsync(new NewPost(star, "before the crash", PostVisibility.Public, null, null));
        await cluster.DeactivateAsync(user); // figures stored: 0 followers, 1 post
        foreach (var fan in fans)
        {
            await cluster.Client.GetGrain<OrleansSocial.Users.IUserGrain>(fan).FollowAsync(star);
        }

        await cluster.Client.GetGrain<OrleansSocial.Users.IUserGrain>(fans[0]).UnfollowAsync(star);
        var beforeCrash = await user.GetAccountAsync(0);

        // The silo dies with the grain's figures unstored (it never deactivated); its successor finds them open.
        var original = cluster.Silos[0];
        var survivor = await cluster.StartAdditionalSiloAsync();
        await cluster.KillSiloAsync(original);
        await cluster.WaitForLivenessToStabilizeAsync();
        var afterCrash = await survivor.Grains().GetGrain<OrleansSocial.Users.IUserGrain>(star).GetAccountAsync(0);

        Assert.Equal((fans.Length - 1L, 1L), (beforeCrash!.FollowersCount, beforeCrash.PostsCount));
        Assert.Equal((fans.Length - 1L, 0L, 1L), (afterCrash!.FollowersCount, afterCrash.FollowingCount, afterCrash.PostsCount));
    }

    [Fact]
    public async Task A_reaction_another_activation_stored_after_this_one_loaded_is_counted_when_its_caller_retries_it_here()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("postrace");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 3);
        var (author, fans) = (accounts[0], accounts[1..]);
        var id = Guid.CreateVersion7();
        var post = cluster.Client.GetGrain<IPostGrain>(id);
        await post.CreateAsync(new NewPost(author, "raced", PostVisibility.Public, null, null));
        await post.LikeAsync(fans[0]);

        // What an activation on a silo that died with its writes in flight leaves: rows committed after this activation
        // loaded (it holds who reacted and believes these are not there), marked as the reaction writer marks them.
        await using var db = NpgsqlDataSource.Create(connectionString);
        async Task WriteBehindTheGrainAsync(string sql, long account)
        {
            await using var batch = db.CreateBatch();
            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql) { Parameters = { new() { Value = id }, new() { Value = account } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE posts SET counts_open = true WHERE id = $1") { Parameters = { new() { Value = id } } });
            Assert.Equal(2, await batch.ExecuteNonQueryAsync());
        }

        // Each caller whose first attempt died there retries here.
        await WriteBehindTheGrainAsync("INSERT INTO likes (post_id, account_id) VALUES ($1, $2)", fans[1]);
        var liked = await post.LikeAsync(fans[1]);
        await WriteBehindTheGrainAsync("INSERT INTO bookmarks (post_id, account_id) VALUES ($1, $2)", fans[1]);
        var bookmarked = await post.BookmarkAsync(fans[1]);
        await WriteBehindTheGrainAsync("DELETE FROM likes WHERE post_id = $1 AND account_id = $2", fans[0]);
        var unliked = await post.UnlikeAsync(fans[0]);
        await cluster.DeactivateAsync(post);
        var reactivated = await post.GetAsync(fans[1]);

        Assert.True(liked.Liked);
        Assert.Equal(2, liked.Counts.Likes);
        Assert.Equal((true, 1L), (bookmarked.Bookmarked, bookmarked.Counts.Bookmarks));
        Assert.Equal(1, unliked.Counts.Likes);
        Assert.NotNull(reactivated);
        Assert.Equal((1L, 1L, true, true), (reactivated.Counts.Likes, reactivated.Counts.Bookmarks, reactivated.Liked, reactivated.Bookmarked));
    }
}

/// <summary>Hot state the grains keep in Orleans' grain storage (ADO.NET on PostgreSQL).</summary>
public sealed class GrainStateTests
{
    // What a grain stored under a state name, read through the silo's own provider.
    private static async Task<(bool Exists, T State)> StoredAsync<T>(Orleans.TestingHost.InProcessTestCluster cluster, string stateName, GrainId grain)
        where T : class, new()
    {
        var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>("Default");
        var state = new Orleans.GrainState<T>(new());
        await storage.ReadStateAsync(stateName, grain, state);
        return (state.RecordExists, state.State ?? new());
    }

    private static Task<(bool Exists, OrleansSocial.Grains.Storage.StoredFigures<PostCounts> State)> StoredAsync(
        Orleans.TestingHost.InProcessTestCluster cluster, Guid post) =>
        StoredAsync<OrleansSocial.Grains.Storage.StoredFigures<PostCounts>>(cluster, "counters", GrainId.Create("post", post.ToString("N")));

    private static async Task<(bool Open, long Followers, long Following, long Posts)> AccountRowAsync(string connectionString, long account)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand("SELECT counts_open, followers_count, following_count, posts_count FROM accounts WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetBoolean(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    [Fact]
    public async Task An_accounts_counters_are_stored_in_its_grain_state_when_it_deactivates_and_follows_and_posts_change_only_a_mark_on_its_row()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("accounthot");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 5);
        var (star, fans) = (accounts[0], accounts[1..]);
        var user = cluster.Client.GetGrain<OrleansSocial.Users.IUserGrain>(star);
        var grainId = user.GetGrainId();
        await user.GetAccountAsync(0);
        await cluster.DeactivateAsync(user); // a new account's first activation counts its rows and stores them
        var rowAtRest = await AccountRowAsync(connectionString, star);

        foreach (var fan in fans[..3])
        {
            await cluster.Client.GetGrain<OrleansSocial.Users.IUserGrain>(fan).FollowAsync(star);
        }

        await user.FollowAsync(fans[3]);
        await cluster.Client.GetGrain<IPostGrain>(Guid.CreateVersion7()).CreateAsync(new NewPost(star, "counted in the grain", PostVisibility.Public, null, null));
        var live = await user.GetAccountAsync(0);
        var rowWhileActive = await AccountRowAsync(connectionString, star);
        var storedWhileActive = await StoredAsync<StoredFigures<OrleansSocial.Users.AccountCounts>>(cluster, "counters", grainId);
        await cluster.DeactivateAsync(user);
        var stored = await StoredAsync<StoredFigures<OrleansSocial.Users.AccountCounts>>(cluster, "counters", grainId);
        var rowAfter = await AccountRowAsync(connectionString, star);

        // A follow row removed behind the grain's back after it stored its figures: the next activation trusts them.
        await using (var db = NpgsqlDataSource.Create(connectionString))
        {
            await using var remove = db.CreateCommand("DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2");
            remove.Parameters.Add(new NpgsqlParameter { Value = fans[0] });
            remove.Parameters.Add(new NpgsqlParameter { Value = star });
            Assert.Equal(1, await remove.ExecuteNonQueryAsync());
        }

        var trusted = await user.GetAccountAsync(0);

        // A follow through the grains opens the figures again; the deactivation after it counts the rows (two followers).
        await cluster.Client.GetGrain<OrleansSocial.Users.IUserGrain>(fans[2]).UnfollowAsync(star);
        var reopened = await AccountRowAsync(connectionString, star);
        await cluster.DeactivateAsync(user);
        var recounted = await user.GetAccountAsync(0);

        Assert.Equal((false, 0L, 0L, 0L), rowAtRest);
        Assert.Equal((3L, 1L, 1L), (live!.FollowersCount, live.FollowingCount, live.PostsCount));
        Assert.True(rowWhileActive.Open); // set by the follows' and the post's own transactions, nothing else
        Assert.Equal(new OrleansSocial.Users.AccountCounts(0, 0, 0), storedWhileActive.State.Value);
        Assert.Equal(new OrleansSocial.Users.AccountCounts(3, 1, 1), stored.State.Value);
        Assert.Equal((false, 3L, 1L, 1L), rowAfter);
        Assert.Equal(3L, trusted!.FollowersCount);
        Assert.True(reopened.Open);
        Assert.Equal((1L, 1L, 1L), (recounted!.FollowersCount, recounted.FollowingCount, recounted.PostsCount));
    }

    private static async Task<bool> CountsOpenAsync(string connectionString, Guid post)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand("SELECT counts_open FROM posts WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = post });
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task When_an_account_was_last_seen_is_written_to_its_grain_state_as_it_goes_offline_and_read_back_after_deactivation()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("presencestate");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var id = (await SocialCluster.CreateAccountsAsync(connectionString, 1))[0];
        var user = cluster.Client.GetGrain<OrleansSocial.Users.IUserGrain>(id);
        var lease = TimeSpan.FromMinutes(5);
        await user.ReportConnectionsAsync(new OrleansSocial.Users.ConnectionReport("fe", 1, 1, lease));
        var online = await user.GetPresenceAsync(id);
        var before = DateTimeOffset.UtcNow;
        await user.ReportConnectionsAsync(new OrleansSocial.Users.ConnectionReport("fe", 0, 2, lease));
        var stored = await StoredAsync<OrleansSocial.Grains.Users.PresenceState>(cluster, "presence", user.GetGrainId());
        await cluster.DeactivateAsync(user);
        var after = await user.GetPresenceAsync(id);

        Assert.True(online!.Online);
        Assert.True(stored.Exists);
        Assert.InRange(stored.State.LastSeenAt!.Value, before, DateTimeOffset.UtcNow);
        Assert.False(after!.Online);
        Assert.Equal(stored.State.LastSeenAt, after.LastSeenAt);
    }

    [Fact]
    public async Task A_posts_counters_are_stored_in_its_grain_state_when_it_deactivates_and_read_back_from_there_unless_reactions_or_comments_changed_since()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("posthot");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 4);
        var (author, fans) = (accounts[0], accounts[1..]);
        var id = Guid.CreateVersion7();
        var post = cluster.Client.GetGrain<IPostGrain>(id);
        await post.CreateAsync(new NewPost(author, "count me where I live", PostVisibility.Public, null, null));
        var openBeforeAnyReaction = await CountsOpenAsync(connectionString, id);

        await post.LikeAsync(fans[0]);
        await post.LikeAsync(fans[1]);
        await post.BookmarkAsync(fans[2]);
        var comment = await post.AddCommentAsync(fans[0], "a comment", null);
        await post.AddCommentAsync(fans[1], "a reply to it", comment.Id);
        var whileActive = await StoredAsync(cluster, id);
        var openWhileActive = await CountsOpenAsync(connectionString, id); // set in the reactions' own transaction
        await cluster.DeactivateAsync(post);
        var written = await StoredAsync(cluster, id);
        var openAfter = await CountsOpenAsync(connectionString, id);

        // A like row removed behind the grain's back after it wrote its figures: the next activation trusts them and
        // counts nothing, so the figure it shows is the stored one.
        await using (var db = NpgsqlDataSource.Create(connectionString))
        {
            await using var remove = db.CreateCommand("DELETE FROM likes WHERE post_id = $1 AND account_id = $2");
            remove.Parameters.Add(new NpgsqlParameter { Value = id });
            remove.Parameters.Add(new NpgsqlParameter { Value = fans[1] });
            Assert.Equal(1, await remove.ExecuteNonQueryAsync());
        }

        var trusted = await post.GetAsync(author);

        // A reaction through the grain opens the figures again: should the grain die now, its successor counts the rows.
        await post.UnbookmarkAsync(fans[2]);
        var reopened = await CountsOpenAsync(connectionString, id);

        Assert.False(openBeforeAnyReaction);
        Assert.False(whileActive.Exists);
        Assert.True(openWhileActive);
        Assert.True(written.Exists);
        Assert.Equal(new PostCounts(2, 0, 1, 2), written.State.Value);
        Assert.False(openAfter);
        Assert.Equal((2L, 1L), (trusted!.Counts.Likes, trusted.Counts.Bookmarks));
        Assert.True(reopened);
    }
}
