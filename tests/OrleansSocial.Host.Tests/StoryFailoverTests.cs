using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Runtime;
using OrleansSocial.Media;
using OrleansSocial.Stories;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>A story's expiry is an Orleans reminder in PostgreSQL: it outlives the silo the story lived on.</summary>
public sealed class StoryFailoverTests
{
    // A processed upload of the account's, as the media pipeline leaves it (these tests run the grains without the front end).
    private static async Task<Guid> ProcessedUploadAsync(NpgsqlDataSource db, long account)
    {
        var media = Guid.CreateVersion7();
        await using var insert = db.CreateCommand("""
            INSERT INTO media (id, account_id, purpose, type, status, token, original_key, preview_key, width, height, small_width, small_height, blurhash)
            VALUES ($1, $2, 'attachment', 'image', 'ready', $3, $3 || '/original.jpg', $3 || '/small.jpg', 1080, 1920, 360, 640, 'LEHV6nWB2yk8pyo0adR*.7kCMdnj')
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = media });
        insert.Parameters.Add(new NpgsqlParameter { Value = account });
        insert.Parameters.Add(new NpgsqlParameter { Value = MediaKeys.NewToken() });
        await insert.ExecuteNonQueryAsync();
        return media;
    }

    [Fact]
    public async Task A_storys_view_count_lives_in_grain_storage_and_a_clean_reactivation_takes_it_from_there_without_counting_rows()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("storyfigures");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 4);
        await using var db = NpgsqlDataSource.Create(connectionString);
        var id = Guid.CreateVersion7();
        var story = cluster.Client.GetGrain<IStoryGrain>(id);
        await story.CreateAsync(new NewStory(accounts[0], await ProcessedUploadAsync(db, accounts[0]), "", null, StoryAudience.Public));
        await story.ViewAsync(accounts[1]);
        await story.ViewAsync(accounts[2]);

        async Task<bool> OpenAsync()
        {
            await using var command = db.CreateCommand("SELECT views_open FROM stories WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            return (bool)(await command.ExecuteScalarAsync())!;
        }

        var openWhileActive = await OpenAsync();
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var openAfterDeactivation = await OpenAsync();
        for (var i = 0; i < 100 && openAfterDeactivation; i++) // the deactivation may finish after the call answers
        {
            await Task.Delay(100);
            openAfterDeactivation = await OpenAsync();
        }

        // A row the grain did not record: a reactivation that trusts its stored figure does not see it.
        await using (var sneak = db.CreateCommand("INSERT INTO story_views (story_id, viewer_id) VALUES ($1, $2)"))
        {
            sneak.Parameters.Add(new NpgsqlParameter { Value = id });
            sneak.Parameters.Add(new NpgsqlParameter { Value = accounts[3] });
            await sneak.ExecuteNonQueryAsync();
        }

        var afterReactivation = (await story.GetAsync(accounts[0]))!.ViewsCount;

        Assert.True(openWhileActive);
        Assert.False(openAfterDeactivation);
        Assert.Equal(2, afterReactivation);
    }

    [Fact]
    public async Task Views_count_once_per_viewer_when_sent_at_once_from_every_silo_and_again_after_the_storys_silo_is_killed()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("storyviews");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 3);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 6);
        var (author, viewers) = (accounts[0], accounts[1..]);
        await using var db = NpgsqlDataSource.Create(connectionString);
        var id = Guid.CreateVersion7();
        await cluster.Client.GetGrain<IStoryGrain>(id).CreateAsync(new NewStory(author, await ProcessedUploadAsync(db, author), "", null, StoryAudience.Public));

        // Every viewer four times through every silo's grain factory, all at once; a call that meets the dead silo before
        // the cluster has declared it so is retried, as a client would.
        static async Task ViewUntilAnsweredAsync(IStoryGrain story, long viewer)
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await story.ViewAsync(viewer);
                    return;
                }
                catch (Exception e) when (attempt < 60 && e is not KeyNotFoundException)
                {
                    await Task.Delay(500);
                }
            }
        }

        Task Burst() => Task.WhenAll(cluster.Silos.ToArray().SelectMany(silo =>
            viewers.SelectMany(v => Enumerable.Range(0, 4).Select(_ => ViewUntilAnsweredAsync(silo.Grains().GetGrain<IStoryGrain>(id), v)))));
        await Burst();
        var host = await cluster.HostOfAsync(cluster.Client.GetGrain<IStoryGrain>(id));
        await cluster.KillSiloAsync(host);
        await Burst(); // the story's grain activates again on a survivor, from its row
        var count = (await cluster.Client.GetGrain<IStoryGrain>(id).GetAsync(author))!.ViewsCount;

        await using var rows = db.CreateCommand("SELECT count(*), count(DISTINCT viewer_id) FROM story_views WHERE story_id = $1");
        rows.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var r = await rows.ExecuteReaderAsync();
        await r.ReadAsync();

        Assert.Equal((5L, 5L), (r.GetInt64(0), r.GetInt64(1)));
        Assert.Equal(5, count);
    }

    [Fact]
    public async Task A_story_still_expires_when_the_silo_holding_it_is_killed_before_its_expiry()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("storykill");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 3,
            silo => silo.Services.AddSingleton(new StoryOptions { Lifetime = TimeSpan.FromSeconds(15) }));
        var author = (await SocialCluster.CreateAccountsAsync(connectionString, 1))[0];
        await using var db = NpgsqlDataSource.Create(connectionString);
        var media = await ProcessedUploadAsync(db, author);
        var id = Guid.CreateVersion7();
        var story = cluster.Client.GetGrain<IStoryGrain>(id);
        await story.CreateAsync(new NewStory(author, media, "short-lived", null, StoryAudience.Followers));
        var host = await cluster.HostOfAsync(story);
        await cluster.KillSiloAsync(host);

        async Task<long> EndedAsync()
        {
            await using var command = db.CreateCommand("SELECT count(*) FROM stories WHERE id = $1 AND ended_at IS NOT NULL");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            return (long)(await command.ExecuteScalarAsync())!;
        }

        // Due 15 s after creation; the reminder's range moves to a survivor once the dead silo is declared so, and a tick
        // missed meanwhile comes at the next minute.
        var ended = 0L;
        for (var i = 0; i < 300 && ended == 0; i++)
        {
            await Task.Delay(500);
            ended = await EndedAsync();
        }

        await using var released = db.CreateCommand("SELECT count(*) FROM media WHERE id = $1 AND deleted_at IS NOT NULL");
        released.Parameters.Add(new NpgsqlParameter { Value = media });

        Assert.Equal(1, ended);
        Assert.Equal(1L, (long)(await released.ExecuteScalarAsync())!);
        Assert.DoesNotContain(cluster.Silos, s => s.SiloAddress.Equals(host.SiloAddress));
    }
}
