using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansSocial.Media;

/// <summary>An upload as it arrived: its bytes in a temporary file this service owns from now on, and what came with it.</summary>
public sealed record Upload(string TempPath, long Length, string? DeclaredContentType, string Description, float FocusX, float FocusY);

/// <summary>
/// Takes uploads from the API: checks them before anything is decoded (signature, declared type, byte and pixel limits,
/// ffprobe for video), records them (<c>processing</c>), and processes them off the request thread on a bounded queue
/// with <see cref="MediaOptions.ProcessingConcurrency"/> workers: blobs written first, then the row marked
/// <c>ready</c>. Small uploads are awaited (the API answers 200 processed), large ones are not (202). Temporary files
/// are deleted whatever happens.
/// </summary>
public sealed partial class MediaService : BackgroundService
{
    private static readonly Meter Meter = new("OrleansSocial.Media");
    private static readonly Counter<long> Processed = Meter.CreateCounter<long>("social_media_processed", description: "Uploads processed, by type and outcome.");
    private static readonly Histogram<double> ProcessingSeconds = Meter.CreateHistogram<double>("social_media_processing_seconds", "s", "Time to process an upload.");

    private readonly MediaOptions _options;
    private readonly MediaRepository _repository;
    private readonly IMediaStore _store;
    private readonly ImageProcessor _images;
    private readonly VideoProcessor _videos;
    private readonly TimeProvider _time;
    private readonly ILogger<MediaService> _logger;
    private readonly Channel<Job> _queue;

    private static int _activeInProcess;

    private int _active;

    private sealed record Job(Guid Id, string Token, SniffedFormat Format, bool Animated, Upload Upload, ImagePurpose Purpose, TaskCompletionSource<MediaRow> Done);

    static MediaService()
    {
        Meter.CreateObservableGauge("social_media_processing", () => Volatile.Read(ref _activeInProcess),
            description: "Uploads being processed in this process now (at most Media:ProcessingConcurrency per service).");
    }

    /// <summary>Uploads this service is processing now: never more than <see cref="MediaOptions.ProcessingConcurrency"/>.</summary>
    public int Active => Volatile.Read(ref _active);

    public MediaService(MediaOptions options, MediaRepository repository, IMediaStore store, ImageProcessor images, VideoProcessor videos, TimeProvider time,
        ILogger<MediaService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_options, _repository, _store, _images, _videos, _time, _logger) = (options, repository, store, images, videos, time, logger);
        _queue = Channel.CreateBounded<Job>(new BoundedChannelOptions(Math.Max(1, options.ProcessingQueue)) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>The directory temporary upload files go to (created on demand).</summary>
    public string TempDirectory
    {
        get
        {
            var directory = _options.TempDirectory ?? Path.Combine(Path.GetTempPath(), "orleans-social-media");
            Directory.CreateDirectory(directory);
            return directory;
        }
    }

    /// <summary>A fresh temporary file path for an upload.</summary>
    public string NewTempPath() => Path.Combine(TempDirectory, Guid.NewGuid().ToString("N") + ".upload");

    /// <summary>
    /// Checks and records an attachment upload of <paramref name="accountId"/>, queues its processing and returns its row:
    /// processed when the upload is at most <see cref="MediaOptions.SynchronousBytes"/>, else still <c>processing</c>.
    /// <see cref="MediaRejectedException"/> for anything refused (nothing is stored then); <see cref="MediaBusyException"/>
    /// when the queue is full.
    /// </summary>
    public async Task<MediaRow> UploadAsync(long accountId, Upload upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        Job? job = null;
        try
        {
            var (format, animated, type) = await CheckAsync(upload, cancellationToken).ConfigureAwait(false);
            var id = Guid.CreateVersion7();
            var token = MediaKeys.NewToken();
            await _repository.InsertAsync(id, accountId, MediaPurposes.Attachment, type, token, upload.Description, upload.FocusX, upload.FocusY,
                _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            job = new Job(id, token, format, animated, upload, ImagePurpose.Attachment, new TaskCompletionSource<MediaRow>(TaskCreationOptions.RunContinuationsAsynchronously));
            if (!_queue.Writer.TryWrite(job))
            {
                await _repository.RemoveAsync(id, CancellationToken.None).ConfigureAwait(false);
                throw new MediaBusyException("Too many uploads are being processed; try again shortly.");
            }

            if (upload.Length > _options.SynchronousBytes)
            {
                return await _repository.GetAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("The upload's row vanished.");
            }

            try
            {
                return await job.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (MediaRejectedException)
            {
                // Refused while processing, with the client waiting: nothing stays.
                await _repository.RemoveAsync(id, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            if (job is null)
            {
                File.Delete(upload.TempPath);
            }
        }
    }

    /// <summary>
    /// Processes an avatar or header at once (square 400×400 or 1500×500, cropped around the focal point) and records it
    /// <c>ready</c>; the caller then makes it the account's. Refused like an attachment.
    /// </summary>
    public async Task<MediaRow> UploadProfileImageAsync(long accountId, string purpose, Upload upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        Guid? inserted = null;
        var queued = false;
        try
        {
            var (format, _, _) = await CheckAsync(upload, cancellationToken).ConfigureAwait(false);
            if (!MediaSniffer.IsImage(format))
            {
                throw new MediaRejectedException("An avatar or header is a JPEG, PNG, GIF or WebP image.", purpose);
            }

            var id = Guid.CreateVersion7();
            var token = MediaKeys.NewToken();
            await _repository.InsertAsync(id, accountId, purpose, MediaTypes.Image, token, "", upload.FocusX, upload.FocusY, _time.GetUtcNow(), cancellationToken)
                .ConfigureAwait(false);
            inserted = id;

            // Decoded by the same bounded workers as attachments (so memory stays bounded however many arrive at once);
            // the request waits for it.
            var job = new Job(id, token, format, false, upload, purpose == MediaPurposes.Avatar ? ImagePurpose.Avatar : ImagePurpose.Header,
                new TaskCompletionSource<MediaRow>(TaskCreationOptions.RunContinuationsAsynchronously));
            if (!_queue.Writer.TryWrite(job))
            {
                throw new MediaBusyException("Too many uploads are being processed; try again shortly.");
            }

            queued = true;
            return await job.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MediaRejectedException e) when (e.Field != purpose)
        {
            // The form field of a profile image is its purpose (avatar or header), not the upload API's "file".
            await RemoveQuietlyAsync(inserted).ConfigureAwait(false);
            throw new MediaRejectedException(e.Message, purpose, e.StatusCode, e);
        }
        catch (Exception e) when (e is MediaRejectedException or MediaBusyException)
        {
            await RemoveQuietlyAsync(inserted).ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (!queued)
            {
                File.Delete(upload.TempPath); // a queued upload's file is the worker's to delete
            }
        }
    }

    private async Task RemoveQuietlyAsync(Guid? id)
    {
        if (id is { } inserted)
        {
            await _repository.RemoveAsync(inserted, CancellationToken.None).ConfigureAwait(false);
        }
    }

    // What the upload is, from its bytes; refused before anything is stored or decoded.
    private async Task<(SniffedFormat Format, bool Animated, string Type)> CheckAsync(Upload upload, CancellationToken cancellationToken)
    {
        if (upload.Length == 0)
        {
            throw new MediaRejectedException("The file is empty.", "file");
        }

        if (upload.Length > Math.Max(_options.MaxImageBytes, _options.MaxVideoBytes))
        {
            throw new MediaRejectedException($"A file is at most {Math.Max(_options.MaxImageBytes, _options.MaxVideoBytes) / (1024 * 1024)} MB.", "file", 413);
        }

        SniffedFormat format;
        await using (var file = File.OpenRead(upload.TempPath))
        {
            var head = new byte[MediaSniffer.HeaderLength];
            var read = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            format = MediaSniffer.Sniff(head.AsSpan(0, read));
        }

        if (format == SniffedFormat.Unknown)
        {
            throw new MediaRejectedException("The file is not a JPEG, PNG, GIF or WebP image, or an MP4, MOV or WebM video.", "file");
        }

        if (DeclaredMismatch(upload.DeclaredContentType, format) is { } declared)
        {
            throw new MediaRejectedException($"The file was sent as {declared} but is {Describe(format)}.", "file");
        }

        if (MediaSniffer.IsVideo(format))
        {
            if (upload.Length > _options.MaxVideoBytes)
            {
                throw new MediaRejectedException($"A video is at most {_options.MaxVideoBytes / (1024 * 1024)} MB.", "file", 413);
            }

            await _videos.ProbeAsync(upload.TempPath, cancellationToken).ConfigureAwait(false);
            return (format, false, MediaTypes.Video);
        }

        var animated = false;
        MediaSize size;
        await using (var file = File.OpenRead(upload.TempPath))
        {
            size = _images.Identify(file);
            if (format == SniffedFormat.Gif)
            {
                file.Position = 0;
                var frames = MediaSniffer.CountGifFrames(file) ?? throw new MediaRejectedException("The image could not be read.", "file");
                animated = frames > 1;
                if (animated && (long)frames * size.Width * size.Height > _options.MaxGifFramePixels)
                {
                    throw new MediaRejectedException("The animated GIF has too many frames for its size.", "file");
                }
            }
        }

        var limit = animated ? _options.MaxVideoBytes : _options.MaxImageBytes;
        if (upload.Length > limit)
        {
            throw new MediaRejectedException($"An image is at most {limit / (1024 * 1024)} MB.", "file", 413);
        }

        return (format, animated, animated ? MediaTypes.Gifv : MediaTypes.Image);
    }

    // A specific media type that names another format than the bytes are. Generic ones (octet-stream, none) say nothing.
    private static string? DeclaredMismatch(string? declared, SniffedFormat format)
    {
        var type = declared?.Split(';')[0].Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(type) || type is "application/octet-stream" or "binary/octet-stream")
        {
            return null;
        }

        var matches = format switch
        {
            SniffedFormat.Jpeg => type is "image/jpeg" or "image/jpg" or "image/pjpeg",
            SniffedFormat.Png => type is "image/png",
            SniffedFormat.Gif => type is "image/gif",
            SniffedFormat.Webp => type is "image/webp",
            SniffedFormat.IsoMedia => type is "video/mp4" or "video/quicktime" or "video/3gpp" or "video/x-m4v",
            SniffedFormat.Matroska => type is "video/webm" or "video/x-matroska",
            _ => false,
        };
        return matches ? null : type;
    }

    private static string Describe(SniffedFormat format) => format switch
    {
        SniffedFormat.Jpeg => "a JPEG image",
        SniffedFormat.Png => "a PNG image",
        SniffedFormat.Gif => "a GIF image",
        SniffedFormat.Webp => "a WebP image",
        SniffedFormat.IsoMedia => "an MP4 or MOV video",
        _ => "a WebM video",
    };

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Math.Max(1, _options.ProcessingConcurrency)).Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None)));

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _active);
                Interlocked.Increment(ref _activeInProcess);
                try
                {
                    job.Done.TrySetResult(await ProcessAsync(job, stoppingToken).ConfigureAwait(false));
                }
                catch (MediaRejectedException e)
                {
                    await FailQuietlyAsync(job, e.Message).ConfigureAwait(false);
                    job.Done.TrySetException(e);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogFailed(_logger, e, job.Id);
                    await FailQuietlyAsync(job, "The upload could not be processed.").ConfigureAwait(false);
                    job.Done.TrySetException(e);
                }
                finally
                {
                    File.Delete(job.Upload.TempPath);
                    Interlocked.Decrement(ref _activeInProcess);
                    Interlocked.Decrement(ref _active);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Left in the queue at shutdown: their rows stay processing and the sweep removes them.
            while (_queue.Reader.TryRead(out var left))
            {
                File.Delete(left.Upload.TempPath);
                left.Done.TrySetCanceled(stoppingToken);
            }
        }
    }

    private async Task FailQuietlyAsync(Job job, string error)
    {
        try
        {
            await _store.DeleteTokenAsync(job.Token, CancellationToken.None).ConfigureAwait(false);
            await _repository.FailAsync(job.Id, error, _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the sweep removes what this leaves
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(_logger, e, job.Id);
        }
    }

    private async Task<MediaRow> ProcessAsync(Job job, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var type = job.Animated ? MediaTypes.Gifv : MediaSniffer.IsVideo(job.Format) ? MediaTypes.Video : MediaTypes.Image;
        var (originalKey, previewKey, meta, blurhash) = type == MediaTypes.Image
            ? await ProcessImageAsync(job, job.Purpose, cancellationToken).ConfigureAwait(false)
            : await ProcessVideoAsync(job, type, cancellationToken).ConfigureAwait(false);
        if (!await _repository.CompleteAsync(job.Id, type, originalKey, previewKey, meta, blurhash, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            await _store.DeleteTokenAsync(job.Token, CancellationToken.None).ConfigureAwait(false);
            throw new MediaRejectedException("The upload was deleted while it was processed.", "file", 404);
        }

        Processed.Add(1, new KeyValuePair<string, object?>("type", type));
        ProcessingSeconds.Record(_time.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("type", type));
        return await _repository.GetAsync(job.Id, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("The upload's row vanished.");
    }

    private async Task<(string, string, MediaMeta, string)> ProcessImageAsync(Job job, ImagePurpose purpose, CancellationToken cancellationToken)
    {
        ProcessedImage image;
        await using (var file = File.OpenRead(job.Upload.TempPath))
        {
            image = _images.Process(file, purpose, job.Upload.FocusX, job.Upload.FocusY);
        }

        var originalKey = $"{job.Token}/original{image.Original.Extension}";
        var previewKey = ReferenceEquals(image.Preview, image.Original) ? originalKey : $"{job.Token}/small{image.Preview.Extension}";
        await PutAsync(originalKey, image.Original, cancellationToken).ConfigureAwait(false);
        if (previewKey != originalKey)
        {
            await PutAsync(previewKey, image.Preview, cancellationToken).ConfigureAwait(false);
        }

        return (originalKey, previewKey, new MediaMeta(image.Original.Size, image.Preview.Size), image.Blurhash);
    }

    private async Task<(string, string, MediaMeta, string)> ProcessVideoAsync(Job job, string type, CancellationToken cancellationToken)
    {
        var work = Path.Combine(TempDirectory, job.Token);
        Directory.CreateDirectory(work);
        try
        {
            var webm = job.Format == SniffedFormat.Matroska;
            var video = Path.Combine(work, webm ? "original.webm" : "original.mp4");
            if (type == MediaTypes.Gifv)
            {
                await _videos.GifToMp4Async(job.Upload.TempPath, video, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _videos.RemuxAsync(job.Upload.TempPath, video, webm, cancellationToken).ConfigureAwait(false);
            }

            var info = await _videos.ProbeAsync(video, cancellationToken).ConfigureAwait(false);
            var poster = Path.Combine(work, "poster.png");
            await _videos.PosterAsync(video, poster, Math.Min(1, info.DurationSeconds / 2), cancellationToken).ConfigureAwait(false);
            ProcessedImage still;
            await using (var file = File.OpenRead(poster))
            {
                still = _images.Process(file, ImagePurpose.Attachment);
            }

            var originalKey = $"{job.Token}/original{(webm ? ".webm" : ".mp4")}";
            var previewKey = $"{job.Token}/small{still.Preview.Extension}";
            await using (var file = File.OpenRead(video))
            {
                await _store.PutAsync(originalKey, file, webm ? "video/webm" : "video/mp4", cancellationToken).ConfigureAwait(false);
            }

            await PutAsync(previewKey, still.Preview, cancellationToken).ConfigureAwait(false);
            return (originalKey, previewKey, new MediaMeta(info.Size, still.Preview.Size, info.DurationSeconds, info.FramesPerSecond), still.Blurhash);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task PutAsync(string key, Rendition rendition, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(rendition.Content, writable: false);
        await _store.PutAsync(key, content, rendition.ContentType, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Processing upload {MediaId} failed.")]
    private static partial void LogFailed(ILogger logger, Exception exception, Guid mediaId);
}

/// <summary>The processing queue is full: 503 with Retry-After.</summary>
public sealed class MediaBusyException : Exception
{
    public MediaBusyException()
    {
    }

    public MediaBusyException(string message) : base(message)
    {
    }

    public MediaBusyException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
