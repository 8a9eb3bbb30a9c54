using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OrleansSocial.TestInfrastructure;

/// <summary>Process helpers for the private database servers tests start.</summary>
public static class ServerProcess
{
    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Several distinct free loopback ports (all held open together while they are chosen, so none repeats).</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }

    public static bool IsRoot => Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root";

    /// <summary>Runs a command to completion, as <paramref name="user"/> when given (via runuser), and returns its output.</summary>
    public static string Run(string fileName, IEnumerable<string> arguments, string? user = null, TimeSpan? timeout = null)
    {
        using var process = Start(fileName, arguments, user, redirect: true);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{fileName} did not finish in time.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        }

        return stdout.Result;
    }

    /// <summary>Starts a long-running server process.</summary>
    public static Process Start(string fileName, IEnumerable<string> arguments, string? user = null, bool redirect = false)
    {
        var info = new ProcessStartInfo
        {
            FileName = user is null ? fileName : "runuser",
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
            UseShellExecute = false,
        };
        if (user is not null)
        {
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(user);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
    }

    /// <summary>Finds an executable in the given directories or on PATH.</summary>
    public static string Find(string name, params string[] directories)
    {
        foreach (var directory in directories.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"'{name}' was not found. `./build.sh test` installs it (Debian package); run it once, or install it yourself.");
    }

    /// <summary>
    /// Runs <paramref name="cleanupCommand"/> (a shell command) once this test process has exited, however it exits:
    /// a detached shell polls for the process and then cleans up, so servers never outlive their tests.
    /// </summary>
    public static void CleanUpAfterExit(string cleanupCommand)
    {
        var info = new ProcessStartInfo { FileName = "setsid", UseShellExecute = false };
        info.ArgumentList.Add("sh");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; {cleanupCommand}");
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        using var watchdog = Process.Start(info);
    }

    public static async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
