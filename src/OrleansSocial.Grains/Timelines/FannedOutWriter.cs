using Npgsql;

namespace OrleansSocial.Grains.Timelines;

/// <summary>
/// Marks posts' and reposts' fan-outs finished with group commit (<see cref="Storage.GroupCommitWriter{TChange, TResult}"/>):
/// the fan-outs finishing while a write is in flight are marked together, one statement per table.
/// </summary>
internal sealed class FannedOutWriter(NpgsqlDataSource db) : Storage.GroupCommitWriter<(Guid PostId, long? RepostedBy), bool>(Writers, MaxBatch)
{
    private const int Writers = 1;
    private const int MaxBatch = 500;

    public Task MarkAsync(Guid postId, long? repostedBy) => EnqueueAsync((postId, repostedBy));

    protected override async Task WriteBatchAsync(IReadOnlyList<Pending> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var posts = batch.Where(p => p.Change.RepostedBy is null).Select(p => p.Change.PostId).Distinct().ToArray();
        var reposts = batch.Where(p => p.Change.RepostedBy is not null).Select(p => p.Change).Distinct().ToArray();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var npgsqlBatch = new NpgsqlBatch(connection);
        if (posts.Length > 0)
        {
            var command = new NpgsqlBatchCommand("UPDATE posts SET fanned_out = true WHERE id = ANY($1) AND NOT fanned_out");
            command.Parameters.Add(new NpgsqlParameter { Value = posts });
            npgsqlBatch.BatchCommands.Add(command);
        }

        if (reposts.Length > 0)
        {
            var command = new NpgsqlBatchCommand("""
                UPDATE reposts r SET fanned_out = true FROM unnest($1::uuid[], $2::bigint[]) AS t(post_id, account_id)
                WHERE r.post_id = t.post_id AND r.account_id = t.account_id AND NOT r.fanned_out
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = reposts.Select(r => r.PostId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = reposts.Select(r => r.RepostedBy!.Value).ToArray() });
            npgsqlBatch.BatchCommands.Add(command);
        }

        // Several statements in one batch run in one implicit transaction.
        await npgsqlBatch.ExecuteNonQueryAsync().ConfigureAwait(false);
        foreach (var pending in batch)
        {
            pending.Done.TrySetResult(true);
        }
    }
}
