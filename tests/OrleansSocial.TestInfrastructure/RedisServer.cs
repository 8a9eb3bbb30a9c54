using System.Diagnostics;

namespace OrleansSocial.TestInfrastructure;

/// <summary>
/// A private <c>redis-server</c> for one test process, on a free loopback port, without persistence, killed when the
/// process exits. Test classes isolate themselves with their own key prefix.
/// </summary>
public sealed class RedisServer
{
    private static readonly Lazy<RedisServer> Shared = new(() => new RedisServer());
    private readonly Process _process;

    private RedisServer()
    {
        Port = ServerProcess.FreePort();
        var binary = ServerProcess.Find("redis-server", "/usr/bin", "/usr/local/bin");
        _process = ServerProcess.Start(binary,
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
            redirect: true);
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        ServerProcess.WaitForPortAsync(Port, TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        ServerProcess.CleanUpAfterExit($"kill -9 {_process.Id} 2>/dev/null");
    }

    public static RedisServer Instance => Shared.Value;

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string.</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=5000";
}
