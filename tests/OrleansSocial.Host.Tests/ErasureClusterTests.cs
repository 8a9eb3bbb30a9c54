using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Hosting;
using OrleansSocial.Posts;
using OrleansSocial.TestInfrastructure;
using OrleansSocial.Users;

namespace OrleansSocial.Host.Tests;

/// <summary>Account erasure on a multi-silo cluster over PostgreSQL, with a silo dying in the middle of it.</summary>
public sealed class ErasureClusterTests
{
    private static async Task<long> ScalarAsync(string connectionString, string sql, long account)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task An_erasure_whose_silo_dies_in_the_middle_resumes_on_another_silo_and_leaves_every_counter_right()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("erasure");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 2, silo =>
        {
            // Slow, small steps (one item each) so the crash lands in the middle; a short resume period so the test is short.
            silo.Services.AddSingleton(new ErasureOptions
            {
                Grace = TimeSpan.FromSeconds(1), ResumePeriod = TimeSpan.FromSeconds(2), BatchSize = 1, StepInterval = TimeSpan.FromMilliseconds(150),
            });
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        });
        var ids = await SocialCluster.CreateAccountsAsync(connectionString, 12);
        var (leaver, followers, followees) = (ids[0], ids[1..8], ids[8..]);
        var grains = cluster.Client;
        foreach (var follower in followers)
        {
            await grains.GetGrain<IUserGrain>(follower).FollowAsync(leaver);
        }

        foreach (var followee in followees)
        {
            await grains.GetGrain<IUserGrain>(leaver).FollowAsync(followee);
        }

        for (var i = 0; i < 3; i++)
        {
            await grains.GetGrain<IPostGrain>(Guid.CreateVersion7()).CreateAsync(new NewPost(leaver, $"post {i}", PostVisibility.Public, null, null));
        }

        var theirs = Guid.CreateVersion7();
        await grains.GetGrain<IPostGrain>(theirs).CreateAsync(new NewPost(followees[0], "liked by the leaver", PostVisibility.Public, null, null));
        await grains.GetGrain<IPostGrain>(theirs).LikeAsync(leaver);
        await grains.GetGrain<IPostGrain>(theirs).LikeAsync(followers[0]);
        await grains.GetGrain<IPostGrain>(theirs).AddCommentAsync(leaver, "a comment to erase", null);
        var erasure = grains.GetGrain<IAccountErasureGrain>(leaver);

        Assert.NotNull(await erasure.RequestAsync());
        Assert.Null(await erasure.RequestAsync()); // asked twice: deleted already

        // Wait for the middle of the relationships step: some of the eleven relationships gone, some left.
        const string Relationships = "SELECT count(*) FROM follows WHERE follower_id = $1 OR followee_id = $1";
        var remaining = 11L;
        for (var i = 0; i < 1500 && remaining is 11 or 0; i++)
        {
            await Task.Delay(20);
            remaining = await ScalarAsync(connectionString, Relationships, leaver);
        }

        Assert.InRange(remaining, 1, 10);
        var host = await cluster.HostOfAsync(erasure);
        await cluster.StartAdditionalSiloAsync();
        await cluster.KillSiloAsync(host);
        await cluster.WaitForLivenessToStabilizeAsync();
        var left = await ScalarAsync(connectionString, Relationships, leaver);

        var finished = 0L;
        for (var i = 0; i < 600 && finished == 0; i++)
        {
            await Task.Delay(100);
            finished = await ScalarAsync(connectionString, "SELECT count(*) FROM account_erasures WHERE account_id = $1 AND finished_at IS NOT NULL", leaver);
        }

        var survivor = cluster.Silos[^1].Grains();
        var followerCounts = await Task.WhenAll(followers.Select(f => survivor.GetGrain<IUserGrain>(f).GetAccountAsync(0)));
        var followeeCounts = await Task.WhenAll(followees.Select(f => survivor.GetGrain<IUserGrain>(f).GetAccountAsync(0)));
        var post = await survivor.GetGrain<IPostGrain>(theirs).GetAsync(followees[0]);
        var status = await survivor.GetGrain<IAccountErasureGrain>(leaver).GetStatusAsync();

        Assert.True(left > 0, "the crash came before the step ended");
        Assert.Equal(1, finished);
        Assert.All(followerCounts, a => Assert.Equal(0, a!.FollowingCount));
        Assert.All(followeeCounts, a => Assert.Equal(0, a!.FollowersCount));
        Assert.Equal(1, post!.Counts.Likes);
        Assert.Equal(0, post.Counts.Comments);
        Assert.Null(await survivor.GetGrain<IUserGrain>(leaver).GetAccountAsync(0));
        Assert.True(status is { Finished: true, Step: "done" });
        Assert.Equal(0, await ScalarAsync(connectionString, Relationships, leaver));
        Assert.Equal(0, await ScalarAsync(connectionString, "SELECT count(*) FROM posts WHERE author_id = $1 AND deleted_at IS NULL", leaver));
        Assert.Equal(0, await ScalarAsync(connectionString, "SELECT count(*) FROM orleans_reminders WHERE reminder_name = 'erase' AND $1 > 0", leaver));
    }
}
