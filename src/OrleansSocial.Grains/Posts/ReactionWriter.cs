using Npgsql;
using NpgsqlTypes;

namespace OrleansSocial.Grains.Posts;

/// <summary>A like, repost or bookmark row to add or remove, with the notification an added one carries.</summary>
public sealed record ReactionChange(string Table, Guid PostId, long AccountId, bool On, long? NotifyRecipient, string? NotifyType, DateTimeOffset At);

/// <summary>
/// What writing a reaction did: whether a row was added (removed), the notification stored with an added like or repost
/// (when the rules let it through), and the timeline key of an added or removed repost.
/// </summary>
public sealed record ReactionWritten(bool Changed, StoredNotification? Notification, long? Seq);

/// <summary>
/// Writes like, repost and bookmark rows with group commit (<see cref="Storage.GroupCommitWriter{TChange, TResult}"/>):
/// one statement per table and direction (<c>unnest</c> of the batch). An added row's notification is inserted in the
/// same statement, under the rules every notification obeys, and the posts' <c>counts_open</c> is set in the same
/// transaction (their grains' stored counters are behind the rows until written).
/// </summary>
/// <remarks>Changes to one (post, account) pair never share a batch: the post's grain awaits each before it starts the next.</remarks>
public sealed class ReactionWriter(NpgsqlDataSource db) : Storage.GroupCommitWriter<ReactionChange, ReactionWritten>(Writers, MaxBatch)
{
    public const int Writers = 4;
    public const int MaxBatch = 256;

    private static readonly string[] Tables = ["likes", "reposts", "bookmarks"];

    /// <summary>Adds or removes the row.</summary>
    public Task<ReactionWritten> WriteAsync(ReactionChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (Array.IndexOf(Tables, change.Table) < 0)
        {
            throw new ArgumentException($"Unknown reaction table '{change.Table}'.", nameof(change));
        }

        return EnqueueAsync(change);
    }

    protected override async Task WriteBatchAsync(IReadOnlyList<Pending> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var npgsqlBatch = new NpgsqlBatch(connection);
        var groups = new List<Pending[]>();
        foreach (var table in Tables)
        {
            foreach (var on in new[] { true, false })
            {
                var group = batch.Where(p => p.Change.Table == table && p.Change.On == on).ToArray();
                if (group.Length > 0)
                {
                    groups.Add(group);
                    npgsqlBatch.BatchCommands.Add(on ? AddCommand(table, group) : RemoveCommand(table, group));
                }
            }
        }

        // The posts' stored figures are behind their rows from now until their grains write them (see PostGrain).
        var opened = new NpgsqlBatchCommand("UPDATE posts SET counts_open = true WHERE id = ANY($1) AND NOT counts_open");
        opened.Parameters.Add(new NpgsqlParameter { Value = batch.Select(p => p.Change.PostId).Distinct().ToArray() });
        npgsqlBatch.BatchCommands.Add(opened);

        // Several statements in one batch run in one implicit transaction: all of them commit, or none.
        var results = new List<(Pending Pending, ReactionWritten Written)>(batch.Count);
        await using (var reader = await npgsqlBatch.ExecuteReaderAsync().ConfigureAwait(false))
        {
            foreach (var group in groups)
            {
                var written = new ReactionWritten[group.Length];
                while (await reader.ReadAsync().ConfigureAwait(false))
                {
                    var n = (int)reader.GetInt64(0) - 1;
                    written[n] = new ReactionWritten(reader.GetBoolean(1),
                        reader.IsDBNull(2) ? null : new StoredNotification(reader.GetInt64(2), group[n].Change.At),
                        reader.IsDBNull(3) ? null : reader.GetInt64(3));
                }

                for (var i = 0; i < group.Length; i++)
                {
                    results.Add((group[i], written[i]));
                }

                await reader.NextResultAsync().ConfigureAwait(false);
            }
        }

        foreach (var (pending, written) in results)
        {
            pending.Done.TrySetResult(written);
        }
    }

    private static NpgsqlBatchCommand AddCommand(string table, Pending[] group)
    {
        var command = new NpgsqlBatchCommand($"""
            WITH input AS (
                SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[])
                    WITH ORDINALITY AS t(post_id, account_id, recipient_id, type, at, n)),
            added AS (
                INSERT INTO {table} (post_id, account_id) SELECT post_id, account_id FROM input ORDER BY n
                ON CONFLICT DO NOTHING RETURNING post_id, account_id, {Seq(table)} AS seq),
            notified AS (
                INSERT INTO notifications (recipient_id, type, actor_id, post_id, created_at)
                SELECT i.recipient_id, i.type, i.account_id, i.post_id, i.at
                FROM input i JOIN added a ON a.post_id = i.post_id AND a.account_id = i.account_id
                WHERE i.type IS NOT NULL AND {Notifications.NotificationStore.Allowed("i.recipient_id", "i.type", "i.account_id", "i.at")}
                RETURNING id, post_id, actor_id)
            SELECT i.n, a.post_id IS NOT NULL, nt.id, a.seq
            FROM input i
            LEFT JOIN added a ON a.post_id = i.post_id AND a.account_id = i.account_id
            LEFT JOIN notified nt ON nt.post_id = i.post_id AND nt.actor_id = i.account_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = group.Select(p => p.Change.PostId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = group.Select(p => p.Change.AccountId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = group.Select(p => p.Change.NotifyRecipient ?? 0L).ToArray() });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = group.Select(p => p.Change.NotifyRecipient is null ? null : p.Change.NotifyType).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
        });
        command.Parameters.Add(new NpgsqlParameter { Value = group.Select(p => p.Change.At).ToArray() });
        return command;
    }

    // Reposts are timeline entries: their rows carry the entry key.
    private static string Seq(string table) => table == "reposts" ? "seq" : "NULL::bigint";

    private static NpgsqlBatchCommand RemoveCommand(string table, Pending[] group)
    {
        var command = new NpgsqlBatchCommand($"""
            WITH input AS (
                SELECT * FROM unnest($1::uuid[], $2::bigint[]) WITH ORDINALITY AS t(post_id, account_id, n)),
            removed AS (
                DELETE FROM {table} r USING input i WHERE r.post_id = i.post_id AND r.account_id = i.account_id
                RETURNING r.post_id, r.account_id, {Seq(table)} AS seq)
            SELECT i.n, d.post_id IS NOT NULL, NULL::bigint, d.seq
            FROM input i LEFT JOIN removed d ON d.post_id = i.post_id AND d.account_id = i.account_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = group.Select(p => p.Change.PostId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = group.Select(p => p.Change.AccountId).ToArray() });
        return command;
    }
}
