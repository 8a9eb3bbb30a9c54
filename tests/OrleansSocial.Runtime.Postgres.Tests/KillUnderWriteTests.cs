using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Testing;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Runtime.Postgres.Tests;

public sealed class LedgerState
{
    public List<long> Ops { get; set; } = [];
}

public interface ILedgerGrain : IGrainWithIntegerKey
{
    /// <summary>Records an operation once: a retried operation id is acknowledged without applying it again.</summary>
    Task Apply(long opId);
}

public class LedgerGrain([PersistentState("ledger")] IPersistentState<LedgerState> ledger) : Grain, ILedgerGrain
{
    public async Task Apply(long opId)
    {
        if (ledger.State.Ops.Contains(opId))
        {
            return;
        }

        ledger.State.Ops.Add(opId);
        try
        {
            await ledger.WriteStateAsync();
        }
        catch
        {
            ledger.State.Ops.Remove(opId);
            throw;
        }
    }
}

public sealed class KillUnderWriteTests
{
    [Fact]
    public async Task Every_write_acknowledged_while_a_silo_is_killed_is_in_PostgreSQL_and_none_is_applied_twice()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("kill");
        var builder = new TestClusterBuilder();
        builder.Options.InitialSilosCount = 3;
        builder.Options.ServiceId = "ledger";
        builder.ConfigureSilo(silo => silo.AddGrainsFromAssembly<LedgerGrain>()
            .AddPostgresGrainStorageAsDefault(o => o.ConnectionString = connectionString));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        // The writer is a cluster client (a process with no grains), as a front end would be.
        using var clientHost = await cluster.StartClientAsync(client => client.AddGrainsFromAssembly<LedgerGrain>());
        var factory = clientHost.Services.GetRequiredService<IClusterClient>();
        var acknowledged = new ConcurrentBag<long>();
        var attempted = new ConcurrentBag<long>();
        var nextOp = 0L;
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var op = Interlocked.Increment(ref nextOp);
                attempted.Add(op);
                var grain = factory.GetGrain<ILedgerGrain>(op % 100);
                for (var attempt = 0; attempt < 20; attempt++)
                {
                    try
                    {
                        await grain.Apply(op);
                        acknowledged.Add(op);
                        break;
                    }
                    catch (Exception e) when (e is SiloUnavailableException or InconsistentStateException or TimeoutException)
                    {
                        await Task.Delay(50);
                    }
                }
            }
        })).ToArray();

        await Task.Delay(1500);
        await cluster.KillSiloAsync(cluster.Silos[2]);
        await cluster.WaitForLivenessToStabilizeAsync();
        await Task.Delay(1500);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var stored = new List<long>();
        await using (var db = NpgsqlDataSource.Create(connectionString))
        await using (var command = db.CreateCommand("SELECT payload::text FROM grain_state WHERE service_id = 'ledger' AND state_name = 'ledger'"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored.AddRange(JsonSerializer.Deserialize<LedgerState>(reader.GetString(0), new JsonSerializerOptions(JsonSerializerDefaults.Web))!.Ops);
            }
        }

        Assert.True(acknowledged.Count > 500, $"only {acknowledged.Count} writes were acknowledged");
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.Empty(acknowledged.Except(stored));
        Assert.Empty(stored.Except(attempted));
    }
}
