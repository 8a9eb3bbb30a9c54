namespace OrleansSocial.Media;

/// <summary>
/// Where media blobs live. Keys are <c>&lt;random token&gt;/&lt;name&gt;</c>: the token (128 random bits) makes every URL
/// unguessable, and all renditions of one upload share it. Writes happen before the row that names them commits;
/// deletes are idempotent (a missing blob is deleted already).
/// </summary>
public interface IMediaStore
{
    Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken);

    /// <summary>The blob, or null when there is none.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes every blob under <paramref name="token"/> (all renditions of one upload).</summary>
    Task DeleteTokenAsync(string token, CancellationToken cancellationToken);

    /// <summary>
    /// The URL a client fetches the blob from: a stable one when <paramref name="restricted"/> is false (media of a public
    /// post of a public account, avatars, headers), else one that works for <see cref="MediaOptions.SignedUrlLifetime"/>.
    /// </summary>
    string Url(string key, bool restricted);
}

/// <summary>Blob keys: a random token per upload, and the renditions' names under it.</summary>
public static class MediaKeys
{
    /// <summary>A new upload's token: 128 random bits, base64url.</summary>
    public static string NewToken() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Whether <paramref name="key"/> is a key this product makes (token, slash, name with an extension): nothing else is served or touched.</summary>
    public static bool IsValid(string? key) =>
        key is { Length: > 24 and < 80 } && key.IndexOf('/', StringComparison.Ordinal) == 22 && key.Count(c => c == '/') == 1
        && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '/' or '.') && !key.Contains("..", StringComparison.Ordinal);

    /// <summary>The content type of a key's extension.</summary>
    public static string ContentType(string key) => Path.GetExtension(key) switch
    {
        ".jpg" => "image/jpeg",
        ".webp" => "image/webp",
        ".png" => "image/png",
        ".mp4" => "video/mp4",
        ".webm" => "video/webm",
        _ => "application/octet-stream",
    };
}
