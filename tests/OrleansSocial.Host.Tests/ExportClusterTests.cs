using System.IO.Compression;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Hosting;
using OrleansSocial.Media;
using OrleansSocial.Posts;
using OrleansSocial.TestInfrastructure;
using OrleansSocial.Users;

namespace OrleansSocial.Host.Tests;

/// <summary>Data exports on a multi-silo cluster over PostgreSQL, blobs in a directory every silo shares.</summary>
public sealed class ExportClusterTests
{
    [Fact]
    public async Task An_export_asked_for_just_before_its_silo_dies_is_built_on_another_silo()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("exports");
        var blobs = Directory.CreateTempSubdirectory("social-exports-").FullName;
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 2, silo =>
        {
            var media = new MediaOptions { LocalPath = blobs };
            var signer = new MediaUrlSigner(() => ("k", new byte[32]), _ => new byte[32], TimeProvider.System, TimeSpan.FromMinutes(5));
            silo.Services.AddSingleton<IMediaStore>(new LocalMediaStore(media, signer));
            // The build starts after the silo is gone; the reminder then fires every 2 s until it is built.
            silo.Services.AddSingleton(new ExportOptions { StartDelay = TimeSpan.FromSeconds(6), ResumePeriod = TimeSpan.FromSeconds(2) });
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        });
        var account = (await SocialCluster.CreateAccountsAsync(connectionString, 1))[0];
        for (var i = 0; i < 3; i++)
        {
            await cluster.Client.GetGrain<IPostGrain>(Guid.CreateVersion7()).CreateAsync(new NewPost(account, $"post number {i}", PostVisibility.Public, null, null));
        }

        var exports = cluster.Client.GetGrain<IDataExportGrain>(account);
        await cluster.StartAdditionalSiloAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var requested = await exports.RequestAsync();
        var host = await cluster.HostOfAsync(exports);
        await cluster.KillSiloAsync(host);
        var killedAfter = clock.Elapsed;
        await cluster.WaitForLivenessToStabilizeAsync();

        DataExport? built = null;
        for (var i = 0; i < 600 && built?.Status != ExportStatuses.Ready; i++)
        {
            await Task.Delay(100);
            built = (await cluster.Silos[^1].Grains().GetGrain<IDataExportGrain>(account).ListAsync()).Single();
        }

        Assert.True(killedAfter < TimeSpan.FromSeconds(6), $"the silo died {killedAfter} after the request: before the build was due");
        Assert.NotNull(requested.Export);
        Assert.Equal(ExportStatuses.Ready, built!.Status);
        Assert.Equal(requested.Export.Id, built.Id);
        var path = Path.Combine(blobs, built.BlobKey!);
        using var zip = ZipFile.OpenRead(path);
        using var posts = new StreamReader(zip.GetEntry("posts.json")!.Open());
        var text = await posts.ReadToEndAsync();
        Assert.Contains("post number 0", text, StringComparison.Ordinal);
        Assert.Contains("post number 2", text, StringComparison.Ordinal);
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var attempts = db.CreateCommand("SELECT attempts FROM data_exports WHERE id = $1");
        attempts.Parameters.Add(new NpgsqlParameter { Value = built.Id });
        Assert.Equal(1, (int)(await attempts.ExecuteScalarAsync())!);
    }
}
