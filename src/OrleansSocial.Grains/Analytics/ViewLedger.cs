using Npgsql;
using NpgsqlTypes;

namespace OrleansSocial.Grains.Analytics;

/// <summary>
/// What one viewer was shown today (UTC): the posts, the profiles they visited and the links they followed. Held by the
/// viewer's timeline grain, so that each counts once a day however often it is shown; read from <c>view_ledgers</c> when
/// first needed and written back behind (by the grain's timer and on its deactivation), so a grain that moves mid-day
/// keeps counting each view once. A crash loses at most the last write interval's entries (those views may count again).
/// </summary>
public sealed class ViewLedger
{
    private DateOnly _day;
    private readonly HashSet<Guid> _posts = [];
    private readonly HashSet<string> _other = new(StringComparer.Ordinal);

    private ViewLedger(DateOnly day) => _day = day;

    /// <summary>Whether there are entries not yet written.</summary>
    public bool Dirty { get; private set; }

    /// <summary>True the first time today the post is shown.</summary>
    public bool FirstToday(Guid post, DateOnly today)
    {
        Roll(today);
        var added = _posts.Add(post);
        Dirty |= added;
        return added;
    }

    /// <summary>True the first time today for the other kind of view (a profile visit, a link).</summary>
    public bool FirstToday(string key, DateOnly today)
    {
        Roll(today);
        var added = _other.Add(key);
        Dirty |= added;
        return added;
    }

    private void Roll(DateOnly today)
    {
        if (today != _day)
        {
            _day = today;
            _posts.Clear();
            _other.Clear();
            Dirty = true;
        }
    }

    /// <summary>The viewer's ledger as last written (empty when it was of another day).</summary>
    public static async Task<ViewLedger> LoadAsync(NpgsqlDataSource db, long viewer, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(db);
        var ledger = new ViewLedger(today);
        await using var command = db.CreateCommand("SELECT posts, other FROM view_ledgers WHERE account_id = $1 AND day = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = viewer });
        command.Parameters.Add(new NpgsqlParameter { Value = today });
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        if (await reader.ReadAsync().ConfigureAwait(false))
        {
            ledger._posts.UnionWith(reader.GetFieldValue<Guid[]>(0));
            ledger._other.UnionWith(reader.GetFieldValue<string[]>(1));
        }

        return ledger;
    }

    /// <summary>Writes the ledger (when it changed).</summary>
    public async Task SaveAsync(NpgsqlDataSource db, long viewer)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (!Dirty)
        {
            return;
        }

        Dirty = false;
        try
        {
            await using var command = db.CreateCommand("""
                INSERT INTO view_ledgers (account_id, day, posts, other) SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1)
                ON CONFLICT (account_id) DO UPDATE SET day = excluded.day, posts = excluded.posts, other = excluded.other
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = viewer });
            command.Parameters.Add(new NpgsqlParameter { Value = _day });
            command.Parameters.Add(new NpgsqlParameter { Value = _posts.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = _other.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch
        {
            Dirty = true;
            throw;
        }
    }
}
