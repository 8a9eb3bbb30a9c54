using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansSocial.Media;

/// <summary>
/// Time-limited URLs for restricted media on the local store: <c>?expires=&lt;unix s&gt;&amp;kid=&lt;key id&gt;&amp;signature=…</c>,
/// an HMAC-SHA256 of the key and expiry under a key derived (HKDF) from one of the front ends' shared signing keys, so
/// every front end can check what another signed. Expiries are rounded up to the next multiple of a tenth of the
/// lifetime: everyone who may see a post in that window gets the same URL, and caches share it.
/// </summary>
public sealed class MediaUrlSigner(Func<(string KeyId, byte[] Secret)> current, Func<string, byte[]?> resolve, TimeProvider time, TimeSpan lifetime)
{
    private static readonly byte[] Purpose = Encoding.ASCII.GetBytes("orleans-social media url v1");

    /// <summary>The query string (with its <c>?</c>) that lets <paramref name="key"/> be fetched until about <see cref="MediaOptions.SignedUrlLifetime"/> from now.</summary>
    public string Sign(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var step = Math.Max(1, (long)lifetime.TotalSeconds / 10);
        var expires = ((time.GetUtcNow().ToUnixTimeSeconds() + (long)lifetime.TotalSeconds) / step * step) + step;
        var (kid, secret) = current();
        if (_signed.TryGetValue(key, out var known) && known.Expires == expires && known.KeyId == kid)
        {
            return known.Query;
        }

        var query = $"?expires={expires.ToString(CultureInfo.InvariantCulture)}&kid={Uri.EscapeDataString(kid)}&signature={Signature(secret, key, expires)}";
        if (_signed.Count >= MaxRemembered)
        {
            _signed.Clear(); // a window's worth is what is worth keeping; start over rather than track age
        }

        _signed[key] = (expires, kid, query);
        return query;
    }

    // The URL of each key in the current expiry window (every reader in it gets the same one): a response listing many
    // restricted media — a story tray — signs each once per window, not once per request.
    private const int MaxRemembered = 100_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Expires, string KeyId, string Query)> _signed = new(StringComparer.Ordinal);

    /// <summary>Whether the query's signature is good for <paramref name="key"/> and not expired.</summary>
    public bool Verify(string key, string? expires, string? kid, string? signature)
    {
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var at) || at < time.GetUtcNow().ToUnixTimeSeconds()
            || kid is null || signature is null || resolve(kid) is not { } secret)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Signature(secret, key, at)), Encoding.ASCII.GetBytes(signature));
    }

    // The HKDF-derived key of each signing secret (by its bytes: key rings hand out copies), derived once.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> Derived = new(StringComparer.Ordinal);

    private static string Signature(byte[] secret, string key, long expires)
    {
        var derived = Derived.GetOrAdd(Convert.ToBase64String(secret), (_, s) => HKDF.DeriveKey(HashAlgorithmName.SHA256, s, 32, salt: [], info: Purpose), secret);
        var mac = HMACSHA256.HashData(derived, Encoding.UTF8.GetBytes($"{key}\n{expires.ToString(CultureInfo.InvariantCulture)}"));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
