using System.Diagnostics;

namespace OrleansSocial.TestInfrastructure;

/// <summary>
/// A private s3rver (tests/s3-server, run under node) for one test process: a real S3 protocol peer that checks request
/// signatures, on a free loopback port, storing under a temporary directory, killed when the process exits.
/// </summary>
public sealed class S3Server
{
    private static readonly Lazy<S3Server> Shared = new(() => new S3Server());
    private readonly Process _process;

    private S3Server()
    {
        var directory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../s3-server"));
        var script = Path.Combine(directory, "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"s3rver is not installed: run `npm ci --prefix tests/s3-server` (./build.sh test does) — {script} is missing.");
        }

        Port = ServerProcess.FreePort();
        DataDirectory = Directory.CreateTempSubdirectory("social-s3rver-").FullName;
        var node = ServerProcess.Find("node", "/usr/bin", "/usr/local/bin");
        _process = ServerProcess.Start(node,
            [script, "--directory", DataDirectory, "--address", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--no-vhost-buckets"],
            redirect: true);
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        ServerProcess.WaitForPortAsync(Port, TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        ServerProcess.CleanUpAfterExit($"kill -9 {_process.Id} 2>/dev/null; rm -rf '{DataDirectory}'");
    }

    public static S3Server Instance => Shared.Value;

    public int Port { get; }

    public string DataDirectory { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>s3rver's fixed credentials.</summary>
    public const string AccessKey = "S3RVER";

    /// <inheritdoc cref="AccessKey"/>
    public const string SecretKey = "S3RVER";
}
