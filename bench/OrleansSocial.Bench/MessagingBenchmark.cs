using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansSocial.Bench;

/// <summary>
/// The messaging benchmark of issue 7, against one silo + PostgreSQL (<see cref="FrontendBenchServer"/> in its own
/// process): sends over HTTP into 1,000 direct conversations from 64 connections; the latency from sending a message
/// to the other member's real SignalR JavaScript client receiving it, 500 pairs online at 500 messages/s offered; and
/// hub Typing calls handled per second by 500 typists while their partners listen.
/// </summary>
internal static class MessagingBenchmark
{
    private const int Conversations = 1_000;
    private const int OnlinePairs = 500;
    private const int OfferedPerSecond = 500;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Measure = TimeSpan.FromSeconds(10);
    private static readonly string ClientDirectory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../tests/signalr-client"));

    public static async Task<int> RunAsync()
    {
        using var server = await BenchServerProcess.StartAsync("messaging_bench");
        var http = server.Http;
        var users = await server.CreateUsersAsync(Conversations * 2);
        // Conversation i is between users 2i (who sends) and 2i + 1.
        var conversations = await server.CreateConversationsAsync(users, Conversations, parallelism: 32);

        HttpRequestMessage Send(int i, string text) => server.Authorized(HttpMethod.Post, $"/api/v1/conversations/{conversations[i % Conversations]}/messages",
            users.Tokens[2 * (i % Conversations)], new { client_id = Guid.NewGuid().ToString("N"), text });
        await FrontendBenchmark.MeasureRpsAsync(http, i => Send(i, "warm-up"), Warmup);
        var sendRps = await FrontendBenchmark.MeasureRpsAsync(http, i => Send(i, $"bench message {i}"), Measure);

        var delivery = await DeliveryAsync(server, users, Send);
        var typing = await TypingAsync(server, users, conversations);

        Console.WriteLine($"message-send-rps: {sendRps:F0}     # POST message over HTTP, {Conversations} conversations, {FrontendBenchmark.Concurrency} connections (target >= 2000)");
        Console.WriteLine($"message-delivery-p99-ms: {delivery}");
        Console.WriteLine($"typing-events-per-sec: {typing}");
        return 0;
    }

    // The recipients of the first 500 conversations connect; one warm-up message each (not measured), then 500
    // messages/s for the measuring time, each carrying the time it was sent.
    private static async Task<string> DeliveryAsync(BenchServerProcess server, BenchUsers users, Func<int, string, HttpRequestMessage> send)
    {
        var expected = (int)(OfferedPerSecond * Measure.TotalSeconds);
        var tokensFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokensFile, JsonSerializer.Serialize(Enumerable.Range(0, OnlinePairs).Select(i => users.Tokens[2 * i + 1])));
        using var node = StartNode("messages.mjs", new Uri(server.Api, "/hubs/events").ToString(), tokensFile,
            expected.ToString(CultureInfo.InvariantCulture), "180000");
        try
        {
            await ConnectedAsync(node);
            await Task.WhenAll(Enumerable.Range(0, OnlinePairs).Select(async i => (await server.Http.SendAsync(send(i, "warm-up"))).EnsureSuccessStatusCode()));

            var sends = new List<Task>(expected);
            var clock = Stopwatch.StartNew();
            for (var k = 0; k < expected; k++)
            {
                var due = TimeSpan.FromSeconds(k / (double)OfferedPerSecond);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed);
                }

                var i = k % OnlinePairs;
                sends.Add(Task.Run(async () =>
                {
                    using var response = await server.Http.SendAsync(send(i, "t:" + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
                    response.EnsureSuccessStatusCode();
                }));
            }

            await Task.WhenAll(sends);
            var offered = expected / clock.Elapsed.TotalSeconds;
            var result = await node.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            var parts = result?.Split(' ') ?? [];
            return parts.Length == 5 && parts[0] == "latency"
                ? $"{parts[2]}     # from the POST being sent to the recipient's JS client; p50 {parts[1]} ms, max {parts[3]} ms, {parts[4]} messages at {offered:F0} msg/s offered, {OnlinePairs} pairs online (target <= 50)"
                : throw new InvalidOperationException($"Unexpected delivery result: {result}");
        }
        finally
        {
            Stop(node);
            File.Delete(tokensFile);
        }
    }

    private static async Task<string> TypingAsync(BenchServerProcess server, BenchUsers users, string[] conversations)
    {
        var pairsFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(pairsFile, JsonSerializer.Serialize(Enumerable.Range(0, OnlinePairs)
            .Select(i => new[] { users.Tokens[2 * i], users.Tokens[2 * i + 1], conversations[i] })));
        using var node = StartNode("typing.mjs", new Uri(server.Api, "/hubs/events").ToString(), pairsFile,
            ((int)Measure.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        try
        {
            await ConnectedAsync(node);
            var result = await node.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            var parts = result?.Split(' ') ?? [];
            if (parts.Length != 4 || parts[0] != "typing")
            {
                throw new InvalidOperationException($"Unexpected typing result: {result}");
            }

            var (calls, events, seconds) = (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture),
                double.Parse(parts[3], CultureInfo.InvariantCulture));
            return $"{calls / seconds:F0}     # hub Typing calls handled per second ({OnlinePairs} typists, each call through the grain that relays it); "
                + $"{events} typing events reached the partners (one per typing state started: a repeat within 5 s extends it)";
        }
        finally
        {
            Stop(node);
            File.Delete(pairsFile);
        }
    }

    private static Process StartNode(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = ClientDirectory, UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in new[] { script }.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info)!;
    }

    private static async Task ConnectedAsync(Process node)
    {
        var connected = await node.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(90));
        if (connected?.StartsWith("connected", StringComparison.Ordinal) != true)
        {
            throw new InvalidOperationException($"The SignalR clients did not connect: {connected}");
        }
    }

    private static void Stop(Process node)
    {
        if (!node.HasExited)
        {
            node.Kill();
        }
    }
}
