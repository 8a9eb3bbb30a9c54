using Orleans.Runtime;

namespace OrleansSocial.Host;

/// <summary>
/// Watches, on a silo with Redis membership, that the membership table is still there. When Redis restarts empty the
/// table is gone: Orleans keeps retrying to read it, its silos can no longer see each other join, leave or fail, and no
/// process can join. This silo then exits (code 75) after <see cref="Tolerance"/> of failed reads, so that its
/// supervisor (systemd, a container's restart policy, <c>./build.sh cluster</c>) starts it again: a starting silo
/// creates the table afresh and joins, and serving resumes by itself.
/// </summary>
internal sealed partial class MembershipWatchdog(IMembershipTable table, IHostApplicationLifetime lifetime, ILogger<MembershipWatchdog> logger, TimeProvider time)
    : BackgroundService
{
    public const int ExitCode = 75; // EX_TEMPFAIL: try again
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan HardStop = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? failingSince = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Period, time, stoppingToken).ConfigureAwait(false);
                await table.ReadAllAsync(stoppingToken).WaitAsync(Period, stoppingToken).ConfigureAwait(false);
                failingSince = null;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failingSince ??= time.GetTimestamp();
                if (time.GetElapsedTime(failingSince.Value) >= Tolerance)
                {
                    LogExiting((int)Tolerance.TotalSeconds, e.GetType().Name, e.Message);
                    Environment.ExitCode = ExitCode;
                    lifetime.StopApplication();
                    // A graceful stop tries to tell the lost table too; if that hangs, leave anyway.
                    _ = Task.Delay(HardStop, time, CancellationToken.None).ContinueWith(_ => Environment.Exit(ExitCode), TaskScheduler.Default);
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = 75, Level = LogLevel.Critical,
        Message = "The membership table could not be read for {Seconds} s ({Error}: {Detail}) - Redis lost it or is unreachable. This silo stops now (exit code 75) so that its supervisor restarts it and it joins a table created afresh.")]
    private partial void LogExiting(int seconds, string error, string detail);
}
