using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace OrleansSocial.TestInfrastructure;

/// <summary>
/// The OrleansSocial host (<c>OrleansSocial.Host.dll</c>) as a separate operating-system process in one role, the way
/// an operator runs it: settings go in as environment variables, it is ready when <c>/health/ready</c> says so, and
/// it is killed (never left behind) when disposed or when the test process exits.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private HostProcess(Process process, Uri baseAddress, int siloPort)
    {
        _process = process;
        BaseAddress = baseAddress;
        SiloPort = siloPort;
    }

    public Uri BaseAddress { get; }

    public int SiloPort { get; }

    /// <summary>The last lines the process wrote (stdout and stderr), for failure messages.</summary>
    public string Log => string.Join(Environment.NewLine, _log);

    /// <summary>Where the host assembly is: next to the calling test or benchmark (it references the Host project).</summary>
    public static string DefaultAssemblyPath => Path.Combine(AppContext.BaseDirectory, "OrleansSocial.Host.dll");

    /// <summary>Starts the host in <paramref name="role"/> with the given settings (configuration keys such as <c>ConnectionStrings:Redis</c>).</summary>
    public static async Task<HostProcess> StartAsync(string role, IReadOnlyDictionary<string, string> settings, TimeSpan? readyTimeout = null,
        string? assemblyPath = null)
    {
        // A free port can be taken by another process between choosing it and binding it: try again with new ones.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(role, settings, readyTimeout, assemblyPath);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    private static async Task<HostProcess> StartOnceAsync(string role, IReadOnlyDictionary<string, string> settings, TimeSpan? readyTimeout, string? assemblyPath)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var ports = ServerProcess.FreePorts(3);
        var (httpPort, siloPort, gatewayPort) = (ports[0], ports[1], ports[2]);
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(assemblyPath ?? DefaultAssemblyPath);
        info.Environment["Role"] = role;
        info.Environment["Urls"] = $"http://127.0.0.1:{httpPort}";
        info.Environment["Silo__Port"] = siloPort.ToString(CultureInfo.InvariantCulture);
        info.Environment["Silo__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture);
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the host.");
        ServerProcess.CleanUpAfterExit($"kill -9 {process.Id} 2>/dev/null");
        var host = new HostProcess(process, new Uri($"http://127.0.0.1:{httpPort}"), siloPort);
        process.OutputDataReceived += (_, e) => host.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => host.Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await host.WaitUntilReadyAsync(readyTimeout ?? TimeSpan.FromSeconds(60));
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > 200 && _log.TryDequeue(out _))
        {
        }
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {_process.ExitCode}:{Environment.NewLine}{Log}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The host was not ready within {timeout}:{Environment.NewLine}{Log}");
    }

    /// <summary>Stops the process as an operator or a supervisor would (SIGTERM) and waits for it to exit.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await term!.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>Kills the process at once, as a crash would.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
