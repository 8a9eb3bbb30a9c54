using Npgsql;

namespace OrleansSocial.Grains.Stories;

/// <summary>A view of a story to record.</summary>
public sealed record StoryViewToStore(Guid StoryId, long ViewerId, DateTimeOffset At);

/// <summary>
/// Records story views with group commit (<see cref="Storage.GroupCommitWriter{TChange, TResult}"/>): the views of every
/// story grain of the silo that arrive while a write is in flight go in one statement, and each caller learns — after the
/// commit — whether its view was the viewer's first of that story. A popular story's views never cost a round trip
/// each.
/// </summary>
public sealed class StoryViewWriter(NpgsqlDataSource db) : Storage.GroupCommitWriter<StoryViewToStore, bool>(Writers, MaxBatch)
{
    public const int Writers = 2;
    public const int MaxBatch = 512;

    /// <summary>Records the view; true when it is the viewer's first of the story.</summary>
    public Task<bool> RecordAsync(Guid story, long viewer, DateTimeOffset at) => EnqueueAsync(new StoryViewToStore(story, viewer, at));

    protected override async Task WriteBatchAsync(IReadOnlyList<Pending> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);

        // A viewer twice in a batch (two activations during a failover) is inserted once; the second learns it was not first.
        // New views mark their stories' stored view counts open, in the same statement (see StoryGrain).
        await using var command = db.CreateCommand("""
            WITH added AS (
                INSERT INTO story_views (story_id, viewer_id, viewed_at)
                SELECT DISTINCT ON (story_id, viewer_id) story_id, viewer_id, viewed_at
                FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[]) AS t(story_id, viewer_id, viewed_at)
                ON CONFLICT (story_id, viewer_id) DO NOTHING
                RETURNING story_id, viewer_id),
            opened AS (UPDATE stories SET views_open = true WHERE id IN (SELECT story_id FROM added) AND NOT views_open)
            SELECT story_id, viewer_id FROM added
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(p => p.Change.StoryId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(p => p.Change.ViewerId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(p => p.Change.At).ToArray() });
        var first = new HashSet<(Guid, long)>();
        await using (var r = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                first.Add((r.GetGuid(0), r.GetInt64(1)));
            }
        }

        foreach (var pending in batch)
        {
            pending.Done.TrySetResult(first.Remove((pending.Change.StoryId, pending.Change.ViewerId)));
        }
    }
}
