using System.Text;
using Npgsql;
using NpgsqlTypes;
using OrleansSocial.Grains.Users;
using OrleansSocial.Moderation;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Moderation;

/// <summary>Who did a moderation action, for the audit log (the name as it is now: the log keeps it as it was).</summary>
public sealed record AuditActor(long Id, string Name);

/// <summary>
/// The <c>reports</c>, <c>report_items</c>, <c>report_notes</c> and <c>audit_log</c> tables (sql/0032). Every change a
/// moderator makes is written with its audit row in one transaction.
/// </summary>
public sealed class ReportStore(NpgsqlDataSource db, TimeProvider time)
{
    private const string Summary = """
        r.id, r.category, r.comment, r.status, r.assignee_id,
        (SELECT count(*) FROM report_items i WHERE i.report_id = r.id)::int, r.created_at, r.updated_at,
        r.reporter_id, r.target_id
        """;

    /// <summary>
    /// Files the report, or merges it into the reporter's open report on the same account (its comment appended, its
    /// items added), unless the reporter filed <paramref name="perHour"/> in the last hour.
    /// </summary>
    public async Task<ReportReceipt> FileAsync(NewReport report, int perHour)
    {
        ArgumentNullException.ThrowIfNull(report);
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);

        // The reporter's filings are serialized (key pair 3, hashint8(reporter)), so the limit holds under a burst.
        await using (var limit = new NpgsqlCommand("""
            SELECT pg_advisory_xact_lock(3, hashint8($1)),
                   (SELECT count(*) FROM reports WHERE reporter_id = $1 AND updated_at > $2 - interval '1 hour'),
                   (SELECT min(updated_at) FROM reports WHERE reporter_id = $1 AND updated_at > $2 - interval '1 hour')
            """, connection, tx))
        {
            limit.Parameters.Add(new NpgsqlParameter { Value = report.ReporterId });
            limit.Parameters.Add(new NpgsqlParameter { Value = now });
            await using var r = await limit.ExecuteReaderAsync().ConfigureAwait(false);
            await r.ReadAsync().ConfigureAwait(false);
            if (r.GetInt64(1) >= perHour)
            {
                throw new LimitExceededException($"An account files at most {perHour} reports an hour.", r.GetFieldValue<DateTimeOffset>(2).AddHours(1) - now);
            }
        }

        long id;
        bool merged;
        DateTimeOffset createdAt;
        await using (var file = new NpgsqlCommand("""
            INSERT INTO reports (reporter_id, target_id, category, comment, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
            ON CONFLICT (reporter_id, target_id) WHERE status = 'open' DO UPDATE SET
                comment = CASE WHEN excluded.comment = '' THEN reports.comment WHEN reports.comment = '' THEN excluded.comment
                               ELSE reports.comment || E'\n\n' || excluded.comment END,
                updated_at = excluded.updated_at
            RETURNING id, xmax <> 0, created_at
            """, connection, tx))
        {
            file.Parameters.Add(new NpgsqlParameter { Value = report.ReporterId });
            file.Parameters.Add(new NpgsqlParameter { Value = report.TargetId });
            file.Parameters.Add(new NpgsqlParameter { Value = report.Category });
            file.Parameters.Add(new NpgsqlParameter { Value = report.Comment });
            file.Parameters.Add(new NpgsqlParameter { Value = now });
            await using var r = await file.ExecuteReaderAsync().ConfigureAwait(false);
            await r.ReadAsync().ConfigureAwait(false);
            (id, merged, createdAt) = (r.GetInt64(0), r.GetBoolean(1), r.GetFieldValue<DateTimeOffset>(2));
        }

        await using (var items = new NpgsqlCommand("""
            INSERT INTO report_items (report_id, kind, post_id, comment_id, story_id, conversation_id, message_seq)
            SELECT $1, 'post', p, NULL::bigint, NULL::uuid, NULL::uuid, NULL::bigint FROM unnest($2::uuid[]) p
            UNION ALL SELECT $1, 'comment', NULL, c, NULL, NULL, NULL FROM unnest($3::bigint[]) c
            UNION ALL SELECT $1, 'story', NULL, NULL, s, NULL, NULL FROM unnest($4::uuid[]) s
            UNION ALL SELECT $1, 'message', NULL, NULL, NULL, $5::uuid, m FROM unnest($6::bigint[]) m WHERE $5::uuid IS NOT NULL
            ON CONFLICT DO NOTHING
            """, connection, tx))
        {
            items.Parameters.Add(new NpgsqlParameter { Value = id });
            items.Parameters.Add(new NpgsqlParameter { Value = report.PostIds.ToArray() });
            items.Parameters.Add(new NpgsqlParameter { Value = report.CommentIds.ToArray() });
            items.Parameters.Add(new NpgsqlParameter { Value = report.StoryId is { } story ? new[] { story } : Array.Empty<Guid>() });
            items.Parameters.Add(new NpgsqlParameter { Value = (object?)report.ConversationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            items.Parameters.Add(new NpgsqlParameter { Value = report.MessageIds.ToArray() });
            await items.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await tx.CommitAsync().ConfigureAwait(false);
        return new ReportReceipt(id, ReportStatuses.Open, merged, createdAt);
    }

    /// <summary>
    /// Which of the comments are the target's and not deleted, with their posts (whether the reporter may see a post is
    /// its grain's to say).
    /// </summary>
    public async Task<Dictionary<long, Guid>> CommentsOfAsync(long target, long[] comments)
    {
        await using var command = db.CreateCommand("SELECT id, post_id FROM comments WHERE id = ANY($1) AND author_id = $2 AND deleted_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = comments });
        command.Parameters.Add(new NpgsqlParameter { Value = target });
        var found = new Dictionary<long, Guid>();
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            found[r.GetInt64(0)] = r.GetGuid(1);
        }

        return found;
    }

    /// <summary>How many of the messages the target sent in the conversation the reporter may see as a member there.</summary>
    public async Task<long> VisibleMessagesAsync(Guid conversation, long reporter, long target, long[] seqs)
    {
        await using var command = db.CreateCommand($"""
            SELECT count(*) FROM messages x JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.account_id = $2
            WHERE x.conversation_id = $1 AND x.seq = ANY($4) AND x.sender_id = $3 AND x.deleted_at IS NULL AND {Conversations.ConversationStore.ShownToMember}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = conversation });
        command.Parameters.Add(new NpgsqlParameter { Value = reporter });
        command.Parameters.Add(new NpgsqlParameter { Value = target });
        command.Parameters.Add(new NpgsqlParameter { Value = seqs });
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>Open reports, newest first, optionally of one category.</summary>
    public async Task<IReadOnlyList<ReportSummary>> ListOpenAsync(string? category, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder("SELECT ").Append(Summary).Append(" FROM reports r WHERE r.status = 'open'");
        if (category is not null)
        {
            sql.Append(" AND r.category = ").Append(Keyset.Parameter(command, category));
        }

        Keyset.Apply(sql, command, "r.id", page);
        return Keyset.NewestFirst(await ReadSummariesAsync(command, sql.ToString()).ConfigureAwait(false), page);
    }

    /// <summary>The report in full, or null when there is none.</summary>
    public async Task<ReportDetail?> LoadAsync(long id)
    {
        await using var head = new NpgsqlCommand("SELECT " + Summary + ", r.resolution, r.closed_at FROM reports r WHERE r.id = $1");
        head.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        head.Connection = connection;
        ReportSummary summary;
        string? resolution;
        DateTimeOffset? closedAt;
        await using (var r = await head.ExecuteReaderAsync().ConfigureAwait(false))
        {
            if (!await r.ReadAsync().ConfigureAwait(false))
            {
                return null;
            }

            summary = ReadSummary(r);
            (resolution, closedAt) = (r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11));
        }

        var reported = await ContentAsync(connection, """
            SELECT 'post', p.id::text, p.author_id, p.text, p.created_at, p.deleted_at IS NOT NULL
            FROM report_items i JOIN posts p ON p.id = i.post_id WHERE i.report_id = $1
            UNION ALL
            SELECT 'comment', c.id::text, c.author_id, c.text, c.created_at, c.deleted_at IS NOT NULL
            FROM report_items i JOIN comments c ON c.id = i.comment_id WHERE i.report_id = $1
            UNION ALL
            SELECT 'story', s.id::text, s.author_id, s.caption, s.created_at, s.deleted
            FROM report_items i JOIN stories s ON s.id = i.story_id WHERE i.report_id = $1
            UNION ALL
            SELECT 'message', x.conversation_id::text || ':' || x.seq, x.sender_id, x.text, x.created_at, x.deleted_at IS NOT NULL
            FROM report_items i JOIN messages x ON x.conversation_id = i.conversation_id AND x.seq = i.message_seq WHERE i.report_id = $1
            """, id).ConfigureAwait(false);
        var recent = await ContentAsync(connection, """
            SELECT 'post', p.id::text, p.author_id, p.text, p.created_at, false FROM posts p
            WHERE p.author_id = $1 AND p.deleted_at IS NULL ORDER BY p.created_at DESC LIMIT 10
            """, summary.TargetId).ConfigureAwait(false);

        await using var prior = new NpgsqlCommand("SELECT " + Summary + " FROM reports r WHERE r.target_id = $1 AND r.id <> $2 ORDER BY r.id DESC LIMIT 20", connection);
        prior.Parameters.Add(new NpgsqlParameter { Value = summary.TargetId });
        prior.Parameters.Add(new NpgsqlParameter { Value = id });
        var priorReports = new List<ReportSummary>();
        await using (var r = await prior.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                priorReports.Add(ReadSummary(r));
            }
        }

        var actions = await AuditAsync(connection, "WHERE target_type = 'account' AND target_id = $1 ORDER BY id DESC LIMIT 20", summary.TargetId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ConfigureAwait(false);
        await using var notes = new NpgsqlCommand("""
            SELECT n.id, n.author_id, a.username, n.text, n.created_at FROM report_notes n LEFT JOIN accounts a ON a.id = n.author_id
            WHERE n.report_id = $1 ORDER BY n.id
            """, connection);
        notes.Parameters.Add(new NpgsqlParameter { Value = id });
        var noteList = new List<ReportNote>();
        await using (var r = await notes.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                noteList.Add(new ReportNote(r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                    r.GetFieldValue<DateTimeOffset>(4)));
            }
        }

        return new ReportDetail(summary, reported, recent, priorReports, actions, noteList, resolution, closedAt);
    }

    /// <summary>Assigns the report to <paramref name="actor"/> (open reports only); false when it is not open.</summary>
    public Task<bool> AssignAsync(long id, AuditActor actor) =>
        ChangeAsync("UPDATE reports SET assignee_id = $2, updated_at = $3 WHERE id = $1 AND status = 'open'", id, actor, "report.assign", "");

    public Task<bool> AddNoteAsync(long id, AuditActor actor, string text) =>
        ChangeAsync("INSERT INTO report_notes (report_id, author_id, text, created_at) SELECT $1, $2, $4, $3 WHERE EXISTS (SELECT 1 FROM reports WHERE id = $1)",
            id, actor, "report.note", text, text);

    /// <summary>Closes the open report; false when it is not open.</summary>
    public Task<bool> CloseAsync(long id, AuditActor actor, bool resolved, string reason) =>
        ChangeAsync("UPDATE reports SET status = $4, resolution = $5, closed_at = $3, closed_by = $2, updated_at = $3 WHERE id = $1 AND status = 'open'",
            id, actor, resolved ? "report.resolve" : "report.reject", reason, resolved ? ReportStatuses.Resolved : ReportStatuses.Rejected, reason);

    /// <summary>Sets an account's role and records it; false when there is no such account.</summary>
    public async Task<bool> SetRoleAsync(long account, string role, AuditActor actor, string reason)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var change = new NpgsqlCommand("UPDATE accounts SET role = $2 WHERE id = $1", connection, tx))
        {
            change.Parameters.Add(new NpgsqlParameter { Value = account });
            change.Parameters.Add(new NpgsqlParameter { Value = role });
            if (await change.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        await AppendAuditAsync(connection, tx, actor, "account.role." + role, "account", account.ToString(System.Globalization.CultureInfo.InvariantCulture), reason)
            .ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>The author of a post, comment (with its post) or story, or null when there is none.</summary>
    public async Task<(long Author, Guid? Post)?> AuthorOfAsync(string kind, object id)
    {
        await using var command = db.CreateCommand(kind switch
        {
            ModerationActionKinds.RemovePost => "SELECT author_id, NULL::uuid FROM posts WHERE id = $1",
            ModerationActionKinds.RemoveComment => "SELECT author_id, post_id FROM comments WHERE id = $1",
            _ => "SELECT author_id, NULL::uuid FROM stories WHERE id = $1",
        });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        return await r.ReadAsync().ConfigureAwait(false) ? (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetGuid(1)) : null;
    }

    /// <summary>
    /// Suspends (revoking every session of the account in the same transaction: front ends refuse its tokens within their
    /// revocation poll) or unsuspends the account; false when it already was (or was not) suspended.
    /// </summary>
    public async Task<bool> SetSuspendedAsync(long account, bool suspended)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var change = new NpgsqlCommand(suspended
            ? "UPDATE accounts SET suspended_at = $2 WHERE id = $1 AND suspended_at IS NULL"
            : "UPDATE accounts SET suspended_at = NULL WHERE id = $1 AND suspended_at IS NOT NULL AND $2 IS NOT NULL", connection, tx))
        {
            change.Parameters.Add(new NpgsqlParameter { Value = account });
            change.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            if (await change.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        if (suspended)
        {
            await using var revoke = new NpgsqlCommand("UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL", connection, tx);
            revoke.Parameters.Add(new NpgsqlParameter { Value = account });
            revoke.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            await revoke.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await tx.CommitAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Limits or unlimits the account; false when it already was (or was not) limited.</summary>
    public async Task<bool> SetLimitedAsync(long account, bool limited)
    {
        await using var change = db.CreateCommand(limited
            ? "UPDATE accounts SET limited_at = $2 WHERE id = $1 AND limited_at IS NULL"
            : "UPDATE accounts SET limited_at = NULL WHERE id = $1 AND limited_at IS NOT NULL AND $2 IS NOT NULL");
        change.Parameters.Add(new NpgsqlParameter { Value = account });
        change.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await change.ExecuteNonQueryAsync().ConfigureAwait(false) > 0;
    }

    /// <summary>Records a moderation action and its audit row in one transaction; returns it.</summary>
    public async Task<ModerationAction> RecordActionAsync(NewModerationAction action, AuditActor actor)
    {
        ArgumentNullException.ThrowIfNull(action);
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        ModerationAction recorded;
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO moderation_actions (kind, moderator_id, account_id, post_id, comment_id, story_id, report_id, reason, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            RETURNING {ActionColumns}
            """, connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = action.Kind });
            insert.Parameters.Add(new NpgsqlParameter { Value = actor.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = action.AccountId });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)action.PostId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)action.CommentId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)action.StoryId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)action.ReportId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            insert.Parameters.Add(new NpgsqlParameter { Value = action.Reason });
            insert.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            try
            {
                await using var r = await insert.ExecuteReaderAsync().ConfigureAwait(false);
                await r.ReadAsync().ConfigureAwait(false);
                recorded = ReadAction(r);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                throw new ArgumentException("report_id is not a report.", "report_id");
            }
        }

        var content = action.PostId?.ToString() ?? action.CommentId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? action.StoryId?.ToString();
        await AppendAuditAsync(connection, tx, actor, "moderation." + action.Kind, "account", action.AccountId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            content is null ? action.Reason : $"{action.Reason} [{content}]".TrimStart()).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return recorded;
    }

    // A keyset page, newest first: `sql` (its SELECT and WHERE, parameters in `command`) ordered and limited on `idColumn`.
    private async Task<IReadOnlyList<T>> PageAsync<T>(NpgsqlCommand command, StringBuilder sql, string idColumn, PageQuery page, Func<NpgsqlDataReader, T> read)
    {
        ArgumentNullException.ThrowIfNull(page);
        Keyset.Apply(sql, command, idColumn, page);
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        var rows = new List<T>();
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            rows.Add(read(r));
        }

        return Keyset.NewestFirst(rows, page);
    }

    /// <summary>The actions taken against an account, newest first.</summary>
    public async Task<IReadOnlyList<ModerationAction>> ActionsAgainstAsync(long account, PageQuery page)
    {
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder("SELECT ").Append(ActionColumns).Append(" FROM moderation_actions WHERE account_id = ").Append(Keyset.Parameter(command, account));
        return await PageAsync(command, sql, "id", page, ReadAction).ConfigureAwait(false);
    }

    /// <summary>
    /// Files the account's appeal of an action against it: null when the action is not against it; false (and nothing
    /// written) when it was appealed already.
    /// </summary>
    public async Task<bool?> AppealAsync(long account, long action, string text)
    {
        await using var command = db.CreateCommand("""
            WITH a AS (SELECT id FROM moderation_actions WHERE id = $1 AND account_id = $2),
            filed AS (INSERT INTO appeals (action_id, account_id, text, created_at) SELECT id, $2, $3, $4 FROM a ON CONFLICT (action_id) DO NOTHING RETURNING id)
            SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM filed)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = action });
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = text });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await r.ReadAsync().ConfigureAwait(false);
        return r.GetInt64(0) == 0 ? null : r.GetInt64(1) == 1;
    }

    /// <summary>The appeal of an action, or an appeal by id; null when there is none.</summary>
    public async Task<Appeal?> AppealOfAsync(long? actionId, long? appealId)
    {
        await using var command = db.CreateCommand($"""
            SELECT {AppealColumns} FROM appeals p JOIN moderation_actions ma ON ma.id = p.action_id
            WHERE ($1::bigint IS NULL OR p.action_id = $1) AND ($2::bigint IS NULL OR p.id = $2)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)actionId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)appealId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        return await r.ReadAsync().ConfigureAwait(false) ? ReadAppeal(r) : null;
    }

    /// <summary>Open appeals, newest first.</summary>
    public async Task<IReadOnlyList<Appeal>> OpenAppealsAsync(PageQuery page)
    {
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder("SELECT ").Append(AppealColumns).Append(" FROM appeals p JOIN moderation_actions ma ON ma.id = p.action_id WHERE p.status = 'open'");
        return await PageAsync(command, sql, "p.id", page, ReadAppeal).ConfigureAwait(false);
    }

    /// <summary>
    /// Decides an open appeal (a grant marks its action reversed) with its audit row, in one transaction; false when it
    /// is not open.
    /// </summary>
    public async Task<bool> DecideAppealAsync(long appealId, bool grant, string reason, AuditActor actor)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var decide = new NpgsqlCommand("""
            UPDATE appeals SET status = $2, decided_by = $3, decision = $4, decided_at = $5 WHERE id = $1 AND status = 'open' RETURNING action_id
            """, connection, tx))
        {
            decide.Parameters.Add(new NpgsqlParameter { Value = appealId });
            decide.Parameters.Add(new NpgsqlParameter { Value = grant ? "granted" : "denied" });
            decide.Parameters.Add(new NpgsqlParameter { Value = actor.Id });
            decide.Parameters.Add(new NpgsqlParameter { Value = reason });
            decide.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            if (await decide.ExecuteScalarAsync().ConfigureAwait(false) is not long action)
            {
                return false;
            }

            if (grant)
            {
                await using var reverse = new NpgsqlCommand("UPDATE moderation_actions SET reversed_at = $2 WHERE id = $1", connection, tx);
                reverse.Parameters.Add(new NpgsqlParameter { Value = action });
                reverse.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
                await reverse.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }

        await AppendAuditAsync(connection, tx, actor, grant ? "appeal.grant" : "appeal.deny", "appeal", appealId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            reason).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return true;
    }

    private const string AppealColumns = """
        p.id, p.text, p.status, p.decision, p.created_at, p.decided_at,
        ma.id, ma.kind, ma.account_id, ma.post_id, ma.comment_id, ma.story_id, ma.report_id, ma.reason, ma.created_at, ma.moderator_id
        """;

    private static Appeal ReadAppeal(NpgsqlDataReader r)
    {
        var action = new ModerationAction(r.GetInt64(6), r.GetString(7), r.GetInt64(8), r.IsDBNull(9) ? null : r.GetGuid(9), r.IsDBNull(10) ? null : r.GetInt64(10),
            r.IsDBNull(11) ? null : r.GetGuid(11), r.IsDBNull(12) ? null : r.GetInt64(12), r.GetString(13), r.GetFieldValue<DateTimeOffset>(14),
            r.IsDBNull(15) ? null : r.GetInt64(15));
        return new Appeal(r.GetInt64(0), action, r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
            r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5));
    }

    private const string ActionColumns = "id, kind, account_id, post_id, comment_id, story_id, report_id, reason, created_at, moderator_id";

    private static ModerationAction ReadAction(NpgsqlDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetGuid(3),
        r.IsDBNull(4) ? null : r.GetInt64(4), r.IsDBNull(5) ? null : r.GetGuid(5), r.IsDBNull(6) ? null : r.GetInt64(6), r.GetString(7),
        r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetInt64(9));

    /// <summary>Per-day counts from <paramref name="from"/> to <paramref name="to"/> (UTC days, both included): one pass per table.</summary>
    public async Task<IReadOnlyList<InstanceDay>> StatsAsync(DateOnly from, DateOnly to)
    {
        await using var command = db.CreateCommand("""
            WITH days AS (SELECT d::date AS day FROM generate_series($1::date, $2::date, interval '1 day') d),
            span AS (SELECT ($1::date)::timestamp AT TIME ZONE 'UTC' AS lo, ($2::date + 1)::timestamp AT TIME ZONE 'UTC' AS hi),
            made AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM accounts, span WHERE created_at >= lo AND created_at < hi GROUP BY 1),
            before AS (SELECT count(*) AS n FROM accounts, span WHERE created_at < lo),
            active AS (SELECT day, count(DISTINCT account_id) AS n FROM (
                           SELECT day, account_id FROM account_activity_days WHERE day BETWEEN $1 AND $2
                           UNION ALL SELECT (created_at AT TIME ZONE 'UTC')::date, id FROM accounts, span WHERE created_at >= lo AND created_at < hi) x
                       GROUP BY day),
            posted AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM posts, span WHERE created_at >= lo AND created_at < hi GROUP BY 1),
            sent AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM messages, span WHERE created_at >= lo AND created_at < hi GROUP BY 1),
            opened AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM reports, span WHERE created_at >= lo AND created_at < hi GROUP BY 1),
            closed AS (SELECT (closed_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM reports, span WHERE closed_at >= lo AND closed_at < hi GROUP BY 1)
            SELECT d.day,
                   (SELECT n FROM before) + sum(coalesce(made.n, 0)) OVER (ORDER BY d.day),
                   coalesce(made.n, 0), coalesce(active.n, 0), coalesce(posted.n, 0), coalesce(sent.n, 0), coalesce(opened.n, 0), coalesce(closed.n, 0)
            FROM days d
            LEFT JOIN made USING (day) LEFT JOIN active USING (day) LEFT JOIN posted USING (day) LEFT JOIN sent USING (day)
            LEFT JOIN opened USING (day) LEFT JOIN closed USING (day)
            ORDER BY d.day
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        command.Parameters.Add(new NpgsqlParameter { Value = to });
        var days = new List<InstanceDay>();
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            days.Add(new InstanceDay(r.GetFieldValue<DateOnly>(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
                r.GetInt64(7)));
        }

        return days;
    }

    /// <summary>Revokes every live session of the account with an audit row; the number revoked.</summary>
    public async Task<int> RevokeSessionsAsync(long account, AuditActor actor, string reason)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        int revoked;
        await using (var revoke = new NpgsqlCommand("UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL", connection, tx))
        {
            revoke.Parameters.Add(new NpgsqlParameter { Value = account });
            revoke.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            revoked = await revoke.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await AppendAuditAsync(connection, tx, actor, "account.sign_out", "account", account.ToString(System.Globalization.CultureInfo.InvariantCulture), reason)
            .ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return revoked;
    }

    private const string AdminAccountColumns = """
        a.id, a.username, a.email, a.email_verified_at IS NOT NULL, a.role, a.created_at, a.suspended_at IS NOT NULL, a.limited_at IS NOT NULL,
        a.password_reset_required, a.last_active_at,
        (SELECT s.ip FROM sessions s WHERE s.account_id = a.id ORDER BY s.last_used_at DESC LIMIT 1)
        """;

    private static AdminAccount ReadAdminAccount(NpgsqlDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), r.GetString(4),
        r.GetFieldValue<DateTimeOffset>(5), r.GetBoolean(6), r.GetBoolean(7), r.GetBoolean(8), r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9),
        r.IsDBNull(10) ? null : r.GetString(10));

    /// <summary>One account as the admin console shows it, or null.</summary>
    public async Task<AdminAccount?> AdminAccountAsync(long account)
    {
        await using var command = db.CreateCommand($"SELECT {AdminAccountColumns} FROM accounts a WHERE a.id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        return await r.ReadAsync().ConfigureAwait(false) ? ReadAdminAccount(r) : null;
    }

    /// <summary>Accounts matching every criterion of the filter, newest first (keyset on the id).</summary>
    public async Task<IReadOnlyList<AdminAccount>> SearchAccountsAsync(AccountFilter filter, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(page);
        static string Like(string value) =>
            value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder($"SELECT {AdminAccountColumns} FROM accounts a WHERE true");
        if (filter.Username is { } username)
        {
            sql.Append(" AND lower(a.username) LIKE ").Append(Keyset.Parameter(command, Like(username.Trim().TrimStart('@').ToLowerInvariant()) + "%"));
        }

        if (filter.Email is { } email)
        {
            sql.Append(" AND lower(a.email) LIKE ").Append(Keyset.Parameter(command, "%" + Like(email.Trim().ToLowerInvariant()) + "%"));
        }

        if (filter.IpPrefix is { } ip)
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM sessions s WHERE s.account_id = a.id AND s.ip LIKE ").Append(Keyset.Parameter(command, Like(ip.Trim()) + "%")).Append(')');
        }

        if (filter.Role is { } role)
        {
            sql.Append(" AND a.role = ").Append(Keyset.Parameter(command, role));
        }

        sql.Append(filter.Status switch
        {
            AccountStatuses.Active => " AND a.suspended_at IS NULL AND a.limited_at IS NULL AND a.deactivated_at IS NULL",
            AccountStatuses.Suspended => " AND a.suspended_at IS NOT NULL",
            AccountStatuses.Limited => " AND a.limited_at IS NOT NULL",
            AccountStatuses.Unverified => " AND a.email_verified_at IS NULL",
            AccountStatuses.ResetRequired => " AND a.password_reset_required",
            AccountStatuses.Deleted => " AND a.deactivated_at IS NOT NULL",
            _ => "",
        });
        return await PageAsync(command, sql, "a.id", page, ReadAdminAccount).ConfigureAwait(false);
    }

    /// <summary>
    /// Requires a password reset of the account and revokes every session of it, audited, in one transaction; the account
    /// as it is then, or null when there is none.
    /// </summary>
    public async Task<AdminAccount?> ForcePasswordResetAsync(long account, AuditActor actor, string reason)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var change = new NpgsqlCommand("""
            WITH revoked AS (UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL)
            UPDATE accounts SET password_reset_required = true WHERE id = $1
            """, connection, tx))
        {
            change.Parameters.Add(new NpgsqlParameter { Value = account });
            change.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            if (await change.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
            {
                return null;
            }
        }

        await AppendAuditAsync(connection, tx, actor, "account.password_reset", "account", account.ToString(System.Globalization.CultureInfo.InvariantCulture), reason)
            .ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return await AdminAccountAsync(account).ConfigureAwait(false);
    }

    /// <summary>The sign-up blocklist, newest first.</summary>
    public async Task<IReadOnlyList<SignupBlock>> SignupBlocksAsync(PageQuery page)
    {
        await using var command = new NpgsqlCommand();
        return await PageAsync(command, new StringBuilder("SELECT id, kind, value, reason, created_at FROM signup_blocks WHERE true"), "id", page,
            r => new SignupBlock(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4))).ConfigureAwait(false);
    }

    /// <summary>Adds (or returns the existing) sign-up block with its audit row.</summary>
    public async Task<SignupBlock> AddSignupBlockAsync(string kind, string value, string reason, AuditActor actor)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        SignupBlock block;
        await using (var add = new NpgsqlCommand("""
            WITH added AS (INSERT INTO signup_blocks (kind, value, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, value) DO NOTHING
                           RETURNING id, kind, value, reason, created_at)
            SELECT * FROM added UNION ALL SELECT id, kind, value, reason, created_at FROM signup_blocks WHERE kind = $1 AND value = $2 AND NOT EXISTS (SELECT 1 FROM added)
            """, connection, tx))
        {
            add.Parameters.Add(new NpgsqlParameter { Value = kind });
            add.Parameters.Add(new NpgsqlParameter { Value = value });
            add.Parameters.Add(new NpgsqlParameter { Value = reason });
            add.Parameters.Add(new NpgsqlParameter { Value = actor.Id });
            add.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            await using var r = await add.ExecuteReaderAsync().ConfigureAwait(false);
            await r.ReadAsync().ConfigureAwait(false);
            block = new SignupBlock(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4));
        }

        await AppendAuditAsync(connection, tx, actor, "signup_block.add", kind, value, reason).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return block;
    }

    /// <summary>Removes a sign-up block with its audit row; false when there is none.</summary>
    public async Task<bool> RemoveSignupBlockAsync(long id, AuditActor actor)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        string kind, value;
        await using (var remove = new NpgsqlCommand("DELETE FROM signup_blocks WHERE id = $1 RETURNING kind, value", connection, tx))
        {
            remove.Parameters.Add(new NpgsqlParameter { Value = id });
            await using var r = await remove.ExecuteReaderAsync().ConfigureAwait(false);
            if (!await r.ReadAsync().ConfigureAwait(false))
            {
                return false;
            }

            (kind, value) = (r.GetString(0), r.GetString(1));
        }

        await AppendAuditAsync(connection, tx, actor, "signup_block.remove", kind, value, "").ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>The keyword filters, newest first.</summary>
    public async Task<IReadOnlyList<KeywordFilter>> KeywordFiltersAsync(PageQuery page)
    {
        await using var command = new NpgsqlCommand();
        return await PageAsync(command, new StringBuilder("SELECT id, keyword, reason, created_at FROM keyword_filters WHERE true"), "id", page,
            r => new KeywordFilter(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3))).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds (true) or removes (false) a keyword filter with its audit row, in one transaction. Adding returns the filter
    /// (null when that keyword is filtered already); removing returns the removed one (null when there is none).
    /// </summary>
    public async Task<KeywordFilter?> ChangeKeywordFilterAsync(bool add, long id, string keyword, string reason, AuditActor actor)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        KeywordFilter filter;
        await using (var change = new NpgsqlCommand(add
            ? "INSERT INTO keyword_filters (keyword, reason, created_at) VALUES ($2, $3, $4) ON CONFLICT DO NOTHING RETURNING id, keyword, reason, created_at"
            : "DELETE FROM keyword_filters WHERE id = $1 RETURNING id, keyword, reason, created_at", connection, tx))
        {
            change.Parameters.Add(new NpgsqlParameter { Value = id });
            change.Parameters.Add(new NpgsqlParameter { Value = keyword });
            change.Parameters.Add(new NpgsqlParameter { Value = reason });
            change.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            await using var r = await change.ExecuteReaderAsync().ConfigureAwait(false);
            if (!await r.ReadAsync().ConfigureAwait(false))
            {
                return null;
            }

            filter = new KeywordFilter(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3));
        }

        await AppendAuditAsync(connection, tx, actor, add ? "keyword_filter.add" : "keyword_filter.remove", "keyword", filter.Keyword, add ? reason : "")
            .ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return filter;
    }

    /// <summary>Posts held by keyword filters and not yet decided, oldest first (the queue's order).</summary>
    public async Task<IReadOnlyList<HeldPost>> HeldPostsAsync(int limit, DateTimeOffset? after)
    {
        await using var command = db.CreateCommand("""
            SELECT p.id, p.author_id, a.username, p.text, p.held_keyword, p.held_visibility, p.created_at
            FROM posts p JOIN accounts a ON a.id = p.author_id
            WHERE p.held_visibility IS NOT NULL AND p.deleted_at IS NULL AND ($2::timestamptz IS NULL OR p.created_at > $2)
            ORDER BY p.created_at, p.id LIMIT $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var held = new List<HeldPost>();
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            held.Add(new HeldPost(r.GetGuid(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? "" : r.GetString(4), r.GetString(5),
                r.GetFieldValue<DateTimeOffset>(6)));
        }

        return held;
    }

    /// <summary>Appends an audit row on its own (for changes made through a grain, e.g. a held post approved).</summary>
    public async Task AuditAsync(AuditActor actor, string action, string targetType, string targetId, string reason)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await AppendAuditAsync(connection, tx, actor, action, targetType, targetId, reason).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>The audit log, newest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> AuditLogAsync(PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder("SELECT id, actor_id, actor_name, action, target_type, target_id, reason, created_at FROM audit_log WHERE true");
        Keyset.Apply(sql, command, "id", page);
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        return Keyset.NewestFirst(await ReadAuditAsync(command).ConfigureAwait(false), page);
    }

    // One change of a report ($1 id, $2 actor, $3 now, then the values given) and its audit row, in one transaction.
    private async Task<bool> ChangeAsync(string change, long id, AuditActor actor, string action, string reason, params object[] values)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var command = new NpgsqlCommand(change, connection, tx))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            command.Parameters.Add(new NpgsqlParameter { Value = actor.Id });
            command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            foreach (var value in values)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            if (await command.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        await AppendAuditAsync(connection, tx, actor, action, "report", id.ToString(System.Globalization.CultureInfo.InvariantCulture), reason).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return true;
    }

    // The audit row of a change, in the change's transaction.
    private async Task AppendAuditAsync(NpgsqlConnection connection, NpgsqlTransaction tx, AuditActor actor, string action, string targetType, string targetId,
        string reason)
    {
        await using var audit = new NpgsqlCommand("""
            INSERT INTO audit_log (actor_id, actor_name, action, target_type, target_id, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, connection, tx);
        audit.Parameters.Add(new NpgsqlParameter { Value = actor.Id });
        audit.Parameters.Add(new NpgsqlParameter { Value = actor.Name });
        audit.Parameters.Add(new NpgsqlParameter { Value = action });
        audit.Parameters.Add(new NpgsqlParameter { Value = targetType });
        audit.Parameters.Add(new NpgsqlParameter { Value = targetId });
        audit.Parameters.Add(new NpgsqlParameter { Value = reason });
        audit.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await audit.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static async Task<List<ReportedContent>> ContentAsync(NpgsqlConnection connection, string sql, object key)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        var content = new List<ReportedContent>();
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            content.Add(new ReportedContent(r.GetString(0), r.GetString(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
                r.GetBoolean(5)));
        }

        return content;
    }

    private static async Task<List<AuditEntry>> AuditAsync(NpgsqlConnection connection, string where, string key)
    {
        await using var command = new NpgsqlCommand("SELECT id, actor_id, actor_name, action, target_type, target_id, reason, created_at FROM audit_log " + where, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        return await ReadAuditAsync(command).ConfigureAwait(false);
    }

    private static async Task<List<AuditEntry>> ReadAuditAsync(NpgsqlCommand command)
    {
        var entries = new List<AuditEntry>();
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            entries.Add(new AuditEntry(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
                r.GetFieldValue<DateTimeOffset>(7)));
        }

        return entries;
    }

    private async Task<List<ReportSummary>> ReadSummariesAsync(NpgsqlCommand command, string sql)
    {
        command.CommandText = sql;
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        var rows = new List<ReportSummary>();
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            rows.Add(ReadSummary(r));
        }

        return rows;
    }

    // Accounts are filled in by the grain (as their grains show them); here their ids.
    private static ReportSummary ReadSummary(NpgsqlDataReader r) =>
        new(r.GetInt64(0), null, null, r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetInt64(4), r.GetInt32(5),
            r.GetFieldValue<DateTimeOffset>(6), r.GetFieldValue<DateTimeOffset>(7))
        {
            ReporterId = r.GetInt64(8),
            TargetId = r.GetInt64(9),
        };
}
