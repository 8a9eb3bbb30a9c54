namespace OrleansSocial.Media;

/// <summary>
/// The URLs of attachments, avatars and headers, from their blob keys, as the front end's responses carry them. Response
/// types are rendered statically (and shared between readers), so the store that makes URLs is reached through here:
/// the front end sets it for each request (<see cref="Current"/>), with the process's store as the fallback
/// (<see cref="Use"/>) — several front ends in one process (tests) each sign with their own keys.
/// </summary>
public static class MediaLinks
{
    private static IMediaStore? _default;
    private static readonly AsyncLocal<IMediaStore?> Scoped = new();

    /// <summary>URLs of the default avatar and header (<c>/media/default/…</c>, served by the front end).</summary>
    public const string DefaultAvatar = "/media/default/avatar.png";

    /// <inheritdoc cref="DefaultAvatar"/>
    public const string DefaultHeader = "/media/default/header.png";

    /// <summary>The store of the request being served (flows with its execution context).</summary>
    public static IMediaStore? Current
    {
        get => Scoped.Value ?? _default;
        set => Scoped.Value = value;
    }

    public static void Use(IMediaStore store) => _default = store;

    /// <summary>Whether public media URLs stay valid indefinitely (so a response naming them may be kept and shared).</summary>
    public static bool PublicUrlsStable { get; set; } = true;

    /// <summary>The URL of <paramref name="key"/>; time-limited when <paramref name="restricted"/>.</summary>
    public static string Url(string key, bool restricted) =>
        Current?.Url(key, restricted) ?? LocalMediaStore.RoutePrefix + key;
}
