using System.Globalization;

namespace OrleansSocial.Api.Infrastructure;

/// <summary>Account ids as the API writes them: decimal strings.</summary>
internal static class AccountIds
{
    /// <summary>Parses every value; false (and <paramref name="bad"/> the first that is not an id) when one is not.</summary>
    public static bool TryParse(IEnumerable<string>? values, out long[] ids, out string? bad)
    {
        var parsed = new List<long>();
        foreach (var value in values ?? [])
        {
            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                (ids, bad) = ([], value);
                return false;
            }

            parsed.Add(id);
        }

        (ids, bad) = ([.. parsed], null);
        return true;
    }
}
