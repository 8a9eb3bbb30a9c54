using System.Threading.Channels;
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
/// Writes like, repost and bookmark rows with group commit: changes from every post grain of the silo that arrive
/// while a write is in flight are written together — one round trip, one transaction, one statement per table and
/// direction (<c>unnest</c> of the batch) — and each caller's task completes only after that transaction committed,
/// so an acknowledged change is durable exactly as if it had been written alone. An added row's notification is
/// inserted in the same statement, under the rules every notification obeys.
/// </summary>
/// <remarks>
/// <see cref="Writers"/> batches may be in flight at once (the database has more than one core). A batch that fails
/// is retried change by change, so one bad change (say, a foreign key to an account deleted meanwhile) fails alone.
/// Changes to one (post, account) pair never share a batch: the post's grain awaits each before it starts the next.
/// </remarks>
public sealed class ReactionWriter : IAsyncDisposable
{
    public const int Writers = 4;
    public const int MaxBatch = 256;

    private static readonly string[] Tables = ["likes", "reposts", "bookmarks"];

    private readonly NpgsqlDataSource _db;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Task[] _loops;

    public ReactionWriter(NpgsqlDataSource db)
    {
        _db = db;
        // Often first resolved inside a grain call: the loops must not inherit that call's context (its call chain).
        using (ExecutionContext.SuppressFlow())
        {
            _loops = Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteLoopAsync)).ToArray();
        }
    }

    /// <summary>Adds or removes the row.</summary>
    public Task<ReactionWritten> WriteAsync(ReactionChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (Array.IndexOf(Tables, change.Table) < 0)
        {
            throw new ArgumentException($"Unknown reaction table '{change.Table}'.", nameof(change));
        }

        var pending = new Pending(change);
        return _queue.Writer.TryWrite(pending) ? pending.Done.Task : throw new ObjectDisposedException(nameof(ReactionWriter));
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                await WriteBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception) when (batch.Count > 1)
            {
                foreach (var one in batch)
                {
                    await WriteOneAsync(one).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                batch[0].Done.TrySetException(e);
            }
        }
    }

    private async Task WriteOneAsync(Pending one)
    {
        try
        {
            await WriteBatchAsync([one]).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            one.Done.TrySetException(e);
        }
    }

    private async Task WriteBatchAsync(IReadOnlyList<Pending> batch)
    {
        await using var connection = await _db.OpenConnectionAsync().ConfigureAwait(false);
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

    private sealed class Pending(ReactionChange change)
    {
        public ReactionChange Change { get; } = change;

        public TaskCompletionSource<ReactionWritten> Done { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
