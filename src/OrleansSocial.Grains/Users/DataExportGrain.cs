using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansSocial.Media;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>
/// An account's data exports. Asking registers a reminder due at once; each time it fires with a build owed, the build
/// runs on a grain timer (its calls interleave, so asking and listing answer meanwhile): the archive is written to a
/// temporary file, stored in the media store, and the export marked ready until <see cref="ExportOptions.Lifetime"/>
/// ends. A build a crash interrupts is still owed, so the reminder — which keeps firing while one is — starts it again
/// on whichever silo the grain activates next (at most <see cref="ExportOptions.MaxAttempts"/> times). After the last
/// export expires (its blob deleted at the reminder's next firing), the reminder goes.
/// </summary>
public sealed partial class DataExportGrain(DataExportStore store, DataArchive archive, ExportOptions options, TimeProvider time, IServiceProvider services,
    ILogger<DataExportGrain> logger) : Grain, IDataExportGrain, IRemindable
{
    private const string Reminder = "export";
    private IGrainTimer? _build;

    private long Id => this.GetPrimaryKeyLong();

    public async Task<ExportRequestResult> RequestAsync()
    {
        var result = await store.RequestAsync(Id, options.Cooldown);
        if (result.Export is not null)
        {
            await this.RegisterOrUpdateReminder(Reminder, options.StartDelay, options.ResumePeriod);
        }

        return result;
    }

    public Task<IReadOnlyList<DataExport>> ListAsync() => store.ListAsync(Id);

    public async Task EraseAsync()
    {
        _build?.Dispose();
        _build = null;
        var media = services.GetService<IMediaStore>();
        foreach (var export in await store.ListAsync(Id, int.MaxValue))
        {
            if (export.BlobKey is { } key && media is not null)
            {
                await media.DeleteTokenAsync(TokenOf(key), CancellationToken.None);
            }
        }

        await store.DeleteAllAsync(Id);
        if (await this.GetReminder(Reminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var media = services.GetService<IMediaStore>();
        foreach (var (id, key) in await store.DueToExpireAsync(Id))
        {
            if (media is not null)
            {
                await media.DeleteTokenAsync(TokenOf(key), CancellationToken.None);
            }

            await store.ExpiredAsync(id);
        }

        if (_build is null)
        {
            if ((await store.ListAsync(Id, 1)).FirstOrDefault() is { Status: ExportStatuses.Pending or ExportStatuses.Building })
            {
                _build = this.RegisterGrainTimer(BuildAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
            }
            else
            {
                await ScheduleExpiryAsync();
            }
        }
    }

    // With nothing to build: the reminder next fires when the next archive expires, or goes.
    private async Task ScheduleExpiryAsync()
    {
        if (await store.NextExpiryAsync(Id) is { } expiry)
        {
            await this.RegisterOrUpdateReminder(Reminder, (expiry - time.GetUtcNow()) + TimeSpan.FromSeconds(1) is var due && due > TimeSpan.Zero ? due : TimeSpan.FromSeconds(1),
                options.ResumePeriod);
        }
        else if (await this.GetReminder(Reminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private async Task BuildAsync(CancellationToken ct)
    {
        try
        {
            if (await store.ClaimAsync(Id, options.MaxAttempts) is not { Failed: false } claimed)
            {
                await ScheduleExpiryAsync();
                return;
            }

            var media = services.GetService<IMediaStore>() ?? throw new InvalidOperationException("This silo has no media store to keep the archive in.");
            var path = Path.Combine(Path.GetTempPath(), $"export-{Id}-{claimed.Id:N}.zip");
            try
            {
                await using (var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                {
                    await archive.WriteAsync(Id, file, ct);
                }

                var key = MediaKeys.NewToken() + "/archive.zip";
                long size;
                await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous))
                {
                    size = file.Length;
                    await media.PutAsync(key, file, "application/zip", ct);
                }

                await store.ReadyAsync(claimed.Id, key, size, time.GetUtcNow() + options.Lifetime);
                LogBuilt(logger, Id, size);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogFailed(logger, e, Id);
                await store.FailedAttemptAsync(claimed.Id, e.Message); // still owed: the reminder tries again
                return;
            }
            finally
            {
                File.Delete(path);
            }

            await ScheduleExpiryAsync();
        }
        finally
        {
            _build?.Dispose();
            _build = null;
        }
    }

    // An archive's blob key is "<token>/archive.zip"; the store deletes by token.
    private static string TokenOf(string key) => key[..key.IndexOf('/', StringComparison.Ordinal)];

    [LoggerMessage(Level = LogLevel.Information, Message = "The data export of account {Account} is ready ({Size} bytes).")]
    private static partial void LogBuilt(ILogger logger, long account, long size);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Building the data export of account {Account} failed; its reminder tries again.")]
    private static partial void LogFailed(ILogger logger, Exception exception, long account);
}
