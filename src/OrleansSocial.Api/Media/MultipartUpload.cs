using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using OrleansSocial.Media;

namespace OrleansSocial.Api.Media;

/// <summary>A file part of a multipart form, already in a temporary file the caller must hand on or delete.</summary>
public sealed record UploadedFile(string TempPath, long Length, string? ContentType);

/// <summary>
/// Reads a <c>multipart/form-data</c> body as a stream of parts: each file part straight into a temporary file (never
/// into memory, never twice), counting its bytes against a limit; text parts up to a few kilobytes. A body that breaks
/// the rules leaves no temporary file behind.
/// </summary>
public sealed class MultipartUpload : IAsyncDisposable
{
    private const int MaxTextLength = 8 * 1024;
    private const int MaxParts = 20;

    public Dictionary<string, string> Fields { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, UploadedFile> Files { get; } = new(StringComparer.Ordinal);

    public static bool IsMultipart(HttpRequest request) =>
        request?.ContentType is { } type && type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads the body. <paramref name="fileFields"/> are the parts taken as files (others named as files are refused);
    /// <paramref name="maxFileBytes"/> bounds each (413 past it). <see cref="MediaRejectedException"/> for a malformed body.
    /// </summary>
    public static async Task<MultipartUpload> ReadAsync(HttpRequest request, MediaService media, IReadOnlyCollection<string> fileFields, long maxFileBytes,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(media);
        // This body may be larger than the API's default limit: the file limit, plus room for the form around it.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxFileBytes * Math.Max(1, fileFields.Count) + (256 * 1024);
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw new MediaRejectedException("The body must be multipart/form-data with a boundary.", "file", 415);
        }

        var upload = new MultipartUpload();
        try
        {
            var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
            var parts = 0;
            while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
            {
                if (++parts > MaxParts)
                {
                    throw new MediaRejectedException("The form has too many parts.", "file", 400);
                }

                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFormDisposition() && !disposition.IsFileDisposition())
                {
                    throw new MediaRejectedException("A part of the form has no form-data disposition.", "file", 400);
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (disposition.IsFileDisposition())
                {
                    if (!fileFields.Contains(name) || upload.Files.ContainsKey(name))
                    {
                        throw new MediaRejectedException($"Unexpected file part '{name}'.", name.Length > 0 ? name : "file", 400);
                    }

                    var path = media.NewTempPath();
                    upload.Files[name] = new UploadedFile(path, 0, section.ContentType);
                    var length = await CopyBoundedAsync(section.Body, path, maxFileBytes, name, cancellationToken).ConfigureAwait(false);
                    upload.Files[name] = new UploadedFile(path, length, section.ContentType);
                }
                else
                {
                    var text = await ReadTextAsync(section.Body, name, cancellationToken).ConfigureAwait(false);
                    upload.Fields[name] = text;
                }
            }

            return upload;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or BadHttpRequestException or MediaRejectedException)
        {
            await upload.DisposeAsync().ConfigureAwait(false);
            throw e switch
            {
                MediaRejectedException => e,
                BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                    new MediaRejectedException($"A file is at most {maxFileBytes / (1024 * 1024)} MB.", "file", 413, e),
                _ => new MediaRejectedException("The form is malformed or was cut short.", "file", 400, e),
            };
        }
    }

    /// <summary>Takes the file out of this form's care: the caller now deletes it.</summary>
    public UploadedFile? Take(string name)
    {
        if (Files.Remove(name, out var file))
        {
            return file;
        }

        return null;
    }

    public ValueTask DisposeAsync()
    {
        foreach (var file in Files.Values)
        {
            File.Delete(file.TempPath);
        }

        Files.Clear();
        return ValueTask.CompletedTask;
    }

    private static async Task<long> CopyBoundedAsync(Stream body, string path, long max, string field, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > max)
            {
                throw new MediaRejectedException($"A file is at most {max / (1024 * 1024)} MB.", field, 413);
            }

            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }

        return total;
    }

    private static async Task<string> ReadTextAsync(Stream body, string field, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, System.Text.Encoding.UTF8);
        var buffer = new char[MaxTextLength + 1];
        var length = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
        return length > MaxTextLength ? throw new MediaRejectedException($"The field {field} is too long.", field, 400) : new string(buffer, 0, length);
    }
}
