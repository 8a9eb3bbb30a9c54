using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.TestingHost;
using OrleansSocial.Grains;
using OrleansSocial.Grains.Storage;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Bench;

[GenerateSerializer, Alias("bench.CounterState")]
public sealed class CounterState
{
    [Id(0)]
    public long Value { get; set; }
}

public interface IStoredCounterGrain : IGrainWithIntegerKey
{
    Task Increment();
}

public sealed class StoredCounterGrain([PersistentState("counter")] IPersistentState<CounterState> state) : Grain, IStoredCounterGrain
{
    public Task Increment()
    {
        state.State.Value++;
        return state.WriteStateAsync();
    }
}

/// <summary>
/// Two Orleans silos: calls from one silo to grains activated on the other, over TCP (and, in the same run, local calls
/// for reference), and grain state writes through Orleans' ADO.NET storage to PostgreSQL against a plain Npgsql upsert
/// of the same rows at the same concurrency.
/// </summary>
internal static class ClusterBenchmark
{
    private const int Grains = 1_000;
    private static readonly int Callers = int.Parse(Environment.GetEnvironmentVariable("BENCH_CALLERS") ?? "16", CultureInfo.InvariantCulture);
    private const int StateGrains = 100;
    private const int Writers = 32;
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan WritePhase = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync()
    {
        var (remote, local) = await MeasureCallsAsync();
        var (stateWrites, rawWrites) = await MeasureWritesAsync();
        Console.WriteLine($"remote-calls-per-sec: {Format(remote)}");
        Console.WriteLine($"local-calls-per-sec: {Format(local)}");
        Console.WriteLine($"state-writes-per-sec: {Format(stateWrites)}");
        Console.WriteLine($"pg-raw-writes-per-sec: {Format(rawWrites)}");
        return 0;
    }

    private static async Task<(double Remote, double Local)> MeasureCallsAsync()
    {
        await using var cluster = new InProcessTestClusterBuilder(2).Build();
        await cluster.DeployAsync();
        var a = cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainFactory>();
        var b = cluster.Silos[1].ServiceProvider.GetRequiredService<IGrainFactory>();

        // PingGrain is placed where it is first called: activate half on B, half on A, then call them all from A.
        await Task.WhenAll(Enumerable.Range(0, Grains).Select(i => b.GetGrain<IPingGrain>(i).Ping()));
        await Task.WhenAll(Enumerable.Range(Grains, Grains).Select(i => a.GetGrain<IPingGrain>(i).Ping()));
        var onB = Enumerable.Range(0, Grains).Select(i => a.GetGrain<IPingGrain>(i)).ToList();
        var onA = Enumerable.Range(Grains, Grains).Select(i => a.GetGrain<IPingGrain>(i)).ToList();
        await Task.WhenAll(onB.Concat(onA).Select(g => g.Ping()));
        await MeasureAsync(onB, TimeSpan.FromSeconds(1), Callers);
        var remote = await MeasureAsync(onB, Phase, Callers);
        var local = await MeasureAsync(onA, Phase, Callers);
        return (remote, local);
    }

    private static async Task<(double State, double Raw)> MeasureWritesAsync()
    {
        // Both paths get the same pool size as there are writers: a bigger pool only spreads the load over more
        // PostgreSQL backends, which costs throughput on a small machine.
        var connectionString = PostgresServer.Instance.CreateDatabase("bench") + $";Maximum Pool Size={Writers}";
        await using (var migrate = NpgsqlDataSource.Create(connectionString))
        {
            await new PostgresMigrator(migrate, PostgresMigrator.Embedded).MigrateAsync();
        }

        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddSocialStorage(connectionString));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var grains = Enumerable.Range(0, StateGrains).Select(i => cluster.Client.GetGrain<IStoredCounterGrain>(i)).ToArray();
        await Task.WhenAll(grains.Select(g => g.Increment()));

        // The same rows written directly: the most PostgreSQL can take from this machine at this concurrency.
        await using var db = NpgsqlDataSource.Create(connectionString);
        var versions = new long[StateGrains];
        async Task UpsertAsync(int key)
        {
            await using var connection = await db.OpenConnectionAsync();
            await using var command = new NpgsqlCommand("""
                INSERT INTO orleans_storage (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext, grain_id_hash, grain_type_hash, payload_binary, version)
                VALUES ('raw', 'storedcounter', $1, 0, '', 0, 0, $2, 1)
                ON CONFLICT (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext)
                DO UPDATE SET payload_binary = excluded.payload_binary, version = orleans_storage.version + 1, modified_on = now()
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = (long)key });
            command.Parameters.Add(new NpgsqlParameter { Value = BitConverter.GetBytes(Interlocked.Increment(ref versions[key])) });
            await command.ExecuteNonQueryAsync();
        }

        var keys = Enumerable.Range(0, StateGrains).ToArray();
        await MeasureAsync(keys, TimeSpan.FromSeconds(1), Writers, UpsertAsync);
        await MeasureAsync(grains, TimeSpan.FromSeconds(1), Writers, g => g.Increment());

        // The machine is shared with the database server, so rounds vary: alternate the two and keep each one's best.
        double state = 0, raw = 0;
        for (var round = 0; round < 3; round++)
        {
            raw = Math.Max(raw, await MeasureAsync(keys, WritePhase, Writers, UpsertAsync));
            state = Math.Max(state, await MeasureAsync(grains, WritePhase, Writers, g => g.Increment()));
        }

        return (state, raw);
    }

    private static Task<double> MeasureAsync(IReadOnlyList<IPingGrain> targets, TimeSpan duration, int callers) =>
        MeasureAsync(targets, duration, callers, g => g.Ping());

    /// <summary>Runs <paramref name="callers"/> loops over <paramref name="targets"/> for <paramref name="duration"/>; returns operations per second.</summary>
    private static async Task<double> MeasureAsync<T>(IReadOnlyList<T> targets, TimeSpan duration, int callers, Func<T, Task> operation)
    {
        var stop = 0;
        var counts = new long[callers];
        var watch = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            var n = 0L;
            // Each caller owns the targets whose index is congruent to it modulo the callers (when there are enough
            // targets), so callers never queue behind each other on one grain or one row.
            var index = c % targets.Count;
            while (Volatile.Read(ref stop) == 0)
            {
                await operation(targets[index]);
                index += callers;
                if (index >= targets.Count)
                {
                    index = c % targets.Count;
                }

                n++;
            }

            counts[c] = n;
        })).ToArray();
        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(loops);
        return counts.Sum() / watch.Elapsed.TotalSeconds;
    }

    private static string Format(double value) => Math.Round(value).ToString("F0", CultureInfo.InvariantCulture);
}
