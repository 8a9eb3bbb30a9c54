using System.Text;
using Npgsql;
using OrleansSocial.Grains.Users;
using OrleansSocial.Notifications;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Notifications;

/// <summary>The <c>notifications</c> and <c>notification_preferences</c> tables.</summary>
public sealed class NotificationStore(NpgsqlDataSource db, TimeProvider time)
{
    // What a recipient sees: not from accounts blocked either way or muted now, not about deleted (or removed) posts or
    // comments.
    private const string Shown = """
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = n.recipient_id AND b.blocked_id = n.actor_id) OR (b.blocker_id = n.actor_id AND b.blocked_id = n.recipient_id))
         AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = n.recipient_id AND m.muted_id = n.actor_id AND (m.expires_at IS NULL OR m.expires_at > @now))
         AND (n.post_id IS NULL OR EXISTS (SELECT 1 FROM posts p WHERE p.id = n.post_id AND p.deleted_at IS NULL))
         AND (n.comment_id IS NULL OR EXISTS (SELECT 1 FROM comments c WHERE c.id = n.comment_id AND c.deleted_at IS NULL))
         AND NOT EXISTS (SELECT 1 FROM accounts s WHERE s.id = n.actor_id AND (s.suspended_at IS NOT NULL OR s.deactivated_at IS NOT NULL))
        """;

    /// <summary>
    /// The rules a notification is stored under, as SQL over the given parameters: never to oneself, never across a
    /// block either way, never from an account the recipient mutes now, never of a type the recipient switched off.
    /// </summary>
    internal static string Allowed(string recipient, string type, string actor, string now) => $"""
        {recipient} <> {actor}
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = {recipient} AND b.blocked_id = {actor}) OR (b.blocker_id = {actor} AND b.blocked_id = {recipient}))
          AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = {recipient} AND m.muted_id = {actor} AND (m.expires_at IS NULL OR m.expires_at > {now}))
          AND coalesce((SELECT enabled FROM notification_preferences WHERE account_id = {recipient} AND type = {type}), true)
        """;

    /// <summary>Stores the notification unless a rule drops it (oneself, a block, a mute, the type switched off).</summary>
    public async Task<NotificationView?> InsertAsync(long recipient, NotificationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var command = db.CreateCommand($"""
            WITH inserted AS (
                INSERT INTO notifications (recipient_id, type, actor_id, post_id, comment_id, created_at, report_id, action_id, detail)
                SELECT $1, $2, nullif($3, 0), $4, $5, $6, $7, $8, $9
                WHERE {Allowed("$1", "$2", "$3", "$6")}
                RETURNING id, type, actor_id, post_id, comment_id, created_at, report_id, action_id, detail)
            SELECT i.id, i.type, i.post_id, i.comment_id, i.created_at, {RelationshipStore.PublicColumns}, i.report_id, i.action_id, i.detail
            FROM inserted i LEFT JOIN accounts a ON a.id = i.actor_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = recipient });
        command.Parameters.Add(new NpgsqlParameter { Value = request.Type });
        command.Parameters.Add(new NpgsqlParameter { Value = request.ActorId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.PostId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.CommentId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.ReportId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.ActionId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.Detail ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        return await r.ReadAsync().ConfigureAwait(false) ? Read(r, read: false) : null;
    }

    public async Task<IReadOnlyList<NotificationView>> ListAsync(long recipient, NotificationFilter filter, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder("SELECT n.id, n.type, n.post_id, n.comment_id, n.created_at, ").Append(RelationshipStore.PublicColumns)
            .Append(", n.report_id, n.action_id, n.read_at IS NOT NULL, n.detail FROM notifications n LEFT JOIN accounts a ON a.id = n.actor_id WHERE n.recipient_id = ")
            .Append(Keyset.Parameter(command, recipient));
        AppendFilter(sql, command, filter);
        Keyset.Apply(sql, command, "n.id", page);
        var rows = new List<NotificationView>();
        await foreach (var r in QueryAsync(command, sql).ConfigureAwait(false))
        {
            rows.Add(Read(r, r.GetBoolean(17)));
        }

        return Keyset.NewestFirst(rows, page);
    }

    /// <summary>Likes and reposts grouped by post and day; everything else one by one. The cursor is a group's newest id.</summary>
    public async Task<IReadOnlyList<NotificationGroup>> ListGroupedAsync(long recipient, NotificationFilter filter, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var groupable = Keyset.Parameter(command, NotificationTypes.Groupable.ToArray());
        var inner = new StringBuilder("SELECT n.*, CASE WHEN n.type = ANY(").Append(groupable)
            .Append(") THEN concat(n.type, '/', n.post_id, '/', date_trunc('day', n.created_at)) ELSE n.id::text END AS group_key FROM notifications n WHERE n.recipient_id = ")
            .Append(Keyset.Parameter(command, recipient));
        AppendFilter(inner, command, filter);
        var sql = new StringBuilder("SELECT max(g.id) AS cursor, min(g.type), (array_agg(g.post_id))[1], (array_agg(g.comment_id))[1], ")
            .Append("coalesce((array_agg(DISTINCT g.actor_id) FILTER (WHERE g.actor_id IS NOT NULL))[1:1000], '{}'), count(DISTINCT g.actor_id), count(*), max(g.created_at), bool_and(g.read_at IS NOT NULL), (array_agg(g.report_id))[1], (array_agg(g.action_id))[1], (array_agg(g.detail))[1] FROM (")
            .Append(inner).Append(") g GROUP BY g.group_key HAVING true");
        var cursor = new StringBuilder();
        Keyset.Apply(cursor, command, "max(g.id)", page);
        sql.Append(cursor);
        var groups = new List<(long Cursor, string Type, Guid? Post, long? Comment, long[] Actors, long ActorsCount, long Count, DateTimeOffset At, bool Read, long? Report,
            long? Action, string? Detail)>();
        await foreach (var r in QueryAsync(command, sql).ConfigureAwait(false))
        {
            groups.Add((r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetGuid(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.GetFieldValue<long[]>(4),
                r.GetInt64(5), r.GetInt64(6), r.GetFieldValue<DateTimeOffset>(7), r.GetBoolean(8), r.IsDBNull(9) ? null : r.GetInt64(9),
                r.IsDBNull(10) ? null : r.GetInt64(10), r.IsDBNull(11) ? null : r.GetString(11)));
        }

        var accounts = await AccountsAsync(groups.SelectMany(g => g.Actors.Take(3)).Distinct().ToArray()).ConfigureAwait(false);
        var result = groups.Select(g => new NotificationGroup(g.Cursor, g.Type, g.Post, g.Comment,
            g.Actors.Take(3).Where(accounts.ContainsKey).Select(id => accounts[id]).ToArray(), g.ActorsCount, g.Count, g.At, g.Read) { ReportId = g.Report, ActionId = g.Action, Detail = g.Detail }).ToList();
        return Keyset.NewestFirst(result, page);
    }

    /// <summary>
    /// The unread notifications the list shows, and the newest notification id there is, read in one snapshot: any
    /// notification with a higher id was not yet there, so it is not in the count.
    /// </summary>
    public async Task<(long Count, long Through)> CountUnreadAsync(long recipient)
    {
        await using var command = new NpgsqlCommand();
        var id = Keyset.Parameter(command, recipient);
        var sql = new StringBuilder("SELECT (SELECT count(*) FROM notifications n WHERE n.read_at IS NULL AND n.recipient_id = ").Append(id)
            .Append(Shown.Replace("@now", Keyset.Parameter(command, time.GetUtcNow()), StringComparison.Ordinal))
            .Append("), (SELECT coalesce(max(id), 0) FROM notifications WHERE recipient_id = ").Append(id).Append(')');
        await foreach (var r in QueryAsync(command, sql).ConfigureAwait(false))
        {
            return (r.GetInt64(0), r.GetInt64(1));
        }

        return (0, 0);
    }

    /// <summary>Marks read (one, or all when <paramref name="id"/> is null); returns how many were unread.</summary>
    public async Task<(bool Found, int Changed)> MarkReadAsync(long recipient, long? id)
    {
        await using var command = db.CreateCommand(id is null
            ? "UPDATE notifications SET read_at = $2 WHERE recipient_id = $1 AND read_at IS NULL"
            : "WITH target AS (SELECT id, read_at FROM notifications WHERE recipient_id = $1 AND id = $3 FOR UPDATE) " +
              "UPDATE notifications n SET read_at = coalesce(n.read_at, $2) FROM target t WHERE n.id = t.id RETURNING t.read_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = recipient });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        if (id is null)
        {
            return (true, await command.ExecuteNonQueryAsync().ConfigureAwait(false));
        }

        command.Parameters.Add(new NpgsqlParameter { Value = id.Value });
        var result = await command.ExecuteScalarAsync().ConfigureAwait(false);
        return result is bool wasUnread ? (true, wasUnread ? 1 : 0) : (false, 0);
    }

    public async Task<bool> DeleteAsync(long recipient, long id)
    {
        await using var command = db.CreateCommand("DELETE FROM notifications WHERE recipient_id = $1 AND id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = recipient });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false) == 1;
    }

    public async Task<IReadOnlyDictionary<string, bool>> PreferencesAsync(long account)
    {
        var preferences = NotificationTypes.All.ToDictionary(t => t, _ => true, StringComparer.Ordinal);
        await using var command = db.CreateCommand("SELECT type, enabled FROM notification_preferences WHERE account_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            preferences[r.GetString(0)] = r.GetBoolean(1);
        }

        return preferences;
    }

    public async Task SetPreferencesAsync(long account, IReadOnlyDictionary<string, bool> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        await using var command = db.CreateCommand("""
            INSERT INTO notification_preferences (account_id, type, enabled) SELECT $1, t, e FROM unnest($2::text[], $3::boolean[]) AS x(t, e)
            ON CONFLICT (account_id, type) DO UPDATE SET enabled = excluded.enabled
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = changes.Keys.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = changes.Values.ToArray() });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private void AppendFilter(StringBuilder sql, NpgsqlCommand command, NotificationFilter filter)
    {
        sql.Append(Shown.Replace("@now", Keyset.Parameter(command, time.GetUtcNow()), StringComparison.Ordinal));
        if (filter.Types is { Count: > 0 } types)
        {
            sql.Append(" AND n.type = ANY(").Append(Keyset.Parameter(command, types.ToArray())).Append(')');
        }

        if (filter.UnreadOnly)
        {
            sql.Append(" AND n.read_at IS NULL");
        }
    }

    private async Task<Dictionary<long, PublicAccount>> AccountsAsync(long[] ids)
    {
        var accounts = new Dictionary<long, PublicAccount>();
        if (ids.Length == 0)
        {
            return accounts;
        }

        await using var command = db.CreateCommand($"SELECT {RelationshipStore.PublicColumns} FROM accounts a WHERE a.id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            var account = RelationshipStore.ReadPublic(r, 0);
            accounts[account.Id] = account;
        }

        return accounts;
    }

    private async IAsyncEnumerable<NpgsqlDataReader> QueryAsync(NpgsqlCommand command, StringBuilder sql)
    {
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            yield return r;
        }
    }

    // Columns: id, type, post, comment, created, the actor's public columns (null: from the instance), report, action.
    private static NotificationView Read(NpgsqlDataReader r, bool read) => new(r.GetInt64(0), r.GetString(1), r.IsDBNull(5) ? null : RelationshipStore.ReadPublic(r, 5),
        r.IsDBNull(2) ? null : r.GetGuid(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.GetFieldValue<DateTimeOffset>(4), read)
    {
        ReportId = r.IsDBNull(15) ? null : r.GetInt64(15),
        ActionId = r.IsDBNull(16) ? null : r.GetInt64(16),
        Detail = r.GetOrdinal("detail") is var d && r.IsDBNull(d) ? null : r.GetString(r.GetOrdinal("detail")),
    };
}
