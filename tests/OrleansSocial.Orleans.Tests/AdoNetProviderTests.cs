using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using OrleansSocial.Grains.Storage;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Orleans.Tests;

public interface IStoredCounterGrain : IGrainWithStringKey
{
    Task<int> IncrementAsync();

    Task<int> GetAsync();

    Task DeactivateAsync();

    Task ClearAsync();
}

[GenerateSerializer]
public sealed class StoredCounter
{
    [Id(0)]
    public int Value { get; set; }
}

public sealed class StoredCounterGrain([PersistentState("counter")] IPersistentState<StoredCounter> state) : Grain, IStoredCounterGrain
{
    public async Task<int> IncrementAsync()
    {
        state.State.Value++;
        await state.WriteStateAsync();
        return state.State.Value;
    }

    public Task<int> GetAsync() => Task.FromResult(state.State.Value);

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public async Task ClearAsync()
    {
        await state.ReadStateAsync();
        await state.ClearStateAsync();
    }
}

public interface IAlarmGrain : IGrainWithStringKey
{
    Task SetAsync(TimeSpan due);
}

/// <summary>Records each firing by grain key, so a test sees a reminder fire on whichever silo activates the grain.</summary>
public sealed class AlarmGrain : Grain, IAlarmGrain, IRemindable
{
    public static ConcurrentDictionary<string, int> Fired { get; } = new();

    public Task SetAsync(TimeSpan due) => this.RegisterOrUpdateReminder("alarm", due, TimeSpan.FromMinutes(1));

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Fired.AddOrUpdate(this.GetPrimaryKeyString(), 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}

/// <summary>Silos on the project's PostgreSQL schema (the sql/ migrations, applied by the project's migrator).</summary>
public sealed class PostgresSilo : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder)
    {
        var connectionString = siloBuilder.Configuration["Postgres"]!;
        siloBuilder.AddAdoNetGrainStorageAsDefault(o => (o.Invariant, o.ConnectionString) = ("Npgsql", connectionString));
        siloBuilder.UseAdoNetReminderService(o => (o.Invariant, o.ConnectionString) = ("Npgsql", connectionString));
    }
}

/// <summary>
/// Orleans 10.4.2's ADO.NET grain storage and reminder providers run against <c>sql/0020_orleans_adonet.sql</c>: the
/// queries they read at start-up, the parameters they bind and the columns they read.
/// </summary>
public sealed class AdoNetProviderTests
{
    private static async Task<(TestCluster Cluster, string ConnectionString)> StartAsync(string? connectionString = null, string? serviceId = null, int silos = 2)
    {
        if (connectionString is null)
        {
            connectionString = PostgresServer.Instance.CreateDatabase("orleans");
            await using var db = NpgsqlDataSource.Create(connectionString);
            await new PostgresMigrator(db, PostgresMigrator.Embedded).MigrateAsync();
        }

        var builder = new TestClusterBuilder((short)silos);
        builder.Options.ServiceId = serviceId ?? "svc-" + Guid.NewGuid().ToString("N")[..8];
        builder.Properties["Postgres"] = connectionString;
        builder.AddSiloBuilderConfigurator<PostgresSilo>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return (cluster, connectionString);
    }

    [Fact]
    public async Task Grain_state_survives_deactivation_and_a_silo_restart_and_a_stale_write_is_refused()
    {
        var (cluster, connectionString) = await StartAsync();
        var counter = cluster.GrainFactory.GetGrain<IStoredCounterGrain>("c1");
        Assert.Equal(1, await counter.IncrementAsync());
        Assert.Equal(2, await counter.IncrementAsync());
        await counter.DeactivateAsync();
        Assert.Equal(2, await counter.GetAsync());

        // Every silo restarted: the state comes back from PostgreSQL.
        var serviceId = cluster.Options.ServiceId;
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
        var (restarted, _) = await StartAsync(connectionString, serviceId);
        var again = restarted.GrainFactory.GetGrain<IStoredCounterGrain>("c1");
        Assert.Equal(2, await again.GetAsync());

        // Someone else wrote the row meanwhile (its version moved on): this grain's write is refused, not lost silently.
        await using (var db = NpgsqlDataSource.Create(connectionString))
        {
            await db.CreateCommand("UPDATE orleans_storage SET version = version + 1").ExecuteNonQueryAsync();
        }

        var stale = await Assert.ThrowsAsync<global::Orleans.Storage.InconsistentStateException>(() => again.IncrementAsync());
        Assert.NotNull(stale);
        await again.ClearAsync();
        await again.DeactivateAsync();
        Assert.Equal(0, await again.GetAsync());
        await restarted.StopAllSilosAsync();
        await restarted.DisposeAsync();
    }

    [Fact]
    public async Task A_reminder_registered_before_the_cluster_stops_fires_after_it_starts_again()
    {
        var (cluster, connectionString) = await StartAsync(silos: 1);
        var serviceId = cluster.Options.ServiceId;
        var key = "alarm-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.GrainFactory.GetGrain<IAlarmGrain>(key).SetAsync(TimeSpan.FromSeconds(15)); // later than the cluster takes to stop
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
        Assert.False(AlarmGrain.Fired.ContainsKey(key));

        var (restarted, _) = await StartAsync(connectionString, serviceId, silos: 1);
        for (var i = 0; i < 120 && !AlarmGrain.Fired.ContainsKey(key); i++)
        {
            await Task.Delay(500);
        }

        Assert.True(AlarmGrain.Fired.ContainsKey(key), "the reminder stored in PostgreSQL did not fire after the restart");
        await restarted.StopAllSilosAsync();
        await restarted.DisposeAsync();
    }
}
