using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansSocial.Runtime;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Postgres;
using OrleansSocial.Runtime.Testing;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Bench;

public sealed class CounterState
{
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
/// The cluster benchmark of issue 3: calls between two silos over TCP (and, in the same run, local calls for
/// reference), and grain state writes to PostgreSQL against a plain Npgsql upsert loop at the same concurrency.
/// </summary>
internal static class ClusterBenchmark
{
    private const int Grains = 1_000;
    private const int Callers = 100;
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
        var builder = new TestClusterBuilder();
        builder.Options.InitialSilosCount = 2;
        builder.ConfigureSilo(silo => silo.AddGrainsFromAssembly<PingGrain>());
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var a = cluster.Silos[0];
        var b = cluster.Silos[1];
        var placement = a.ServiceProvider.GetRequiredService<IPlacementDirector>();
        var onB = new List<IPingGrain>();
        var onA = new List<IPingGrain>();
        for (var key = 0L; onA.Count < Grains || onB.Count < Grains; key++)
        {
            var grain = a.GrainFactory.GetGrain<IPingGrain>(key);
            var owner = placement.GetOwner(grain.GetGrainId(), a.View);
            var list = b.SiloAddress.Equals(owner) ? onB : onA;
            if (list.Count < Grains)
            {
                list.Add(grain);
            }
        }

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
        var builder = new TestClusterBuilder();
        builder.ConfigureSilo(silo => silo.AddGrainsFromAssembly<StoredCounterGrain>()
            .AddPostgresGrainStorageAsDefault(o => o.ConnectionString = connectionString));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var grains = Enumerable.Range(0, StateGrains).Select(i => cluster.GrainFactory.GetGrain<IStoredCounterGrain>(i)).ToArray();
        await Task.WhenAll(grains.Select(g => g.Increment()));

        // The same rows written directly: the most PostgreSQL can take from this machine at this concurrency.
        await using var db = NpgsqlDataSource.Create(connectionString);
        var versions = new long[StateGrains];
        async Task UpsertAsync(int key)
        {
            await using var connection = await db.OpenConnectionAsync();
            await using var command = new NpgsqlCommand("""
                INSERT INTO grain_state (service_id, grain_type, grain_key, state_name, payload, version)
                VALUES ('raw', 'storedcounter', $1, 'counter', $2::jsonb, 1)
                ON CONFLICT (service_id, grain_type, grain_key, state_name)
                DO UPDATE SET payload = excluded.payload, version = grain_state.version + 1, modified_at = now()
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = key.ToString(CultureInfo.InvariantCulture) });
            command.Parameters.Add(new NpgsqlParameter { Value = $"{{\"value\":{Interlocked.Increment(ref versions[key])}}}" });
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
