using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansSocial.Media;

/// <summary>
/// Every <see cref="MediaOptions.SweepInterval"/>: deletes the blobs, then the rows, of media nothing needs any more —
/// deleted (a deleted post's, a replaced avatar's), unattached for longer than <see cref="MediaOptions.UnattachedLifetime"/>,
/// failed, or stuck processing because their process died. Front ends all sweep; deletes are idempotent. A front end that
/// has just deleted a post or detached its media calls <see cref="Wake"/>, so the blobs go within moments rather than at
/// the next interval.
/// </summary>
public sealed partial class MediaSweeper(MediaOptions options, MediaRepository repository, IMediaStore store, TimeProvider time, ILogger<MediaSweeper> logger)
    : BackgroundService
{
    /// <summary>Uploads still processing after this long belong to a process that died.</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromHours(1);

    private readonly SemaphoreSlim _sweeping = new(1, 1);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs a sweep now (or right after the one running), instead of at the next interval.</summary>
    public void Wake() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>Sweeps until nothing is left to sweep; returns how many uploads went.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await _sweeping.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await SweepAllAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sweeping.Release();
        }
    }

    private async Task<int> SweepAllAsync(CancellationToken cancellationToken)
    {
        var swept = 0;
        while (true)
        {
            var now = time.GetUtcNow();
            var doomed = await repository.DoomedAsync(now - options.UnattachedLifetime, now - StuckAfter, 200, cancellationToken).ConfigureAwait(false);
            foreach (var (id, token) in doomed)
            {
                await store.DeleteTokenAsync(token, cancellationToken).ConfigureAwait(false);
                await repository.RemoveAsync(id, cancellationToken).ConfigureAwait(false);
            }

            swept += doomed.Count;
            if (doomed.Count < 200)
            {
                return swept;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // A wake during this sweep completes the fresh signal, so the wait below ends at once and sweeps again.
            Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            var woken = Volatile.Read(ref _wake).Task;
            try
            {
                if (await SweepAsync(stoppingToken).ConfigureAwait(false) is > 0 and var swept)
                {
                    LogSwept(logger, swept);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }

            try
            {
                await Task.WhenAny(Task.Delay(options.SweepInterval, time, stoppingToken), woken).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} unused uploads and their blobs.")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The media sweep failed; it runs again later.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
