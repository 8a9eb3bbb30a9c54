namespace OrleansSocial.Media;

/// <summary>Settings of media uploads and storage (section <c>Media</c>). Every limit is documented in docs/operations.md.</summary>
public sealed class MediaOptions
{
    /// <summary>Largest image upload, in bytes. Default 16 MB.</summary>
    public long MaxImageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest video (or animated GIF converted to video) upload, in bytes. Default 100 MB.</summary>
    public long MaxVideoBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>Longest side of an uploaded image, in pixels, checked from its header before decoding. Default 8,192.</summary>
    public int MaxSide { get; set; } = 8192;

    /// <summary>Most pixels in an uploaded image (or a frame of a GIF), checked before decoding. Default 33 million.</summary>
    public long MaxPixels { get; set; } = 33_000_000;

    /// <summary>Most frames of an animated GIF times its pixels, checked before conversion. Default 400 million.</summary>
    public long MaxGifFramePixels { get; set; } = 400_000_000;

    /// <summary>Longest video, in seconds. Default 600.</summary>
    public double MaxVideoSeconds { get; set; } = 600;

    /// <summary>Longest side of the stored original rendition. Default 1,920.</summary>
    public int OriginalMaxSide { get; set; } = 1920;

    /// <summary>Longest side of the <c>small</c> preview. Default 640.</summary>
    public int PreviewMaxSide { get; set; } = 640;

    /// <summary>Uploads at most this large are processed before the response (200); larger ones answer 202 at once. Default 1 MB.</summary>
    public long SynchronousBytes { get; set; } = 1024 * 1024;

    /// <summary>Uploads processed at once per process (each decodes one picture or runs one ffmpeg). Default: the processor count.</summary>
    public int ProcessingConcurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>Uploads waiting for processing per process before new ones are refused with 503. Default 64.</summary>
    public int ProcessingQueue { get; set; } = 64;

    /// <summary>Most megabytes ImageSharp's pooled allocator keeps for reuse. Default 64.</summary>
    public int DecoderPoolMegabytes { get; set; } = 64;

    /// <summary>Unattached uploads older than this are deleted with their blobs. Default one day.</summary>
    public TimeSpan UnattachedLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the sweep of unattached and deleted media runs. Default 10 minutes.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a signed URL of restricted media (a followers-only post, an unattached upload) works. Default 1 hour.</summary>
    public TimeSpan SignedUrlLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Where temporary upload files go. Default: the system's temporary directory.</summary>
    public string? TempDirectory { get; set; }

    /// <summary>The <c>ffmpeg</c> and <c>ffprobe</c> executables (Debian's, found on PATH by default).</summary>
    public string Ffmpeg { get; set; } = "ffmpeg";

    /// <inheritdoc cref="Ffmpeg"/>
    public string Ffprobe { get; set; } = "ffprobe";

    /// <summary>Where blobs are kept: <c>local</c> (default) or <c>s3</c>.</summary>
    public string Store { get; set; } = "local";

    /// <summary>
    /// The origin the local store's URLs start with (e.g. <c>https://social.example.com</c>); empty: URLs are relative to the
    /// API's own origin (<c>/media/…</c>).
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>The local store's directory. Default <c>.data/media</c> under the working directory.</summary>
    public string LocalPath { get; set; } = Path.Combine(".data", "media");

    public S3StoreOptions S3 { get; set; } = new();
}

/// <summary>Settings of the S3 blob store (section <c>Media:S3</c>).</summary>
public sealed class S3StoreOptions
{
    public string Bucket { get; set; } = "orleans-social-media";

    public string Region { get; set; } = "us-east-1";

    /// <summary>An S3-compatible endpoint (MinIO, s3rver, R2); empty for AWS itself.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>), which most S3-compatible servers need.</summary>
    public bool ForcePathStyle { get; set; }

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>
    /// Where public media are read from (a CDN or the bucket's public URL, e.g. <c>https://cdn.example.com/</c>). Empty:
    /// every URL is a presigned GET.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Creates the bucket at start when it is missing (development and tests).</summary>
    public bool CreateBucket { get; set; }
}
