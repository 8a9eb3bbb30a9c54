using System.Text.RegularExpressions;
using Npgsql;

namespace OrleansSocial.Grains.Moderation;

/// <summary>
/// The admins' keyword filters as one silo holds them: read from <c>keyword_filters</c> at most every
/// <see cref="RefreshInterval"/> (at once on the silo where they changed), matched against new posts' text as whole words
/// or phrases, ignoring case.
/// </summary>
public sealed class KeywordFilters(NpgsqlDataSource db, TimeProvider time)
{
    /// <summary>How long a silo may go on with filters changed on another silo.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    // Swapped whole (a reference), so that the grains of the silo reading it at once never see half of a change.
    private Loaded? _held;

    private sealed record Loaded(Regex? Pattern, DateTimeOffset At);

    /// <summary>The keyword the text contains (lower-case), or null.</summary>
    public async ValueTask<string?> MatchAsync(string text)
    {
        var now = time.GetUtcNow();
        if (_held is not { } held || now - held.At > RefreshInterval)
        {
            _held = held = new Loaded(await LoadAsync().ConfigureAwait(false), now);
        }

        try
        {
            return held.Pattern?.Match(text) is { Success: true } m ? m.Value.ToLowerInvariant() : null;
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
    }

    /// <summary>The filters changed: the next match reads them again.</summary>
    public void Invalidate() => _held = null;

    private async Task<Regex?> LoadAsync()
    {
        await using var command = db.CreateCommand("SELECT keyword FROM keyword_filters ORDER BY length(keyword) DESC");
        var keywords = new List<string>();
        await using (var r = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                keywords.Add(r.GetString(0));
            }
        }

        return keywords.Count == 0 ? null : new Regex(
            @"(?<![\p{L}\p{N}_])(?:" + string.Join('|', keywords.Select(k => Regex.Escape(k).Replace(@"\ ", @"\s+", StringComparison.Ordinal))) + @")(?![\p{L}\p{N}_])",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout);
    }
}
