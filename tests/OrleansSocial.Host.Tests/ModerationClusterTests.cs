using Microsoft.Extensions.DependencyInjection;
using Orleans;
using OrleansSocial.Moderation;
using OrleansSocial.Posts;
using OrleansSocial.TestInfrastructure;
using OrleansSocial.Users;

namespace OrleansSocial.Host.Tests;

/// <summary>Moderation actions reach the grains that hold hot state on every silo of a cluster.</summary>
public sealed class ModerationClusterTests
{
    [Fact]
    public async Task Limiting_and_suspending_an_account_hides_its_post_at_once_from_readers_on_every_silo_and_lifting_them_shows_it_again()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("moderation_cluster");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 2);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 4);
        var (author, follower, stranger, moderator) = (accounts[0], accounts[1], accounts[2], accounts[3]);
        await using (var db = Npgsql.NpgsqlDataSource.Create(connectionString))
        {
            await using var promote = db.CreateCommand("UPDATE accounts SET role = 'moderator' WHERE id = $1");
            promote.Parameters.Add(new Npgsql.NpgsqlParameter { Value = moderator });
            await promote.ExecuteNonQueryAsync();
        }

        await cluster.Client.GetGrain<IUserGrain>(follower).FollowAsync(author);
        var post = await cluster.Client.GetGrain<IPostGrain>(Guid.CreateVersion7()).CreateAsync(new NewPost(author, "seen everywhere", PostVisibility.Public, null, null));

        // What a reader gets on each silo: through the grain from there, and from what that silo's front end may read locally.
        async Task<string> SeenAsync(long reader)
        {
            var seen = "";
            foreach (var silo in cluster.Silos)
            {
                var local = silo.ServiceProvider.GetRequiredService<ILocalPostReader>();
                var fromGrain = await silo.Grains().GetGrain<IPostGrain>(post).GetAsync(reader) is not null;
                var fromLocal = local.TryRead(post, reader, out var view) ? view is not null : fromGrain;
                seen += fromGrain && fromLocal ? "Y" : fromGrain || fromLocal ? "?" : "n";
            }

            return seen;
        }

        async Task ActAsync(string kind) => await cluster.Silos[1].Grains().GetGrain<IReportDeskGrain>(0)
            .TakeActionAsync(new NewModerationAction(moderator, kind, author, null, null, null, null, "cluster test"));

        var before = (await SeenAsync(follower), await SeenAsync(stranger));
        await ActAsync(ModerationActionKinds.Limit);
        var limited = (await SeenAsync(follower), await SeenAsync(stranger));
        await ActAsync(ModerationActionKinds.Suspend);
        var suspended = (await SeenAsync(follower), await SeenAsync(stranger));
        var accountSeen = await cluster.Silos[0].Grains().GetGrain<IUserGrain>(author).GetAccountAsync(follower);
        await ActAsync(ModerationActionKinds.Unsuspend);
        await ActAsync(ModerationActionKinds.Unlimit);
        var after = (await SeenAsync(follower), await SeenAsync(stranger));

        Assert.Equal(("YY", "YY"), before);
        Assert.Equal(("YY", "nn"), limited);
        Assert.Equal(("nn", "nn"), suspended);
        Assert.Null(accountSeen);
        Assert.Equal(("YY", "YY"), after);
    }
}
