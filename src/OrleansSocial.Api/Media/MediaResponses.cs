using System.Globalization;
using OrleansSocial.Media;

namespace OrleansSocial.Api.Media;

/// <summary>A rendition's size as clients want it (Mastodon's shape: width, height, "WxH", aspect).</summary>
public sealed record MediaSizeResponse(int Width, int Height, string Size, double Aspect, double? Duration = null, double? FrameRate = null)
{
    public static MediaSizeResponse From(MediaSize s, double? duration = null, double? fps = null)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.Width, s.Height, string.Create(CultureInfo.InvariantCulture, $"{s.Width}x{s.Height}"), Math.Round(s.Aspect, 4), duration, fps);
    }
}

/// <summary>The focal point: x from −1 (left) to 1 (right), y from −1 (bottom) to 1 (top).</summary>
public sealed record MediaFocusResponse(float X, float Y);

/// <summary>An attachment's renditions and focal point.</summary>
public sealed record MediaMetaResponse(MediaSizeResponse? Original, MediaSizeResponse? Small, MediaFocusResponse Focus);

/// <summary>
/// An uploaded picture or video: <c>url</c> and <c>preview_url</c> are null until processed. URLs of media a post does
/// not show to everyone (and of unattached uploads) are time-limited.
/// </summary>
public sealed record MediaAttachmentResponse(string Id, string Type, string? Url, string? PreviewUrl, MediaMetaResponse Meta, string Description, string? Blurhash)
{
    public static MediaAttachmentResponse From(MediaAttachment m, bool restricted)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new(m.Id.ToString(), m.Type, MediaLinks.Url(m.OriginalKey, restricted), MediaLinks.Url(m.PreviewKey, restricted),
            new MediaMetaResponse(MediaSizeResponse.From(m.Meta.Original, m.Meta.DurationSeconds, m.Meta.FramesPerSecond), MediaSizeResponse.From(m.Meta.Small),
                new MediaFocusResponse(m.FocusX, m.FocusY)),
            m.Description, m.Blurhash);
    }

    /// <summary>An upload as its owner sees it (processed or not).</summary>
    public static MediaAttachmentResponse From(MediaRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.ToAttachment() is { } ready)
        {
            return From(ready, restricted: row.PostId is null);
        }

        return new(row.Id.ToString(), row.Type, null, null, new MediaMetaResponse(null, null, new MediaFocusResponse(row.FocusX, row.FocusY)), row.Description, null);
    }

    public static IReadOnlyList<MediaAttachmentResponse> List(IReadOnlyList<MediaAttachment>? media, bool restricted) =>
        media is not { Count: > 0 } ? [] : [.. media.Select(m => From(m, restricted))];
}

/// <summary>URLs of an account's avatar (and its still version: avatars are always still here) and header.</summary>
public static class AccountImages
{
    public static string Avatar(string? key) => key is null ? MediaLinks.DefaultAvatar : MediaLinks.Url(key, restricted: false);

    public static string Header(string? key) => key is null ? MediaLinks.DefaultHeader : MediaLinks.Url(key, restricted: false);
}
