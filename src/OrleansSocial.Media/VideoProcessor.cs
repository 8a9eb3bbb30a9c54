using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace OrleansSocial.Media;

/// <summary>What ffprobe says of a video: its container, first video stream's size, length and frame rate.</summary>
public sealed record VideoInfo(string Container, MediaSize Size, double DurationSeconds, double FramesPerSecond, bool HasAudio);

/// <summary>
/// Video and animated GIFs through Debian's <c>ffprobe</c> and <c>ffmpeg</c> (installed by <c>./build.sh</c>): probe the
/// container and stream, remux the upload without its metadata (no transcoding ladder yet), convert animated GIFs to a
/// silent H.264 MP4, and grab a poster frame for the preview. Every run has a deadline and is killed past it.
/// </summary>
public sealed class VideoProcessor(MediaOptions options)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    /// <summary>Probes <paramref name="path"/>; <see cref="MediaRejectedException"/> when it is not an MP4, MOV or WebM with a video stream.</summary>
    public async Task<VideoInfo> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        var (code, output, _) = await RunAsync(options.Ffprobe,
            ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path], cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw new MediaRejectedException("The video could not be read.", "file");
        }

        try
        {
            using var json = JsonDocument.Parse(output);
            var format = json.RootElement.GetProperty("format");
            var container = format.GetProperty("format_name").GetString() ?? "";
            if (!container.Contains("mp4", StringComparison.Ordinal) && !container.Contains("mov", StringComparison.Ordinal)
                && !container.Contains("webm", StringComparison.Ordinal))
            {
                throw new MediaRejectedException("Only MP4, MOV and WebM videos are accepted.", "file");
            }

            var streams = json.RootElement.GetProperty("streams").EnumerateArray().ToArray();
            var video = streams.FirstOrDefault(s => s.GetProperty("codec_type").GetString() == "video");
            if (video.ValueKind != JsonValueKind.Object)
            {
                throw new MediaRejectedException("The file has no video stream.", "file");
            }

            var size = new MediaSize(video.GetProperty("width").GetInt32(), video.GetProperty("height").GetInt32());
            var duration = Number(format, "duration") ?? Number(video, "duration") ?? 0;
            var fps = Rate(video, "avg_frame_rate") ?? Rate(video, "r_frame_rate") ?? 0;
            if (size.Width <= 0 || size.Height <= 0 || size.Width > options.MaxSide || size.Height > options.MaxSide)
            {
                throw new MediaRejectedException($"The video is {size.Width}×{size.Height}; at most {options.MaxSide} pixels a side are accepted.", "file");
            }

            if (duration <= 0 || duration > options.MaxVideoSeconds)
            {
                throw new MediaRejectedException($"A video is at most {options.MaxVideoSeconds} seconds long.", "file");
            }

            return new VideoInfo(container, size, Math.Round(duration, 3), Math.Round(fps, 3), streams.Any(s => s.GetProperty("codec_type").GetString() == "audio"));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new MediaRejectedException("The video could not be read.", "file", innerException: e);
        }
    }

    /// <summary>
    /// Copies the first video and audio streams of <paramref name="source"/> into <paramref name="target"/> (MP4, or WebM
    /// for WebM input) without re-encoding and without the upload's metadata (a phone's location among it).
    /// </summary>
    public Task RemuxAsync(string source, string target, bool webm, CancellationToken cancellationToken) =>
        RequireAsync(webm
            ? ["-v", "error", "-y", "-i", source, "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", "-map_metadata", "-1", "-map_chapters", "-1", "-f", "webm", target]
            : ["-v", "error", "-y", "-i", source, "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", "-map_metadata", "-1", "-map_chapters", "-1",
                "-movflags", "+faststart", "-f", "mp4", target], cancellationToken);

    /// <summary>An animated GIF as a silent looping H.264 MP4 (even dimensions, yuv420p, so every browser plays it).</summary>
    public Task GifToMp4Async(string source, string target, CancellationToken cancellationToken) =>
        RequireAsync(["-v", "error", "-y", "-i", source, "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
            "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", "-movflags", "+faststart", "-map_metadata", "-1", "-f", "mp4", target], cancellationToken);

    /// <summary>One frame of <paramref name="source"/> at <paramref name="atSeconds"/> as PNG in <paramref name="target"/>.</summary>
    public Task PosterAsync(string source, string target, double atSeconds, CancellationToken cancellationToken) =>
        RequireAsync(["-v", "error", "-y", "-ss", atSeconds.ToString("0.###", CultureInfo.InvariantCulture), "-i", source, "-frames:v", "1", "-f", "image2",
            "-c:v", "png", target], cancellationToken);

    private async Task RequireAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var (code, _, error) = await RunAsync(options.Ffmpeg, arguments, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw new MediaRejectedException("The video could not be read.", "file", innerException: new InvalidOperationException(error));
        }
    }

    private static double? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null;

    private static double? Rate(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.GetString() is not { } text || text.Split('/') is not [var n, var d]
            || !double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out var num)
            || !double.TryParse(d, NumberStyles.Float, CultureInfo.InvariantCulture, out var den) || den == 0)
        {
            return null;
        }

        return num / den;
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string executable, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new MediaRejectedException("The video took too long to process.", "file");
        }
    }
}
