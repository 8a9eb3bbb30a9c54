using System.Text;
using Npgsql;
using OrleansSocial.Conversations;
using OrleansSocial.Grains.Users;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Conversations;

/// <summary>A conversation row and its members.</summary>
public sealed record ConversationRecord(Guid Id, string Kind, string? Title, DateTimeOffset CreatedAt, long LastSeq, IReadOnlyList<(long Account, string Role, long ReadSeq)> Members)
{
    /// <summary>The conversation as its members see it, given their accounts (members without one — gone — are left out).</summary>
    public ConversationView ToView(IReadOnlyDictionary<long, PublicAccount?> accounts)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        return new ConversationView(Id, Kind, Title,
            [.. Members.Where(m => accounts.GetValueOrDefault(m.Account) is not null).Select(m => new MemberView(accounts[m.Account]!, m.Role, m.ReadSeq))],
            LastSeq, CreatedAt);
    }
}

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
    /// What a member may see of a conversation's messages (<c>x</c>) as member row <c>m</c>: those sent after they joined,
    /// and none from an account a block stands between them and (either way).
    /// </summary>
    internal const string ShownToMember = """
        x.seq > m.joined_seq
        AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = m.account_id AND b.blocked_id = x.sender_id)
                                               OR (b.blocker_id = x.sender_id AND b.blocked_id = m.account_id))
        """;

    /// <summary>The conversation's messages <paramref name="viewer"/> may see (<see cref="ShownToMember"/>), newest first.</summary>
    public async Task<IReadOnlyList<MessageView>> MessagesAsync(Guid conversation, long viewer, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder("SELECT " + MessageColumnsOfX + " FROM messages x JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.account_id = ")
            .Append(Keyset.Parameter(command, viewer)).Append(" WHERE x.conversation_id = ").Append(Keyset.Parameter(command, conversation))
            .Append(" AND ").Append(ShownToMember);
        Keyset.Apply(sql, command, "x.seq", page);
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        var messages = new List<MessageView>();
        await using (var r = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                messages.Add(Read(r, 0));
            }
        }

        return await WithStoriesAsync(Keyset.NewestFirst(messages, page), connection).ConfigureAwait(false);
    }

    /// <summary>
    /// Edits (<paramref name="text"/> given) or deletes (null) a message if <paramref name="sender"/> sent it and it is not
    /// deleted; returns the message as it is now (null when there is no such message) and whether this call changed it.
    /// </summary>
    public async Task<(MessageView? Message, bool Changed)> ChangeAsync(Guid conversation, long seq, long sender, string? text, DateTimeOffset now)
    {
        const string Columns = MessageColumns;
        var set = text is null ? "text = NULL, deleted_at = $4" : "text = $5, edited_at = $4";

        // One statement: the changed row as RETURNING gives it, or the row as it was when nothing changed.
        await using var command = db.CreateCommand($"""
            WITH changed AS (
                UPDATE messages SET {set} WHERE conversation_id = $1 AND seq = $2 AND sender_id = $3 AND deleted_at IS NULL RETURNING {Columns})
            SELECT {Columns}, true FROM changed
            UNION ALL SELECT {Columns}, false FROM messages WHERE conversation_id = $1 AND seq = $2 AND NOT EXISTS (SELECT 1 FROM changed)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = conversation });
        command.Parameters.Add(new NpgsqlParameter { Value = seq });
        command.Parameters.Add(new NpgsqlParameter { Value = sender });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)text ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        return await r.ReadAsync().ConfigureAwait(false) ? (Read(r, 0), r.GetBoolean(MessageColumnCount)) : (null, false);
    }

    /// <summary>
    /// Moves a member's read pointer forward (never back); returns where it stands. In a direct conversation the other
    /// member's messages it passes get <c>read_at</c> = <paramref name="now"/> (the first time only).
    /// </summary>
    public async Task<long> MarkReadAsync(Guid conversation, long member, long seq, bool stampReadAt, DateTimeOffset now)
    {
        // One statement, one snapshot: "old" is the pointer before this move.
        await using var command = db.CreateCommand("""
            WITH old AS (SELECT read_seq FROM conversation_members WHERE conversation_id = $1 AND account_id = $2),
            moved AS (UPDATE conversation_members SET read_seq = greatest(read_seq, $3) WHERE conversation_id = $1 AND account_id = $2 RETURNING read_seq),
            stamped AS (UPDATE messages SET read_at = $5 WHERE $4 AND conversation_id = $1 AND seq > (SELECT read_seq FROM old) AND seq <= $3
                        AND sender_id <> $2 AND read_at IS NULL)
            SELECT read_seq FROM moved
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = conversation });
        command.Parameters.Add(new NpgsqlParameter { Value = member });
        command.Parameters.Add(new NpgsqlParameter { Value = seq });
        command.Parameters.Add(new NpgsqlParameter { Value = stampReadAt });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>
    /// The messages with the stories they quote filled in (<see cref="Read"/> gives only the story's id): who posted it,
    /// when it ends, and, while it is live, its media and caption — one query for all of them, none when none quotes one.
    /// </summary>
    public async Task<IReadOnlyList<MessageView>> WithStoriesAsync(IReadOnlyList<MessageView> messages, NpgsqlConnection? connection = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var ids = messages.Where(m => m.Story is not null).Select(m => m.Story!.StoryId).Distinct().ToArray();
        if (ids.Length == 0)
        {
            return messages;
        }

        const string Sql = $"""
            SELECT s.id, s.author_id, s.expires_at, s.ended_at IS NULL AND s.expires_at > now() AS live, s.caption, {OrleansSocial.Media.MediaColumns.Attachment}
            FROM stories s LEFT JOIN media m ON m.id = s.media_id AND m.deleted_at IS NULL
            WHERE s.id = ANY($1)
            """;
        await using var command = connection is null ? db.CreateCommand(Sql) : new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        var quotes = new Dictionary<Guid, StoryQuote>();
        await using (var r = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                var live = r.GetBoolean(3) && !r.IsDBNull(5);
                quotes[r.GetGuid(0)] = new StoryQuote(r.GetGuid(0), r.GetInt64(1), StoryQuoteKinds.Reply, live, r.GetFieldValue<DateTimeOffset>(2),
                    live ? OrleansSocial.Media.MediaColumns.ReadAttachment(r, 5) : null, live ? r.GetString(4) : null);
            }
        }

        // A quoted story whose row is gone (its author's account erased) is not quoted any more.
        return [.. messages.Select(m => m.Story is not { } stub ? m
            : m with { Story = quotes.TryGetValue(stub.StoryId, out var q) ? q with { Kind = stub.Kind } : null })];
    }

    /// <summary>
    /// Adds members to a group (those already in it are left as they are); each starts having read everything so far, and
    /// sees only the messages sent after <paramref name="readSeq"/> (from when they joined).
    /// Unknown accounts are <see cref="KeyNotFoundException"/>.
    /// </summary>
    public async Task AddMembersAsync(Guid conversation, IReadOnlyList<long> members, long readSeq)
    {
        ArgumentNullException.ThrowIfNull(members);
        await using var command = db.CreateCommand("""
            INSERT INTO conversation_members (conversation_id, account_id, role, read_seq, joined_seq)
            SELECT $1, m, 'member', $3, $3 FROM unnest($2::bigint[]) AS t(m) ON CONFLICT DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = conversation });
        command.Parameters.Add(new NpgsqlParameter { Value = members.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = readSeq });
        try
        {
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            throw new KeyNotFoundException("No such account.");
        }
    }

    /// <summary>
    /// Takes a member out of a group. If no admin is left, the longest-standing remaining member becomes one (in the same
    /// transaction, so a group with members always has an admin).
    /// </summary>
    public async Task RemoveMemberAsync(Guid conversation, long member)
    {
        await using var command = db.CreateCommand("""
            WITH gone AS (DELETE FROM conversation_members WHERE conversation_id = $1 AND account_id = $2 RETURNING account_id)
            UPDATE conversation_members SET role = 'admin'
            WHERE conversation_id = $1 AND account_id = (
                SELECT account_id FROM conversation_members WHERE conversation_id = $1 AND account_id <> $2 ORDER BY joined_at, account_id LIMIT 1)
              AND NOT EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND account_id <> $2 AND role = 'admin')
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = conversation });
        command.Parameters.Add(new NpgsqlParameter { Value = member });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Sets a group's title (null: none).</summary>
    public async Task RenameAsync(Guid conversation, string? title)
    {
        await using var command = db.CreateCommand("UPDATE conversations SET title = $2 WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = conversation });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)title ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>A member's conversations by last activity (the cursor), each with its newest message and the member's unread count.</summary>
    public async Task<IReadOnlyList<(long Cursor, ConversationRecord Conversation, MessageView? Last, long Unread)>> ListAsync(long account, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var me = Keyset.Parameter(command, account);
        var sql = new StringBuilder("""
            SELECT c.activity, c.id, c.kind, c.title, c.created_at, c.last_seq,
                   ARRAY(SELECT account_id FROM conversation_members WHERE conversation_id = c.id ORDER BY joined_at, account_id),
                   ARRAY(SELECT role FROM conversation_members WHERE conversation_id = c.id ORDER BY joined_at, account_id),
                   ARRAY(SELECT read_seq FROM conversation_members WHERE conversation_id = c.id ORDER BY joined_at, account_id),
                   lm.conversation_id, lm.seq, lm.sender_id, lm.client_id, lm.text, lm.reply_to, lm.created_at, lm.edited_at, lm.deleted_at, lm.read_at,
                   lm.story_id, lm.story_kind,
                   (SELECT count(*) FROM messages x WHERE x.conversation_id = c.id AND x.seq > m.read_seq AND x.sender_id <> m.account_id AND x.deleted_at IS NULL
                      AND XSHOWN)
            FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
            LEFT JOIN LATERAL (SELECT * FROM messages x WHERE x.conversation_id = c.id AND XSHOWN ORDER BY x.seq DESC LIMIT 1) lm ON true
            WHERE m.account_id =
            """).Replace("XSHOWN", ShownToMember).Append(' ').Append(me);
        Keyset.Apply(sql, command, "c.activity", page);
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        var rows = new List<(long, ConversationRecord, MessageView?, long)>();
        await using (var r = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                var ids = r.GetFieldValue<long[]>(6);
                var roles = r.GetFieldValue<string[]>(7);
                var reads = r.GetFieldValue<long[]>(8);
                var members = ids.Select((id, i) => (id, roles[i], reads[i])).ToArray();
                var record = new ConversationRecord(r.GetGuid(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
                    r.GetInt64(5), members);
                rows.Add((r.GetInt64(0), record, r.IsDBNull(9) ? null : Read(r, 9), r.GetInt64(9 + MessageColumnCount)));
            }
        }

        // The newest messages that quote a story get their quotes, all in one query on this connection.
        var quoted = await WithStoriesAsync([.. rows.Where(x => x.Item3 is not null).Select(x => x.Item3!)], connection).ConfigureAwait(false);
        var byKey = quoted.ToDictionary(m => (m.ConversationId, m.Seq));
        return Keyset.NewestFirst([.. rows.Select(x => x.Item3 is { } last ? (x.Item1, x.Item2, byKey[(last.ConversationId, last.Seq)], x.Item4) : x)], page);
    }

    /// <summary>Messages of others after the account's read pointers that it may see, across its conversations.</summary>
    public async Task<long> UnreadAsync(long account)
    {
        await using var command = db.CreateCommand("""
            SELECT count(*) FROM conversation_members m JOIN messages x ON x.conversation_id = m.conversation_id AND x.seq > m.read_seq
            WHERE m.account_id = $1 AND x.sender_id <> $1 AND x.deleted_at IS NULL
            """ + " AND " + ShownToMember);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>The accounts that share at least one conversation with <paramref name="account"/>.</summary>
    public async Task<long[]> PartnersAsync(long account)
    {
        await using var command = db.CreateCommand("""
            SELECT DISTINCT o.account_id FROM conversation_members m JOIN conversation_members o ON o.conversation_id = m.conversation_id
            WHERE m.account_id = $1 AND o.account_id <> $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var partners = new List<long>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            partners.Add(r.GetInt64(0));
        }

        return [.. partners];
    }

    /// <summary>Whether the two accounts are members of a conversation together.</summary>
    public async Task<bool> ShareAsync(long a, long b)
    {
        await using var command = db.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM conversation_members m JOIN conversation_members o ON o.conversation_id = m.conversation_id
                           WHERE m.account_id = $1 AND o.account_id = $2)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = a });
        command.Parameters.Add(new NpgsqlParameter { Value = b });
        return (bool)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    // The columns Read expects, in its order.
    internal const string MessageColumns =
        "conversation_id, seq, sender_id, client_id, text, reply_to, created_at, edited_at, deleted_at, read_at, story_id, story_kind";

    // How many columns Read reads.
    internal const int MessageColumnCount = 12;

    private const string MessageColumnsOfX =
        "x.conversation_id, x.seq, x.sender_id, x.client_id, x.text, x.reply_to, x.created_at, x.edited_at, x.deleted_at, x.read_at, x.story_id, x.story_kind";

    /// <summary>
    /// Whether a block stands (either way) between one of <paramref name="joining"/> and another of
    /// <paramref name="everyone"/>: such accounts are not put in one group.
    /// </summary>
    public async Task<bool> BlockStandsAmongAsync(long[] joining, long[] everyone)
    {
        await using var command = db.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = ANY($1) AND blocked_id = ANY($2)) OR (blocker_id = ANY($2) AND blocked_id = ANY($1)))
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = joining });
        command.Parameters.Add(new NpgsqlParameter { Value = everyone });
        return (bool)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    internal static MessageView Read(NpgsqlDataReader r, int at)
    {
        var deleted = !r.IsDBNull(at + 8);
        return new MessageView(r.GetGuid(at), r.GetInt64(at + 1), r.GetInt64(at + 2), r.GetString(at + 3), deleted || r.IsDBNull(at + 4) ? null : r.GetString(at + 4),
            r.IsDBNull(at + 5) ? null : r.GetInt64(at + 5), r.GetFieldValue<DateTimeOffset>(at + 6),
            r.IsDBNull(at + 7) ? null : r.GetFieldValue<DateTimeOffset>(at + 7), deleted)
        {
            ReadAt = r.IsDBNull(at + 9) ? null : r.GetFieldValue<DateTimeOffset>(at + 9),

            // Only the story's id and how the message is about it: WithStoriesAsync fills in the rest.
            Story = deleted || r.IsDBNull(at + 10) ? null : new StoryQuote(r.GetGuid(at + 10), 0, r.GetString(at + 11), false, default, null, null),
        };
    }
}
