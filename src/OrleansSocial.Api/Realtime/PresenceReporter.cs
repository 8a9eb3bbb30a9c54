using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Realtime;

/// <summary>Settings of presence (section <c>Presence</c>).</summary>
public sealed class PresenceOptions
{
    /// <summary>
    /// How long a front end's report of its connections holds without renewal; a front end that died loses its users'
    /// connections after this (plus at most half of it, the grains' check). Default 20 s.
    /// </summary>
    public double LeaseSeconds { get; set; } = 20;

    /// <summary>How often the front end renews its reports. Default 7 s (well within the lease).</summary>
    public double RenewSeconds { get; set; } = 7;
}

/// <summary>
/// This front end's side of presence: counts the live hub connections of each user here and reports the count to the
/// user's grain on every change and, as a lease renewal, every <see cref="PresenceOptions.RenewSeconds"/>. Reports carry a
/// version, so the grain keeps the newest when two cross on the way. On a clean shutdown it reports zero for everyone.
/// </summary>
public sealed partial class PresenceReporter(IServiceProvider services, PresenceOptions options, ILogger<PresenceReporter> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, int> _counts = [];
    private long _version;

    /// <summary>This process's name in reports; a restarted front end is a new one.</summary>
    public string FrontEnd { get; } = Guid.NewGuid().ToString("N");

    private TimeSpan Lease => TimeSpan.FromSeconds(options.LeaseSeconds);

    public Task ConnectedAsync(long user) => ChangeAsync(user, +1);

    public Task DisconnectedAsync(long user) => ChangeAsync(user, -1);

    private Task ChangeAsync(long user, int delta)
    {
        ConnectionReport report;
        lock (_gate)
        {
            var count = Math.Max(0, _counts.GetValueOrDefault(user) + delta);
            if (count == 0)
            {
                _counts.Remove(user);
            }
            else
            {
                _counts[user] = count;
            }

            report = new ConnectionReport(FrontEnd, count, ++_version, Lease);
        }

        return SendAsync(user, report);
    }

    private async Task SendAsync(long user, ConnectionReport report)
    {
        try
        {
            // Resolved on use: a host without hub connections (an API-only test host) needs no grain factory.
            await services.GetRequiredService<IGrainFactory>().Reference<IUserGrain>(user).ReportConnectionsAsync(report).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next renewal repeats the count; a connection is never refused because presence could not be told.
            LogReportFailed(logger, e, user.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Reports the current count of every user with connections here (with <paramref name="zero"/>: zero).</summary>
    public async Task RenewAsync(bool zero = false)
    {
        (long User, ConnectionReport Report)[] reports;
        lock (_gate)
        {
            reports = [.. _counts.Select(c => (c.Key, new ConnectionReport(FrontEnd, zero ? 0 : c.Value, ++_version, Lease)))];
        }

        await Parallel.ForEachAsync(reports, new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (r, _) => await SendAsync(r.User, r.Report).ConfigureAwait(false)).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.RenewSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await RenewAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await RenewAsync(zero: true).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report the connections of account {Account}; the next renewal will.")]
    private static partial void LogReportFailed(ILogger logger, Exception exception, string account);
}
