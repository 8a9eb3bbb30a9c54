using System.Text;
using Npgsql;
using OrleansSocial.Conversations;
using OrleansSocial.Grains.Users;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Conversations;

/// <summary>A conversation row and its members.</summary>
public sealed record ConversationRecord(Guid Id, string Kind, string? Title, DateTimeOffset CreatedAt, long LastSeq, IReadOnlyList<(long Account, string Role, long ReadSeq)> Members);

/// <summary>The <c>conversations</c>, <c>conversation_members</c> and <c>messages</c> tables.</summary>
public sealed class ConversationStore(NpgsqlDataSource db)
{
    public async Task<ConversationRecord?> LoadAsync(Guid id)
    {
        await using var command = db.CreateCommand("""
            SELECT c.kind, c.title, c.created_at, c.last_seq, m.account_id, m.role, m.read_seq
            FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id
            WHERE c.id = $1 ORDER BY m.joined_at, m.account_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        ConversationRecord? record = null;
        var members = new List<(long, string, long)>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            record ??= new ConversationRecord(id, r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetInt64(3), members);
            members.Add((r.GetInt64(4), r.GetString(5), r.GetInt64(6)));
        }

        return record;
    }

    /// <summary>
    /// Creates the conversation and its members (the first one admin) unless a direct conversation of the pair exists;
    /// then nothing is written. Unknown accounts are <see cref="KeyNotFoundException"/>.
    /// </summary>
    public async Task CreateAsync(Guid id, string kind, string? title, long creator, IReadOnlyList<long> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var exists = new NpgsqlCommand("SELECT count(*) FROM accounts WHERE id = ANY($1)", connection, tx))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = members.ToArray() });
            if ((long)(await exists.ExecuteScalarAsync().ConfigureAwait(false))! != members.Count)
            {
                throw new KeyNotFoundException("No such account.");
            }
        }

        await using (var insert = new NpgsqlCommand("""
            INSERT INTO conversations (id, kind, pair_key, title, creator_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
            """, connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = kind });
            insert.Parameters.Add(new NpgsqlParameter
            {
                Value = kind == ConversationKinds.Direct ? $"{members.Min()}:{members.Max()}" : DBNull.Value,
                NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text,
            });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)title ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = creator });
            if (await insert.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
            {
                return;
            }
        }

        await using (var join = new NpgsqlCommand("""
            INSERT INTO conversation_members (conversation_id, account_id, role)
            SELECT $1, m, CASE WHEN m = $3 THEN 'admin' ELSE 'member' END FROM unnest($2::bigint[]) WITH ORDINALITY AS t(m, n) ORDER BY n
            """, connection, tx))
        {
            join.Parameters.Add(new NpgsqlParameter { Value = id });
            join.Parameters.Add(new NpgsqlParameter { Value = members.ToArray() });
            join.Parameters.Add(new NpgsqlParameter { Value = kind == ConversationKinds.Group ? creator : 0L });
            await join.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await tx.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Stores the message as the next of the conversation, unless the sender already sent one with this client id: then
    /// that one is returned and nothing is written.
    /// </summary>
    public async Task<(MessageView Message, bool Created)> SendAsync(Guid conversation, NewMessage message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        if (await ExistingAsync(connection, tx, conversation, message).ConfigureAwait(false) is { } earlier)
        {
            return (earlier, false);
        }

        await using var insert = new NpgsqlCommand("""
            WITH next AS (UPDATE conversations SET last_seq = last_seq + 1, activity = nextval('conversation_activity_seq') WHERE id = $1 RETURNING last_seq)
            INSERT INTO messages (conversation_id, seq, sender_id, client_id, text, reply_to, created_at)
            SELECT $1, next.last_seq, $2, $3, $4, $5, $6 FROM next
            RETURNING seq
            """, connection, tx);
        insert.Parameters.Add(new NpgsqlParameter { Value = conversation });
        insert.Parameters.Add(new NpgsqlParameter { Value = message.SenderId });
        insert.Parameters.Add(new NpgsqlParameter { Value = message.ClientId });
        insert.Parameters.Add(new NpgsqlParameter { Value = message.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)message.ReplyTo ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        insert.Parameters.Add(new NpgsqlParameter { Value = now });
        var seq = (long)(await insert.ExecuteScalarAsync().ConfigureAwait(false))!;
        await tx.CommitAsync().ConfigureAwait(false);
        return (new MessageView(conversation, seq, message.SenderId, message.ClientId, message.Text, message.ReplyTo, now, null, false), true);
    }

    public async Task<IReadOnlyList<MessageView>> MessagesAsync(Guid conversation, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder("SELECT conversation_id, seq, sender_id, client_id, text, reply_to, created_at, edited_at, deleted_at FROM messages WHERE conversation_id = ")
            .Append(Keyset.Parameter(command, conversation));
        Keyset.Apply(sql, command, "seq", page);
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var messages = new List<MessageView>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            messages.Add(Read(r));
        }

        return Keyset.NewestFirst(messages, page);
    }

    private static async Task<MessageView?> ExistingAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid conversation, NewMessage message)
    {
        await using var command = new NpgsqlCommand("""
            SELECT conversation_id, seq, sender_id, client_id, text, reply_to, created_at, edited_at, deleted_at
            FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND client_id = $3
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = conversation });
        command.Parameters.Add(new NpgsqlParameter { Value = message.SenderId });
        command.Parameters.Add(new NpgsqlParameter { Value = message.ClientId });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        return await r.ReadAsync().ConfigureAwait(false) ? Read(r) : null;
    }

    private static MessageView Read(NpgsqlDataReader r)
    {
        var deleted = !r.IsDBNull(8);
        return new MessageView(r.GetGuid(0), r.GetInt64(1), r.GetInt64(2), r.GetString(3), deleted || r.IsDBNull(4) ? null : r.GetString(4),
            r.IsDBNull(5) ? null : r.GetInt64(5), r.GetFieldValue<DateTimeOffset>(6), r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7), deleted);
    }
}
