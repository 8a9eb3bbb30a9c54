using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSocial.Runtime.Messaging;

namespace OrleansSocial.Runtime;

/// <summary>Timings of cluster membership. Defaults suit production (a dead silo is noticed in about 10 s).</summary>
public sealed class ClusterMembershipOptions
{
    /// <summary>How often the membership table is read to refresh this silo's view. Default 2 s.</summary>
    public TimeSpan TableRefreshPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a silo writes "I am alive" into its row. Default 5 s.</summary>
    public TimeSpan IAmAlivePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often each active peer is pinged. Default 2 s.</summary>
    public TimeSpan ProbePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a ping may take before it counts as missed. Default 2 s.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Consecutive missed pings after which this silo votes the peer dead. Default 3.</summary>
    public int NumMissedProbesLimit { get; set; } = 3;

    /// <summary>Votes (within <see cref="DeathVoteExpiration"/>) that declare a silo dead; fewer when fewer silos are active. Default 2.</summary>
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How long a suspicion vote counts. Default 2 minutes.</summary>
    public TimeSpan DeathVoteExpiration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Rows of dead silos older than this are removed from the table. Default 1 day.</summary>
    public TimeSpan DefunctSiloExpiration { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>
/// Membership backed by an <see cref="IMembershipTable"/>: the silo inserts its row (Joining), becomes Active, writes
/// I-am-alive periodically, reads the table to refresh its view, and pings its active peers over the transport. After
/// enough missed pings it records a suspicion vote; with enough votes the peer is declared Dead — every change is a
/// version-checked write, so concurrent changes cannot both win. A silo that finds itself declared Dead stops.
/// </summary>
internal sealed partial class ClusterMembershipService : IClusterMembershipService, IAsyncDisposable
{
    private readonly IMembershipTable _table;
    private readonly ILocalSiloDetails _local;
    private readonly TcpTransport _transport;
    private readonly ClusterMembershipOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<SiloAddress, int> _missedProbes = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private MembershipView _view;
    private SiloStatus _status = SiloStatus.None;

    public ClusterMembershipService(IMembershipTable table, ILocalSiloDetails local, TcpTransport transport,
        IOptions<ClusterMembershipOptions> options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _table = table;
        _local = local;
        _transport = transport;
        _options = options.Value;
        _time = time;
        _logger = loggerFactory.CreateLogger<ClusterMembershipService>();
        _view = new MembershipView(-1, ImmutableDictionary<SiloAddress, SiloStatus>.Empty);
    }

    public MembershipView CurrentView => Volatile.Read(ref _view);

    public event Action<MembershipView>? ViewChanged;

    /// <summary>Raised when other silos declared this one dead: it must stop serving at once.</summary>
    public event Action? DeclaredDead;

    public async Task UpdateStatusAsync(SiloStatus status, CancellationToken cancellationToken)
    {
        if (status == SiloStatus.Joining || _status == SiloStatus.None)
        {
            await _table.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        for (var attempt = 0; ; attempt++)
        {
            var data = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            var mine = data.Find(_local.SiloAddress);
            bool written;
            if (mine is null)
            {
                written = await _table.InsertRowAsync(new MembershipEntry
                {
                    SiloAddress = _local.SiloAddress,
                    Status = status,
                    HostName = Environment.MachineName,
                    StartTime = now,
                    IAmAliveTime = now,
                }, data.Version.Next(), cancellationToken).ConfigureAwait(false);
            }
            else if (mine.Value.Entry.Status == SiloStatus.Dead && status != SiloStatus.Dead)
            {
                throw new SiloUnavailableException($"Silo {_local.SiloAddress} was declared dead by the cluster and cannot change its status.");
            }
            else
            {
                written = await _table.UpdateRowAsync(mine.Value.Entry with { Status = status, IAmAliveTime = now }, mine.Value.ETag,
                    data.Version.Next(), cancellationToken).ConfigureAwait(false);
            }

            if (written)
            {
                break;
            }

            if (attempt > 50)
            {
                throw new OrleansException($"Silo {_local.SiloAddress} could not record its status {status}: the membership table kept changing.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10 + Random.Shared.Next(40)), cancellationToken).ConfigureAwait(false);
        }

        _status = status;
        LogStatus(_logger, _local.SiloAddress, status);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        if (status == SiloStatus.Active && _loops.Count == 0)
        {
            _loops.Add(RunPeriodicAsync(_options.TableRefreshPeriod, RefreshAsync));
            _loops.Add(RunPeriodicAsync(_options.IAmAlivePeriod, ct => _table.UpdateIAmAliveAsync(_local.SiloAddress, _time.GetUtcNow(), ct)));
            _loops.Add(RunPeriodicAsync(_options.ProbePeriod, ProbeAsync));
        }
        else if (status is SiloStatus.ShuttingDown or SiloStatus.Dead)
        {
            await StopLoopsAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads the table and publishes the view if it changed.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var data = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        var members = data.Entries.ToImmutableDictionary(e => e.Entry.SiloAddress, e => e.Entry.Status);
        var current = CurrentView;
        if (members.TryGetValue(_local.SiloAddress, out var own) && own == SiloStatus.Dead && _status is SiloStatus.Active or SiloStatus.Joining)
        {
            LogDeclaredDead(_logger, _local.SiloAddress);
            _status = SiloStatus.Dead;
            DeclaredDead?.Invoke();
            return;
        }

        if (data.Version.Version == current.Version && members.Count == current.Members.Count)
        {
            return;
        }

        var view = new MembershipView(data.Version.Version, members);
        Volatile.Write(ref _view, view);
        foreach (var (silo, status) in members)
        {
            if (status == SiloStatus.Dead)
            {
                _transport.Disconnect(silo);
            }
        }

        ViewChanged?.Invoke(view);
        if (Random.Shared.Next(50) == 0)
        {
            await _table.CleanupDefunctSiloEntriesAsync(_time.GetUtcNow() - _options.DefunctSiloExpiration, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var peers = CurrentView.ActiveSilos.Where(s => !s.Equals(_local.SiloAddress)).ToArray();
        var results = await Task.WhenAll(peers.Select(p => _transport.PingAsync(p, _options.ProbeTimeout))).ConfigureAwait(false);
        for (var i = 0; i < peers.Length; i++)
        {
            if (results[i])
            {
                _missedProbes.Remove(peers[i]);
                continue;
            }

            var missed = _missedProbes[peers[i]] = _missedProbes.GetValueOrDefault(peers[i]) + 1;
            LogMissedProbe(_logger, peers[i], missed);
            if (missed >= _options.NumMissedProbesLimit)
            {
                await SuspectAsync(peers[i], cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Votes <paramref name="silo"/> dead; the vote that reaches the threshold declares it Dead.</summary>
    private async Task SuspectAsync(SiloAddress silo, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var data = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
            if (data.Find(silo) is not { } row || row.Entry.Status == SiloStatus.Dead)
            {
                return;
            }

            var now = _time.GetUtcNow();
            var votes = row.Entry.Suspicions
                .Where(v => now - v.Time < _options.DeathVoteExpiration && !v.Voter.Equals(_local.SiloAddress))
                .Append(new SuspectVote(_local.SiloAddress, now))
                .ToImmutableList();
            var active = data.Entries.Count(e => e.Entry.Status == SiloStatus.Active);
            var needed = Math.Max(1, Math.Min(_options.NumVotesForDeathDeclaration, active - 1));
            var updated = votes.Count >= needed
                ? row.Entry with { Status = SiloStatus.Dead, Suspicions = votes }
                : row.Entry with { Suspicions = votes };
            if (await _table.UpdateRowAsync(updated, row.ETag, data.Version.Next(), cancellationToken).ConfigureAwait(false))
            {
                if (updated.Status == SiloStatus.Dead)
                {
                    LogDeclaredDeadPeer(_logger, silo, votes.Count);
                    _missedProbes.Remove(silo);
                }

                await RefreshAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
        }
    }

    private async Task RunPeriodicAsync(TimeSpan period, Func<CancellationToken, Task> action)
    {
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await action(_stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // a failing round (table unreachable) is logged and retried next period
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogRoundFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops the background loops without writing anything (graceful stop writes its status first; a crash writes nothing).</summary>
    public async Task StopLoopsAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(_loops).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopLoopsAsync().ConfigureAwait(false);

    [LoggerMessage(30, LogLevel.Information, "Silo {Silo} is now {Status}")]
    private static partial void LogStatus(ILogger logger, SiloAddress silo, SiloStatus status);

    [LoggerMessage(31, LogLevel.Critical, "Silo {Silo} was declared dead by the cluster; stopping")]
    private static partial void LogDeclaredDead(ILogger logger, SiloAddress silo);

    [LoggerMessage(32, LogLevel.Warning, "Silo {Silo} missed {Missed} probes")]
    private static partial void LogMissedProbe(ILogger logger, SiloAddress silo, int missed);

    [LoggerMessage(33, LogLevel.Warning, "Declared silo {Silo} dead ({Votes} votes)")]
    private static partial void LogDeclaredDeadPeer(ILogger logger, SiloAddress silo, int votes);

    [LoggerMessage(34, LogLevel.Warning, "A membership round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);
}
