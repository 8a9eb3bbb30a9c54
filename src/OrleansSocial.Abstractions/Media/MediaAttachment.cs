using Orleans;

namespace OrleansSocial.Media;

/// <summary>What kind of media an attachment is.</summary>
public static class MediaTypes
{
    public const string Image = "image";

    /// <summary>An animated GIF, served as a silent looping MP4.</summary>
    public const string Gifv = "gifv";

    public const string Video = "video";

    /// <summary>Whether attachments of these types may go on one post: up to four images, or one video or gifv alone.</summary>
    public static string? MixProblem(IReadOnlyCollection<string> types, int maxAttachments)
    {
        ArgumentNullException.ThrowIfNull(types);
        return types.Count > maxAttachments ? $"A post has at most {maxAttachments} attachments."
            : types.Count > 1 && types.Any(t => t != Image) ? "A video or GIF goes on a post alone; images do not mix with it."
            : null;
    }
}

/// <summary>Alt text rules.</summary>
public static class MediaDescription
{
    /// <summary>Longest alt text, in characters.</summary>
    public const int MaxLength = 1500;
}

/// <summary>Width and height in pixels.</summary>
[GenerateSerializer, Immutable, Alias("social.MediaSize")]
public sealed record MediaSize([property: Id(0)] int Width, [property: Id(1)] int Height)
{
    public double Aspect => Height == 0 ? 0 : (double)Width / Height;
}

/// <summary>The sizes of an attachment's renditions, and for video and gifv its length and frame rate.</summary>
[GenerateSerializer, Immutable, Alias("social.MediaMeta")]
public sealed record MediaMeta([property: Id(0)] MediaSize Original, [property: Id(1)] MediaSize Small, [property: Id(2)] double? DurationSeconds = null, [property: Id(3)] double? FramesPerSecond = null);

/// <summary>
/// An uploaded picture or video as posts carry it: the blob keys of its renditions (random, so not guessable; URLs are
/// made from them by the front end), its sizes, alt text, focal point and BlurHash.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.MediaAttachment")]
public sealed record MediaAttachment(
    [property: Id(0)] Guid Id, [property: Id(1)] string Type, [property: Id(2)] string OriginalKey, [property: Id(3)] string PreviewKey, [property: Id(4)] MediaMeta Meta,
    [property: Id(5)] string Description, [property: Id(6)] string Blurhash, [property: Id(7)] float FocusX, [property: Id(8)] float FocusY);

/// <summary>Media ids a post cannot take (not the author's, already attached, not processed, too many, a mix): 422.</summary>
[GenerateSerializer, Alias("social.MediaRefusedException")]
public sealed class MediaRefusedException : Exception
{
    public MediaRefusedException()
    {
    }

    public MediaRefusedException(string message) : base(message)
    {
    }

    public MediaRefusedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
