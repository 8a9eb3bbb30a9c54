using Npgsql;

namespace OrleansSocial.TestInfrastructure;

/// <summary>
/// A private PostgreSQL server for one test process: <c>initdb</c> in a temporary directory, started on a free loopback
/// port from the Debian binaries, stopped and deleted once the test process has exited (a watchdog does it, even if the process is killed). Each test class asks for its own database.
/// When the tests run as root the server runs as the <c>postgres</c> user (PostgreSQL refuses to run as root).
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<PostgresServer> Shared = new(() => new PostgresServer());
    private readonly string _dataDirectory;
    private readonly string _bin;
    private readonly string? _user;
    private int _databases;

    private PostgresServer()
    {
        _bin = Path.GetDirectoryName(ServerProcess.Find("pg_ctl", PostgresBinDirectories()))!;
        _user = ServerProcess.IsRoot ? "postgres" : null;
        _dataDirectory = Path.Combine(Path.GetTempPath(), $"orleanssocial-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dataDirectory);
        if (_user is not null)
        {
            ServerProcess.Run("chown", [_user, _dataDirectory]);
        }

        Port = ServerProcess.FreePort();
        ServerProcess.Run(Path.Combine(_bin, "initdb"), ["-D", _dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"], _user);
        Start();
        var pgCtl = Path.Combine(_bin, "pg_ctl");
        var stop = $"{pgCtl} -D {_dataDirectory} -m immediate -w stop";
        ServerProcess.CleanUpAfterExit($"{(_user is null ? stop : $"runuser -u {_user} -- {stop}")} >/dev/null 2>&1; rm -rf {_dataDirectory}");
    }

    /// <summary>The server shared by every test in this process.</summary>
    public static PostgresServer Instance => Shared.Value;

    /// <summary>A server of its own, for tests that stop and start it.</summary>
    public static PostgresServer StartNew() => new();

    public int Port { get; }

    /// <summary>Connection string of the maintenance database.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Timeout=5;Command Timeout=30";

    /// <summary>Creates a new, empty database and returns its connection string.</summary>
    public string CreateDatabase(string prefix = "test")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}".ToLowerInvariant();
        name = name[..Math.Min(name.Length, 63)];
        using var connection = new NpgsqlConnection(AdminConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        command.ExecuteNonQuery();
        return ConnectionString(name);
    }

    /// <summary>Stops the server abruptly (as a crash would), keeping its data.</summary>
    public void Kill() => Stop("immediate");

    /// <summary>Starts the server again after <see cref="Kill"/>.</summary>
    public void Start()
    {
        ServerProcess.Run(Path.Combine(_bin, "pg_ctl"),
        [
            "-D", _dataDirectory, "-w", "-t", "60", "-l", Path.Combine(_dataDirectory, "server.log"), "start",
            "-o", $"-p {Port} -k {_dataDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=1000",
        ], _user);
    }

    private void Stop(string mode)
    {
        try
        {
            ServerProcess.Run(Path.Combine(_bin, "pg_ctl"), ["-D", _dataDirectory, "-m", mode, "-w", "stop"], _user, TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
    }

    private static string[] PostgresBinDirectories() =>
        Directory.Exists("/usr/lib/postgresql")
            ? [.. Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin"))]
            : [];
}
