namespace OrleansSocial.Grains.Users;

/// <summary>
/// One account's live connections, per front end: how many, the newest report's version, and until when the front end's
/// lease holds. A front end that stops reporting (it died) loses its connections when its lease runs out.
/// </summary>
internal sealed class PresenceLeases
{
    private readonly Dictionary<string, (int Count, long Version, DateTimeOffset Until)> _byFrontEnd = new(StringComparer.Ordinal);

    /// <summary>Whether any front end is still reported (a timer is needed to expire it).</summary>
    public bool Any => _byFrontEnd.Count > 0;

    /// <summary>Applies a report unless a newer one from the same front end was applied already.</summary>
    public void Report(string frontEnd, int count, long version, DateTimeOffset until)
    {
        if (_byFrontEnd.TryGetValue(frontEnd, out var held) && held.Version > version)
        {
            return;
        }

        // Kept at zero until the lease runs out, so a report overtaken on its way (older version) stays ignored.
        _byFrontEnd[frontEnd] = (Math.Max(0, count), version, until);
    }

    /// <summary>Drops front ends whose lease ran out.</summary>
    public void Expire(DateTimeOffset now)
    {
        foreach (var frontEnd in _byFrontEnd.Where(f => f.Value.Until <= now).Select(f => f.Key).ToArray())
        {
            _byFrontEnd.Remove(frontEnd);
        }
    }

    public bool IsOnline(DateTimeOffset now) => _byFrontEnd.Values.Any(f => f.Count > 0 && f.Until > now);
}
