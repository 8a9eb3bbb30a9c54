using Npgsql;
using OrleansSocial.Media;
using OrleansSocial.Stories;

namespace OrleansSocial.Grains.Stories;

/// <summary>
/// The <c>highlights</c> and <c>highlight_stories</c> tables (sql/0030). Every change runs in one transaction under the
/// owner's story lock (the one <see cref="StoryStore.EndAsync"/> takes), so a story cannot lose its media while it is
/// being highlighted, and a story that leaves its last highlight after it expired has its media marked deleted for the
/// media sweep in the same transaction.
/// </summary>
public sealed class HighlightStore(NpgsqlDataSource db, StoryOptions options)
{
    /// <summary>The owner's highlights, newest first, each with its stories in order.</summary>
    public async Task<List<Highlight>> ListAsync(long owner)
    {
        await using var command = db.CreateCommand($"""
            SELECT h.id, h.title, h.created_at, h.updated_at, s.id, s.caption, s.link_url, s.audience, s.created_at, {MediaColumns.Attachment}
            FROM highlights h
            JOIN highlight_stories hs ON hs.highlight_id = h.id
            JOIN stories s ON s.id = hs.story_id
            JOIN media m ON m.id = s.media_id
            WHERE h.owner_id = $1
            ORDER BY h.created_at DESC, h.id, hs.position
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var highlights = new List<Highlight>();
        List<HighlightStory>? stories = null;
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            var id = r.GetGuid(0);
            if (highlights.Count == 0 || highlights[^1].Id != id)
            {
                stories = [];
                highlights.Add(new Highlight(id, owner, r.GetString(1), stories, r.GetFieldValue<DateTimeOffset>(2), r.GetFieldValue<DateTimeOffset>(3)));
            }

            stories!.Add(new HighlightStory(r.GetGuid(4), MediaColumns.ReadAttachment(r, 9), r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetString(7),
                r.GetFieldValue<DateTimeOffset>(8)));
        }

        return highlights;
    }

    /// <summary>
    /// Creates (<paramref name="id"/> new) or replaces one of the owner's highlights. <see cref="ArgumentException"/>
    /// naming <c>title</c> or <c>story_ids</c> for a bad one (and nothing is written); <see cref="KeyNotFoundException"/>
    /// when replacing a highlight that is not the owner's.
    /// </summary>
    public async Task SaveAsync(long owner, Guid id, HighlightChange change, bool create, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(change);
        var stories = change.StoryIds.Distinct().ToArray();
        if (stories.Length == 0 || stories.Length > options.MaxStoriesPerHighlight)
        {
            throw new ArgumentException($"A highlight has 1 to {options.MaxStoriesPerHighlight} stories.", "story_ids");
        }

        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await LockAsync(connection, tx, owner).ConfigureAwait(false);

        if (create)
        {
            if (await ScalarAsync(connection, tx, "SELECT count(*) FROM highlights WHERE owner_id = $1", owner).ConfigureAwait(false) >= options.MaxHighlights)
            {
                throw new ArgumentException($"An account has at most {options.MaxHighlights} highlights.", "title");
            }
        }
        else if (await ScalarAsync(connection, tx, "SELECT count(*) FROM highlights WHERE owner_id = $1 AND id = $2", owner, id).ConfigureAwait(false) == 0)
        {
            throw new KeyNotFoundException("No such highlight.");
        }

        // The owner's stories that still have their media: live ones, and expired ones kept by a highlight. Not deleted ones.
        var usable = await ScalarAsync(connection, tx, """
            SELECT count(*) FROM stories s JOIN media m ON m.id = s.media_id
            WHERE s.id = ANY($2) AND s.author_id = $1 AND NOT s.deleted AND m.deleted_at IS NULL
            """, owner, stories).ConfigureAwait(false);
        if (usable != stories.Length)
        {
            throw new ArgumentException("story_ids are your stories: live ones, or expired ones kept in a highlight.", "story_ids");
        }

        var left = (await StoriesOfAsync(connection, tx, owner, id).ConfigureAwait(false)).Except(stories).ToArray();
        await using (var save = new NpgsqlBatch(connection, tx))
        {
            save.BatchCommands.Add(Command("""
                INSERT INTO highlights (id, owner_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
                ON CONFLICT (id) DO UPDATE SET title = excluded.title, updated_at = excluded.updated_at
                """, id, owner, change.Title, now));
            save.BatchCommands.Add(Command("DELETE FROM highlight_stories WHERE highlight_id = $1", id));
            save.BatchCommands.Add(Command("""
                INSERT INTO highlight_stories (highlight_id, story_id, position) SELECT $1, s, n FROM unnest($2::uuid[]) WITH ORDINALITY AS t(s, n)
                """, id, stories));
            save.BatchCommands.Add(Command(ReleaseLeft, now, left));
            await save.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await tx.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>Deletes one of the owner's highlights; false when there is no such highlight of theirs.</summary>
    public async Task<bool> DeleteAsync(long owner, Guid id, DateTimeOffset now)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await LockAsync(connection, tx, owner).ConfigureAwait(false);
        var left = await StoriesOfAsync(connection, tx, owner, id).ConfigureAwait(false);
        await using var delete = new NpgsqlBatch(connection, tx);
        var gone = Command("DELETE FROM highlights WHERE id = $1 AND owner_id = $2", id, owner);
        delete.BatchCommands.Add(gone);
        delete.BatchCommands.Add(Command(ReleaseLeft, now, left));
        await delete.ExecuteNonQueryAsync().ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return gone.RecordsAffected == 1;
    }

    // Stories that left a highlight and, having ended, are now in none: their media go to the media sweep.
    private const string ReleaseLeft = """
        UPDATE media m SET deleted_at = $1
        FROM stories s
        WHERE s.id = ANY($2) AND m.story_id = s.id AND s.ended_at IS NOT NULL AND m.deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM highlight_stories hs WHERE hs.story_id = s.id)
        """;

    // The stories of one of the owner's highlights (none for a highlight not theirs).
    private static async Task<Guid[]> StoriesOfAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long owner, Guid id)
    {
        await using var command = new NpgsqlCommand("""
            SELECT hs.story_id FROM highlight_stories hs JOIN highlights h ON h.id = hs.highlight_id WHERE h.id = $1 AND h.owner_id = $2
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var ids = new List<Guid>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            ids.Add(r.GetGuid(0));
        }

        return [.. ids];
    }

    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long owner)
    {
        await using var lockOwner = new NpgsqlCommand(StoryStore.LockAuthor, connection, tx);
        lockOwner.Parameters.Add(new NpgsqlParameter { Value = owner });
        await lockOwner.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
