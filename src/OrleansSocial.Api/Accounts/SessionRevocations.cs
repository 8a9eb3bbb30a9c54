using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OrleansSocial.Api.Accounts;

/// <summary>
/// The sessions signed out (logout, a revoked session, a password change or reset, a reused refresh token) whose access
/// tokens could still be unexpired, held by every front end so such a token stops working at once here and within
/// <see cref="AuthOptions.RevocationPollInterval"/> on every other front end: a revocation made here is added when it
/// commits, and each front end reads the sessions revoked since its last look from the <c>sessions</c> table (one
/// indexed query per interval). A request checks its token's session against the set in memory; the SignalR
/// connections a revoked session opened are closed.
/// </summary>
public sealed partial class SessionRevocations(NpgsqlDataSource db, AuthOptions options, TimeProvider time, ILogger<SessionRevocations> logger)
    : BackgroundService
{
    // Rows revoked in a transaction that committed after a later one was read are caught by reading back this far.
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _revoked = new();
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<string, HubCallerContext>> _connections = new();
    private DateTimeOffset _readThrough = DateTimeOffset.MinValue;

    // A token is accepted until it expires (plus the validation's clock skew): that long after a revocation it is dead anyway.
    private TimeSpan Window => options.AccessTokenLifetime + TimeSpan.FromMinutes(1);

    /// <summary>No session is signed out within the window (nothing to look up).</summary>
    public bool IsEmpty => _revoked.IsEmpty;

    /// <summary>Whether <paramref name="sessionId"/> was signed out (its access tokens are refused).</summary>
    public bool IsRevoked(Guid sessionId) => !_revoked.IsEmpty && _revoked.ContainsKey(sessionId);

    /// <summary>Sessions signed out by this front end: refused from now on, and their live connections closed.</summary>
    public void Revoked(IEnumerable<Guid> sessionIds)
    {
        ArgumentNullException.ThrowIfNull(sessionIds);
        var until = time.GetUtcNow() + Window;
        foreach (var id in sessionIds)
        {
            Add(id, until);
        }
    }

    /// <summary>Remembers a hub connection of the session, to close it if the session is signed out.</summary>
    public void Connected(Guid sessionId, HubCallerContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (IsRevoked(sessionId))
        {
            connection.Abort();
            return;
        }

        _connections.GetOrAdd(sessionId, _ => new(StringComparer.Ordinal))[connection.ConnectionId] = connection;
    }

    public void Disconnected(Guid sessionId, string connectionId)
    {
        if (_connections.TryGetValue(sessionId, out var open) && open.TryRemove(connectionId, out _) && open.IsEmpty)
        {
            _connections.TryRemove(sessionId, out _);
        }
    }

    /// <summary>Reads the sessions revoked since the last read (by any front end); returns how many were new here.</summary>
    public async Task<int> RefreshAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var since = _readThrough == DateTimeOffset.MinValue ? now - Window : _readThrough - Overlap;
        await using var command = db.CreateCommand("SELECT id, revoked_at FROM sessions WHERE revoked_at > $1");
        command.Parameters.Add(new NpgsqlParameter { Value = since });
        var added = 0;
        var latest = since;
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var revokedAt = reader.GetFieldValue<DateTimeOffset>(1);
                latest = revokedAt > latest ? revokedAt : latest;
                if (Add(reader.GetGuid(0), revokedAt + Window))
                {
                    added++;
                }
            }
        }

        _readThrough = latest > now ? now : latest;
        foreach (var (id, until) in _revoked)
        {
            if (until < now)
            {
                _revoked.TryRemove(id, out _);
            }
        }

        return added;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RevocationPollInterval, time);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRefreshFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private bool Add(Guid sessionId, DateTimeOffset until)
    {
        var added = _revoked.TryAdd(sessionId, until);
        if (_connections.TryRemove(sessionId, out var open))
        {
            foreach (var connection in open.Values)
            {
                connection.Abort();
            }
        }

        return added;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading revoked sessions failed; the next interval tries again")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
