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
        var original = cluster.Silos[0];

        // The counts column as a crash inside the write-behind window would leave it: not yet written.
        await Task.Delay(PostGrainFlushWait);
        await using (var db0 = NpgsqlDataSource.Create(connectionString))
        {
            await using var stale = db0.CreateCommand("UPDATE posts SET likes_count = 0, reposts_count = 0 WHERE id = $1");
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
}
