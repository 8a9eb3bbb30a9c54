using System.Globalization;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace OrleansSocial.Api.Accounts;

/// <summary>
/// The keys access tokens are signed with, each named by a key id (<c>kid</c>, written in every token's header). Every
/// key of the ring is accepted; the newest one that every front end has had time to read signs.
/// </summary>
/// <remarks>
/// <para>Keys come from <see cref="AuthOptions.SigningKey"/> (and <see cref="AuthOptions.AdditionalKeys"/>, accepted
/// but not used to sign) when given; otherwise from <see cref="AuthOptions.KeyDirectory"/>, one file per key,
/// <c>&lt;kid&gt;.key</c> holding 32 or more random bytes in base64, kept in a directory only the service's user may
/// read or write (0700, files 0600: the ring tightens looser modes it owns and refuses keys others can write).</para>
/// <para>Rotation is <c>OrleansSocial.Host keys rotate</c> (<c>./build.sh keys rotate</c>): it adds a key, which every
/// front end reads within <see cref="AuthOptions.KeyReloadInterval"/> and which signs once it is
/// <see cref="AuthOptions.KeyActivationDelay"/> old, so no front end meets a token signed with a key it has not read.
/// The old key keeps validating until <c>keys retire &lt;kid&gt;</c> removes it, which is safe once the access token
/// lifetime has passed.</para>
/// </remarks>
public sealed class SigningKeyRing
{
    public const string KeyFileExtension = ".key";
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode KeyFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private volatile Ring _ring;
    private DateTimeOffset _loadedAt;

    public SigningKeyRing(AuthOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_options, _time) = (options, time);
        _ring = Load();
        _loadedAt = time.GetUtcNow();
        if (_ring.Keys.Count == 0)
        {
            Rotate(options.KeyDirectory, time);
            _ring = Load();
        }
    }

    private sealed record Ring(IReadOnlyList<(SymmetricSecurityKey Key, DateTimeOffset Created)> Keys, Dictionary<string, SymmetricSecurityKey> ById);

    /// <summary>The key that signs new tokens now.</summary>
    public SymmetricSecurityKey Current
    {
        get
        {
            var ring = Fresh();
            var settled = _time.GetUtcNow() - _options.KeyActivationDelay;
            // Newest first: the newest key old enough to be known everywhere, else (a ring of new keys) the oldest.
            return ring.Keys.FirstOrDefault(k => k.Created <= settled).Key ?? ring.Keys[^1].Key;
        }
    }

    /// <summary>The ids of the keys accepted now, newest first.</summary>
    public IReadOnlyList<string> KeyIds => [.. Fresh().Keys.Select(k => k.Key.KeyId)];

    /// <summary>Whether <paramref name="key"/> is (still) a key of the ring (without reading the directory again).</summary>
    public bool Holds(SecurityKey? key) =>
        key?.KeyId is { } kid && _ring.ById.TryGetValue(kid, out var held) && ReferenceEquals(held, key) && _time.GetUtcNow() - _loadedAt <= _options.KeyReloadInterval;

    /// <summary>The keys that may have signed a token naming <paramref name="kid"/>: that one, or (no kid) all of them.</summary>
    public IEnumerable<SecurityKey> Resolve(string? kid)
    {
        var ring = Fresh();
        if (string.IsNullOrEmpty(kid))
        {
            return ring.Keys.Select(k => k.Key);
        }

        if (ring.ById.TryGetValue(kid, out var key))
        {
            return [key];
        }

        // A key added since the last read: look again now (at most once a second).
        if (_time.GetUtcNow() - _loadedAt > TimeSpan.FromSeconds(1))
        {
            ring = Reload();
        }

        return ring.ById.TryGetValue(kid, out key) ? [key] : [];
    }

    private Ring Fresh() => _time.GetUtcNow() - _loadedAt > _options.KeyReloadInterval ? Reload() : _ring;

    private Ring Reload()
    {
        lock (_gate)
        {
            var loaded = Load();
            // The same key object for the same kid: validations cached against it stay valid.
            var keys = loaded.Keys.Select(k => (_ring.ById.TryGetValue(k.Key.KeyId, out var held) ? held : k.Key, k.Created)).ToList();
            _ring = keys.Count == 0 ? _ring : new Ring(keys, keys.ToDictionary(k => k.Item1.KeyId, k => k.Item1, StringComparer.Ordinal));
            _loadedAt = _time.GetUtcNow();
            return _ring;
        }
    }

    private Ring Load()
    {
        var keys = new List<(SymmetricSecurityKey, DateTimeOffset)>();
        if (!string.IsNullOrWhiteSpace(_options.SigningKey))
        {
            foreach (var (configured, i) in _options.AdditionalKeys.Prepend(_options.SigningKey).Select((k, i) => (k, i)))
            {
                var bytes = Convert.FromBase64String(configured);
                if (bytes.Length < 32)
                {
                    throw new InvalidOperationException("Auth:SigningKey and Auth:AdditionalKeys must be at least 32 bytes (base64).");
                }

                // The configured signing key is the newest; additional ones only validate.
                keys.Add((Named(bytes, ConfiguredKeyId(bytes)), i == 0 ? DateTimeOffset.MinValue.AddDays(1) : DateTimeOffset.MinValue));
            }

            return new Ring(keys, keys.ToDictionary(k => k.Item1.KeyId, k => k.Item1, StringComparer.Ordinal));
        }

        var directory = Secure(_options.KeyDirectory);
        ImportLegacyKeyFile(directory);
        foreach (var file in Directory.EnumerateFiles(directory, "*" + KeyFileExtension))
        {
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(file);
                if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                {
                    throw new InvalidOperationException($"The signing key {file} can be written by other users: refusing it.");
                }

                if ((mode & ~KeyFileMode) != 0)
                {
                    File.SetUnixFileMode(file, KeyFileMode);
                }
            }

            var bytes = Convert.FromBase64String(File.ReadAllText(file).Trim());
            if (bytes.Length >= 32)
            {
                keys.Add((Named(bytes, Path.GetFileNameWithoutExtension(file)), File.GetLastWriteTimeUtc(file)));
            }
        }

        keys.Sort((a, b) => b.Item2.CompareTo(a.Item2)); // newest first
        return new Ring(keys, keys.ToDictionary(k => k.Item1.KeyId, k => k.Item1, StringComparer.Ordinal));
    }

    /// <summary>Adds a new random key to the ring in <paramref name="directory"/>; returns its id.</summary>
    public static string Rotate(string directory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var dir = Secure(directory);
        var kid = time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var path = Path.Combine(dir, kid + KeyFileExtension);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = KeyFileMode;
        }

        using (var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options))
        {
            writer.Write(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }

        File.SetLastWriteTimeUtc(path, time.GetUtcNow().UtcDateTime);
        return kid;
    }

    /// <summary>Removes key <paramref name="kid"/> from the ring in <paramref name="directory"/>: tokens it signed stop validating.</summary>
    public static bool Retire(string directory, string kid)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kid);
        if (kid.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || kid.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException("Not a key id.", nameof(kid));
        }

        var path = Path.Combine(directory, kid + KeyFileExtension);
        if (!File.Exists(path))
        {
            return false;
        }

        if (Directory.EnumerateFiles(directory, "*" + KeyFileExtension).Count() == 1)
        {
            throw new InvalidOperationException("That is the only key: rotate first.");
        }

        File.Delete(path);
        return true;
    }

    private static string ConfiguredKeyId(byte[] key) => "cfg-" + Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 6));

    private static SymmetricSecurityKey Named(byte[] bytes, string kid) => new(bytes) { KeyId = kid };

    // The key directory exists and only its owner may enter it.
    private static string Secure(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
        }
        else
        {
            Directory.CreateDirectory(full, DirectoryMode);
            if (File.GetUnixFileMode(full) != DirectoryMode)
            {
                File.SetUnixFileMode(full, DirectoryMode);
            }
        }

        return full;
    }

    // The single key file of earlier versions (.data/jwt-signing-key) joins the ring, so tokens it signed stay valid.
    private static void ImportLegacyKeyFile(string directory)
    {
        var legacy = Path.Combine(Path.GetDirectoryName(directory) ?? ".", "jwt-signing-key");
        if (!File.Exists(legacy))
        {
            return;
        }

        var bytes = Convert.FromBase64String(File.ReadAllText(legacy).Trim());
        var path = Path.Combine(directory, ConfiguredKeyId(bytes) + KeyFileExtension);
        if (!File.Exists(path))
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = KeyFileMode;
            }

            using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
            writer.Write(Convert.ToBase64String(bytes));
        }

        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(legacy));
        File.Delete(legacy);
    }
}
