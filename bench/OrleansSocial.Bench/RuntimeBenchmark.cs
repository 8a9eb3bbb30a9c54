using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Placement;
using Orleans.TestingHost;

namespace OrleansSocial.Bench;

public interface IPingGrain : IGrainWithIntegerKey
{
    Task Ping();
}

/// <summary>Activated on the silo that first calls it, so a benchmark decides which calls are local and which remote.</summary>
[PreferLocalPlacement]
public sealed class PingGrain : Grain, IPingGrain
{
    public Task Ping() => Task.CompletedTask;
}

public interface ICallerGrain : IGrainWithIntegerKey
{
    /// <summary>Pings the targets in turn, <paramref name="calls"/> times, from inside this grain.</summary>
    Task<int> PingAsync(IPingGrain[] targets, int calls);
}

[PreferLocalPlacement]
public sealed class CallerGrain : Grain, ICallerGrain
{
    public async Task<int> PingAsync(IPingGrain[] targets, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            await targets[i % targets.Length].Ping();
        }

        return calls;
    }
}

/// <summary>The same ping without the runtime: a plain interface call on an object.</summary>
public sealed class PlainPing : IPingGrain
{
    public Task Ping() => Task.CompletedTask;
}

/// <summary>
/// Microsoft Orleans on this machine. Prints, one per line: calls from the co-hosted front end through
/// <c>IGrainFactory</c> per second (1,000 grains, 100 concurrent callers), grain-to-grain calls in one silo, calls from a
/// cluster client through a gateway, the same ping on plain objects, first calls to new grains per second, and managed
/// bytes per idle activation after 100,000 activations and a full GC.
/// </summary>
internal static class RuntimeBenchmark
{
    private const int Grains = 1_000;
    private static readonly int Callers = int.Parse(Environment.GetEnvironmentVariable("BENCH_CALLERS") ?? "16", CultureInfo.InvariantCulture);
    private const int Activations = 100_000;
    private static readonly TimeSpan CallPhase = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync()
    {
        await using var cluster = new InProcessTestClusterBuilder(1).Build();
        await cluster.DeployAsync();
        var silo = cluster.Silos[0];
        var factory = silo.ServiceProvider.GetRequiredService<IGrainFactory>();

        var grains = Enumerable.Range(0, Grains).Select(i => factory.GetGrain<IPingGrain>(i)).ToArray();
        await Task.WhenAll(grains.Select(g => g.Ping()));

        // Warm up each path so the JIT has settled before measuring.
        await MeasureCallsAsync(grains, TimeSpan.FromSeconds(1));
        var local = await MeasureCallsAsync(grains, CallPhase);
        var grainToGrain = await MeasureGrainToGrainAsync(factory, grains);
        var viaClient = cluster.Client;
        var clientGrains = Enumerable.Range(0, Grains).Select(i => viaClient.GetGrain<IPingGrain>(i)).ToArray();
        await MeasureCallsAsync(clientGrains, TimeSpan.FromSeconds(1));
        var gateway = await MeasureCallsAsync(clientGrains, CallPhase);
        var plain = Enumerable.Range(0, Grains).Select(_ => (IPingGrain)new PlainPing()).ToArray();
        await MeasureCallsAsync(plain, TimeSpan.FromMilliseconds(500));
        var direct = await MeasureCallsAsync(plain, CallPhase);

        var baseline = Memory();
        var activationsPerSecond = await MeasureActivationsAsync(factory);
        var bytesPerActivation = (Memory() - baseline) / (double)Activations;
        var resident = await factory.GetGrain<IManagementGrain>(0).GetTotalActivationCount();

        Console.WriteLine($"local-calls-per-sec: {Format(local)}");
        Console.WriteLine($"grain-to-grain-calls-per-sec: {Format(grainToGrain)}");
        Console.WriteLine($"gateway-calls-per-sec: {Format(gateway)}");
        Console.WriteLine($"direct-calls-per-sec: {Format(direct)}");
        Console.WriteLine($"activations-per-sec: {Format(activationsPerSecond)}");
        Console.WriteLine($"bytes-per-idle-activation: {Format(bytesPerActivation)}");
        Console.Error.WriteLine($"(activations resident while measuring memory: {resident:N0}; cores: {Environment.ProcessorCount}; server GC: {System.Runtime.GCSettings.IsServerGC})");
        return 0;
    }

    // Callers that are grains themselves: each of 100 caller grains pings the targets in batches of 256 calls.
    private static async Task<double> MeasureGrainToGrainAsync(IGrainFactory factory, IPingGrain[] targets)
    {
        var callers = Enumerable.Range(0, Callers).Select(i => factory.GetGrain<ICallerGrain>(i)).ToArray();
        var slices = Enumerable.Range(0, Callers).Select(c => targets.Skip(c * 10 % targets.Length).Take(10).ToArray()).ToArray();
        await Task.WhenAll(callers.Select((c, i) => c.PingAsync(slices[i], 256)));
        var stop = 0;
        var watch = Stopwatch.StartNew();
        var counts = new long[Callers];
        var loops = Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                counts[c] += await callers[c].PingAsync(slices[c], 256);
            }
        })).ToArray();
        await Task.Delay(CallPhase);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(loops);
        return counts.Sum() / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> MeasureCallsAsync(IPingGrain[] targets, TimeSpan duration)
    {
        var stop = 0;
        var counts = new long[Callers];
        var watch = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            var n = 0L;
            var index = c * 7;
            while (Volatile.Read(ref stop) == 0)
            {
                for (var i = 0; i < 256; i++)
                {
                    await targets[index].Ping();
                    index = index + 1 == targets.Length ? 0 : index + 1;
                }

                n += 256;
                await Task.Yield(); // let the other callers in: 100 callers take turns on the cores
            }

            counts[c] = n;
        })).ToArray();

        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(callers);
        return counts.Sum() / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> MeasureActivationsAsync(IGrainFactory factory)
    {
        var next = 1_000_000L - 1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            long key;
            while ((key = Interlocked.Increment(ref next)) < 1_000_000L + Activations)
            {
                await factory.GetGrain<IPingGrain>(key).Ping();
            }
        })));
        return Activations / watch.Elapsed.TotalSeconds;
    }

    private static long Memory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string Format(double value) => Math.Round(value).ToString("F0", CultureInfo.InvariantCulture);
}
