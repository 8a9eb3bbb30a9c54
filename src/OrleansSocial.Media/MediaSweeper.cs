using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansSocial.Media;

/// <summary>
/// Every <see cref="MediaOptions.SweepInterval"/>: deletes the blobs, then the rows, of media nothing needs any more —
/// deleted (a deleted post's, a replaced avatar's), unattached for longer than <see cref="MediaOptions.UnattachedLifetime"/>,
/// failed, or stuck processing because their process died. Front ends all sweep; deletes are idempotent.
/// </summary>
public sealed partial class MediaSweeper(MediaOptions options, MediaRepository repository, IMediaStore store, TimeProvider time, ILogger<MediaSweeper> logger)
    : BackgroundService
{
    /// <summary>Uploads still processing after this long belong to a process that died.</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromHours(1);

    /// <summary>Sweeps until nothing is left to sweep; returns how many uploads went.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
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
                await Task.Delay(options.SweepInterval, time, stoppingToken).ConfigureAwait(false);
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
