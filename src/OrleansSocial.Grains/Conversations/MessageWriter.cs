using Npgsql;
using NpgsqlTypes;
using OrleansSocial.Conversations;

namespace OrleansSocial.Grains.Conversations;

/// <summary>A message to store as the next of its conversation.</summary>
public sealed record MessageToStore(Guid ConversationId, NewMessage Message, DateTimeOffset At);

/// <summary>
/// Stores messages with group commit (<see cref="Storage.GroupCommitWriter{TChange, TResult}"/>): the sends of every
/// conversation grain of the silo that arrive while a write is in flight go in one statement — each conversation's
/// counter bumped and its row inserted, unless its sender already sent that client id (then the first message is the
/// answer and nothing is written, also when another silo stored it a moment before). Each caller completes after the commit, so an acknowledged message is stored exactly
/// once.
/// </summary>
/// <remarks>
/// A conversation's grain awaits each send before it starts the next, so a batch holds at most one message per
/// conversation; should two activations of one conversation meet in a batch (during a failover), the batch is refused
/// and its messages are written one by one.
/// </remarks>
public sealed class MessageWriter(NpgsqlDataSource db) : Storage.GroupCommitWriter<MessageToStore, (MessageView Message, bool Created)>(Writers, MaxBatch)
{
    public const int Writers = 4;
    public const int MaxBatch = 256;

    public Task<(MessageView Message, bool Created)> SendAsync(Guid conversation, NewMessage message, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(message);
        return EnqueueAsync(new MessageToStore(conversation, message, at));
    }

    protected override async Task WriteBatchAsync(IReadOnlyList<Pending> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count > 1 && batch.Select(p => p.Change.ConversationId).Distinct().Count() < batch.Count)
        {
            throw new InvalidOperationException("Two sends of one conversation in a batch: written one by one.");
        }

        // Another silo's activation of a conversation (during a failover) may be storing the same client id: this
        // statement then waits for its commit and hits the unique key. Run again, the statement sees that message and
        // answers with it.
        (MessageView, bool)?[] results;
        try
        {
            results = await WriteAsync(batch).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == ClientIdKey)
        {
            results = await WriteAsync(batch).ConfigureAwait(false);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (results[i] is { } result)
            {
                batch[i].Done.TrySetResult(result);
            }
            else
            {
                batch[i].Done.TrySetException(new KeyNotFoundException("No such conversation."));
            }
        }
    }

    private const string ClientIdKey = "messages_conversation_id_sender_id_client_id_key";

    private async Task<(MessageView, bool)?[]> WriteAsync(IReadOnlyList<Pending> batch)
    {
        await using var command = db.CreateCommand($"""
            WITH input AS (
                SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::uuid[], $8::text[])
                    WITH ORDINALITY AS t(conversation_id, sender_id, client_id, text, reply_to, created_at, story_id, story_kind, n)),
            earlier AS (
                SELECT i.n, m.* FROM input i
                JOIN messages m ON m.conversation_id = i.conversation_id AND m.sender_id = i.sender_id AND m.client_id = i.client_id),
            next AS (
                UPDATE conversations c SET last_seq = c.last_seq + 1, activity = nextval('conversation_activity_seq')
                FROM input i WHERE c.id = i.conversation_id AND NOT EXISTS (SELECT 1 FROM earlier e WHERE e.n = i.n)
                RETURNING c.id, c.last_seq),
            sent AS (
                INSERT INTO messages (conversation_id, seq, sender_id, client_id, text, reply_to, created_at, story_id, story_kind)
                SELECT i.conversation_id, x.last_seq, i.sender_id, i.client_id, i.text, i.reply_to, i.created_at, i.story_id, i.story_kind
                FROM input i JOIN next x ON x.id = i.conversation_id
                RETURNING {ConversationStore.MessageColumns})
            SELECT i.n, {Prefixed("s")}, true FROM input i JOIN sent s ON s.conversation_id = i.conversation_id
            UNION ALL SELECT e.n, {Prefixed("e")}, false FROM earlier e
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(p => p.Change.ConversationId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(p => p.Change.Message.SenderId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(p => p.Change.Message.ClientId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(p => p.Change.Message.Text).ToArray() });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = batch.Select(p => p.Change.Message.ReplyTo).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint,
        });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(p => p.Change.At).ToArray() });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = batch.Select(p => p.Change.Message.StoryId).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid,
        });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = batch.Select(p => p.Change.Message.StoryKind).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
        });

        var results = new (MessageView, bool)?[batch.Count];
        await using (var r = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                results[(int)r.GetInt64(0) - 1] = (ConversationStore.Read(r, 1), r.GetBoolean(1 + ConversationStore.MessageColumnCount));
            }
        }

        return results;
    }

    private static string Prefixed(string alias) =>
        string.Join(", ", ConversationStore.MessageColumns.Split(", ").Select(c => alias + "." + c));
}
