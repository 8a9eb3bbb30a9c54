namespace OrleansSocial.Media;

/// <summary>
/// Blobs as files under <see cref="MediaOptions.LocalPath"/> (the embedded default), served by the front end at
/// <c>/media/{key}</c>: restricted ones only with a signature from <see cref="MediaUrlSigner"/>. A file is written under a
/// temporary name and renamed, so a reader never sees half of one.
/// </summary>
public sealed class LocalMediaStore(MediaOptions options, MediaUrlSigner signer, string? publicBaseUrl = null) : IMediaStore
{
    public const string RoutePrefix = "/media/";

    private readonly string _root = Path.GetFullPath(options?.LocalPath ?? throw new ArgumentNullException(nameof(options)));

    public string Root => _root;

    /// <summary>The file of <paramref name="key"/>; <see cref="ArgumentException"/> for a key this product would not make.</summary>
    public string PathOf(string key) => MediaKeys.IsValid(key) ? Path.Combine(_root, key) : throw new ArgumentException("Not a media key.", nameof(key));

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".part-" + Guid.NewGuid().ToString("N");
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        return Task.FromResult<Stream?>(File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous) : null);
    }

    public Task DeleteTokenAsync(string token, CancellationToken cancellationToken)
    {
        if (!MediaKeys.IsValid(token + "/x.x"))
        {
            throw new ArgumentException("Not a media token.", nameof(token));
        }

        // Idempotent: another sweep (of this front end or another) may be deleting the same files at the same moment.
        var directory = Path.Combine(_root, token);
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        return Task.CompletedTask;
    }

    public string Url(string key, bool restricted)
    {
        ArgumentNullException.ThrowIfNull(key);
        var path = (publicBaseUrl?.TrimEnd('/') ?? "") + RoutePrefix + key;
        return restricted ? path + signer.Sign(key) : path;
    }
}
