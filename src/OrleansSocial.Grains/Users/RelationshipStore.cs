using System.Text;
using Npgsql;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>
/// The outcome of a relationship change: how the actor now stands with the other account and the other with the actor,
/// and both accounts' counters, versioned by the change. <see cref="Notify"/> is the notification the change causes for
/// the other account (a new follow, request or approval).
/// </summary>
public sealed record RelationshipChange(Relationship Relationship, Relationship Mirror, IReadOnlyDictionary<long, AccountCounts> Counts, string? Notify = null);

/// <summary>
/// The <c>follows</c>, <c>follow_requests</c>, <c>blocks</c> and <c>mutes</c> tables and the counters on
/// <c>accounts</c>. Every change runs in one transaction that first locks both accounts rows in id order, so changes
/// to the same pair are serialized, two opposite changes cannot deadlock, and counters always match the rows. Every
/// change bumps both accounts' <c>counts_version</c>: the grains holding counters and relationship summaries use it to
/// order what they are told.
/// </summary>
public sealed class RelationshipStore(NpgsqlDataSource db, TimeProvider time)
{
    internal const string PublicColumns =
        "a.id, a.username, a.display_name, a.bio, a.website, a.is_private, a.created_at, a.followers_count, a.following_count, a.posts_count";

    public Task<RelationshipChange> FollowAsync(long actor, long target)
    {
        string? notify = null;
        return ChangeAsync(actor, target, async (tx, accounts) =>
    {
        await RefuseAcrossBlockAsync(tx, actor, target, "You cannot follow this account.").ConfigureAwait(false);
        if (await ExistsAsync(tx, "SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2", actor, target).ConfigureAwait(false))
        {
            return;
        }

        if (accounts[target])
        {
            notify = await ExecuteAsync(tx, "INSERT INTO follow_requests (requester_id, target_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", actor, target)
                .ConfigureAwait(false) == 1 ? "follow_request" : null;
            return;
        }

        notify = await AddFollowAsync(tx, actor, target).ConfigureAwait(false) ? "follow" : null;
    }, () => notify);
    }

    public Task<RelationshipChange> UnfollowAsync(long actor, long target) => ChangeAsync(actor, target, async (tx, _) =>
    {
        await ExecuteAsync(tx, "DELETE FROM follow_requests WHERE requester_id = $1 AND target_id = $2", actor, target).ConfigureAwait(false);
        await RemoveFollowAsync(tx, actor, target).ConfigureAwait(false);
    });

    public Task<RelationshipChange> BlockAsync(long actor, long target) => ChangeAsync(actor, target, async (tx, _) =>
    {
        await ExecuteAsync(tx, "INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", actor, target).ConfigureAwait(false);
        await ExecuteAsync(tx, "DELETE FROM follow_requests WHERE (requester_id = $1 AND target_id = $2) OR (requester_id = $2 AND target_id = $1)",
            actor, target).ConfigureAwait(false);
        await RemoveFollowAsync(tx, actor, target).ConfigureAwait(false);
        await RemoveFollowAsync(tx, target, actor).ConfigureAwait(false);
    });

    public Task<RelationshipChange> UnblockAsync(long actor, long target) => ChangeAsync(actor, target, async (tx, _) =>
    {
        await ExecuteAsync(tx, "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2", actor, target).ConfigureAwait(false);
    });

    public Task<RelationshipChange> MuteAsync(long actor, long target, TimeSpan? duration) => ChangeAsync(actor, target, async (tx, _) =>
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO mutes (muter_id, muted_id, expires_at) VALUES ($1, $2, $3)
            ON CONFLICT (muter_id, muted_id) DO UPDATE SET expires_at = excluded.expires_at
            """, tx.Connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = actor });
        command.Parameters.Add(new NpgsqlParameter { Value = target });
        command.Parameters.Add(new NpgsqlParameter { Value = duration is { } d ? time.GetUtcNow() + d : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    });

    public Task<RelationshipChange> UnmuteAsync(long actor, long target) => ChangeAsync(actor, target, async (tx, _) =>
    {
        await ExecuteAsync(tx, "DELETE FROM mutes WHERE muter_id = $1 AND muted_id = $2", actor, target).ConfigureAwait(false);
    });

    /// <summary>The actor approves <paramref name="requester"/>'s request; <see cref="KeyNotFoundException"/> when there is none.</summary>
    public Task<RelationshipChange> AuthorizeAsync(long actor, long requester) => ChangeAsync(actor, requester, async (tx, _) =>
    {
        if (await ExecuteAsync(tx, "DELETE FROM follow_requests WHERE requester_id = $1 AND target_id = $2", requester, actor).ConfigureAwait(false) == 0)
        {
            throw new KeyNotFoundException("No follow request from this account.");
        }

        await AddFollowAsync(tx, requester, actor).ConfigureAwait(false);
    }, () => "follow_approved");

    public Task<RelationshipChange> RejectAsync(long actor, long requester) => ChangeAsync(actor, requester, async (tx, _) =>
    {
        if (await ExecuteAsync(tx, "DELETE FROM follow_requests WHERE requester_id = $1 AND target_id = $2", requester, actor).ConfigureAwait(false) == 0)
        {
            throw new KeyNotFoundException("No follow request from this account.");
        }
    });

    /// <summary>How <paramref name="viewer"/> stands with each existing account of <paramref name="targets"/>, in their order.</summary>
    public async Task<IReadOnlyList<Relationship>> GetRelationshipsAsync(long viewer, long[] targets, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await RelationshipsAsync(connection, null, viewer, targets, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// What each of <paramref name="viewers"/> is to <paramref name="author"/>, in one statement: whether it follows the
    /// author (approved), whether a block stands between them either way, and whether it mutes the author now. The
    /// facts <see cref="OrleansSocial.Posts.VisibilityPolicy"/> decides on, for many viewers at once (live events).
    /// </summary>
    public async Task<Dictionary<long, (bool Follows, bool BlockedEitherWay, bool Muting)>> ViewerFactsAsync(long author, long[] viewers)
    {
        ArgumentNullException.ThrowIfNull(viewers);
        await using var command = db.CreateCommand("""
            SELECT v.id,
                   EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = v.id AND f.followee_id = $1),
                   EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = v.id AND b.blocked_id = $1) OR (b.blocker_id = $1 AND b.blocked_id = v.id)),
                   EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = v.id AND m.muted_id = $1 AND (m.expires_at IS NULL OR m.expires_at > $3))
            FROM unnest($2::bigint[]) AS v(id)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = author });
        command.Parameters.Add(new NpgsqlParameter { Value = viewers });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var facts = new Dictionary<long, (bool, bool, bool)>(viewers.Length);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            facts[reader.GetInt64(0)] = (reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3));
        }

        return facts;
    }

    /// <summary>An account list: rows of <paramref name="table"/> whose <paramref name="ownerColumn"/> is <paramref name="owner"/>, showing the account in <paramref name="otherColumn"/>; accounts blocked either way by <paramref name="viewer"/> are left out.</summary>
    public async Task<IReadOnlyList<AccountListItem>> ListAsync(string table, string ownerColumn, string otherColumn, object owner, long viewer,
        PageQuery page, CancellationToken ct, string? extraCondition = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder();
        var until = table == "mutes" ? "r.expires_at" : "NULL::timestamptz";
        sql.Append("SELECT r.id, ").Append(PublicColumns).Append(", ").Append(until)
            .Append(" FROM ").Append(table).Append(" r JOIN accounts a ON a.id = r.").Append(otherColumn)
            .Append(" WHERE r.").Append(ownerColumn).Append(" = ").Append(Keyset.Parameter(command, owner));
        var viewerParameter = Keyset.Parameter(command, viewer);
        if (table != "blocks")
        {
            sql.Append(" AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = ").Append(viewerParameter).Append(" AND b.blocked_id = a.id) OR (b.blocker_id = a.id AND b.blocked_id = ")
                .Append(viewerParameter).Append("))");
        }

        if (extraCondition is not null)
        {
            sql.Append(" AND ").Append(extraCondition.Replace("@now", Keyset.Parameter(command, time.GetUtcNow()), StringComparison.Ordinal));
        }

        Keyset.Apply(sql, command, "r.id", page);
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        command.Connection = connection;
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new List<AccountListItem>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            rows.Add(new AccountListItem(reader.GetInt64(0), ReadPublic(reader, 1), reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11)));
        }

        return Keyset.NewestFirst(rows, page);
    }

    internal static PublicAccount ReadPublic(NpgsqlDataReader r, int at) => new(
        r.GetInt64(at), r.GetString(at + 1), r.GetString(at + 2), r.GetString(at + 3), r.GetString(at + 4), r.GetBoolean(at + 5),
        r.GetFieldValue<DateTimeOffset>(at + 6), r.GetInt64(at + 7), r.GetInt64(at + 8), r.GetInt64(at + 9));

    private async Task<RelationshipChange> ChangeAsync(long actor, long other,
        Func<NpgsqlTransaction, Dictionary<long, bool>, Task> change, Func<string?>? notify = null)
    {
        if (actor == other)
        {
            throw new ArgumentException("That is your own account.", "id");
        }

        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        var accounts = new Dictionary<long, bool>();
        await using (var lockRows = new NpgsqlCommand("SELECT id, is_private FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", connection, tx))
        {
            lockRows.Parameters.Add(new NpgsqlParameter { Value = new[] { actor, other } });
            await using var reader = await lockRows.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                accounts[reader.GetInt64(0)] = reader.GetBoolean(1);
            }
        }

        if (!accounts.ContainsKey(other) || !accounts.ContainsKey(actor))
        {
            throw new KeyNotFoundException("No such account.");
        }

        await change(tx, accounts).ConfigureAwait(false);
        var counts = new Dictionary<long, AccountCounts>();
        await using (var bump = new NpgsqlCommand("""
            UPDATE accounts SET counts_version = counts_version + 1 WHERE id = ANY($1)
            RETURNING id, followers_count, following_count, posts_count, counts_version
            """, connection, tx))
        {
            bump.Parameters.Add(new NpgsqlParameter { Value = new[] { actor, other } });
            await using var reader = await bump.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                counts[reader.GetInt64(0)] = new AccountCounts(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
            }
        }

        var relationship = (await RelationshipsAsync(connection, tx, actor, [other], CancellationToken.None).ConfigureAwait(false))[0];
        var mirror = (await RelationshipsAsync(connection, tx, other, [actor], CancellationToken.None).ConfigureAwait(false))[0];
        await tx.CommitAsync().ConfigureAwait(false);
        return new RelationshipChange(relationship, mirror, counts, notify?.Invoke());
    }

    private static async Task RefuseAcrossBlockAsync(NpgsqlTransaction tx, long actor, long target, string message)
    {
        if (await ExistsAsync(tx, "SELECT 1 FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)", actor, target)
            .ConfigureAwait(false))
        {
            throw new RelationshipRefusedException(message);
        }
    }

    private static async Task<bool> AddFollowAsync(NpgsqlTransaction tx, long follower, long followee)
    {
        if (await ExecuteAsync(tx, "INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", follower, followee)
                .ConfigureAwait(false) == 0)
        {
            return false;
        }

        await MoveCountersAsync(tx, follower, followee, 1).ConfigureAwait(false);
        return true;
    }

    private static async Task RemoveFollowAsync(NpgsqlTransaction tx, long follower, long followee)
    {
        if (await ExecuteAsync(tx, "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2", follower, followee).ConfigureAwait(false) == 1)
        {
            await MoveCountersAsync(tx, follower, followee, -1).ConfigureAwait(false);
        }
    }

    private static async Task MoveCountersAsync(NpgsqlTransaction tx, long follower, long followee, int delta)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE accounts SET following_count = following_count + CASE WHEN id = $1 THEN $3 ELSE 0 END,
                                followers_count = followers_count + CASE WHEN id = $2 THEN $3 ELSE 0 END
            WHERE id IN ($1, $2)
            """, tx.Connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = follower });
        command.Parameters.Add(new NpgsqlParameter { Value = followee });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)delta });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Everything <paramref name="account"/>'s relationship summary holds (followees, blocks both ways, current mutes)
    /// and the account's <c>counts_version</c>, read in one statement and so from one snapshot; null for no account.
    /// </summary>
    public async Task<(long Version, IReadOnlyList<RelationRow> Rows)?> LoadSummaryAsync(long account, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT a.counts_version, r.kind, r.other, r.until
            FROM accounts a
            LEFT JOIN LATERAL (
                SELECT 0 AS kind, followee_id AS other, NULL::timestamptz AS until FROM follows WHERE follower_id = a.id
                UNION ALL SELECT 1, blocked_id, NULL FROM blocks WHERE blocker_id = a.id
                UNION ALL SELECT 2, blocker_id, NULL FROM blocks WHERE blocked_id = a.id
                UNION ALL SELECT 3, muted_id, expires_at FROM mutes WHERE muter_id = a.id AND (expires_at IS NULL OR expires_at > $2)
            ) r ON true
            WHERE a.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        long? version = null;
        var rows = new List<RelationRow>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            version = reader.GetInt64(0);
            if (!reader.IsDBNull(1))
            {
                rows.Add(new RelationRow((RelationKind)reader.GetInt32(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3)));
            }
        }

        return version is { } v ? (v, rows) : null;
    }

    private async Task<IReadOnlyList<Relationship>> RelationshipsAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, long viewer, long[] targets,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT t.id,
                   EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = t.id),
                   EXISTS (SELECT 1 FROM follows WHERE follower_id = t.id AND followee_id = $1),
                   EXISTS (SELECT 1 FROM follow_requests WHERE requester_id = $1 AND target_id = t.id),
                   EXISTS (SELECT 1 FROM follow_requests WHERE requester_id = t.id AND target_id = $1),
                   EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = t.id),
                   EXISTS (SELECT 1 FROM blocks WHERE blocker_id = t.id AND blocked_id = $1),
                   m.muted_id IS NOT NULL,
                   m.expires_at
            FROM unnest($2::bigint[]) WITH ORDINALITY AS t(id, n)
            JOIN accounts a ON a.id = t.id
            LEFT JOIN mutes m ON m.muter_id = $1 AND m.muted_id = t.id AND (m.expires_at IS NULL OR m.expires_at > $3)
            ORDER BY t.n
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = viewer });
        command.Parameters.Add(new NpgsqlParameter { Value = targets });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<Relationship>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new Relationship(reader.GetInt64(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4),
                reader.GetBoolean(5), reader.GetBoolean(6), reader.GetBoolean(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return list;
    }

    private static async Task<bool> ExistsAsync(NpgsqlTransaction tx, string sql, long a, long b)
    {
        await using var command = new NpgsqlCommand(sql, tx.Connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = a });
        command.Parameters.Add(new NpgsqlParameter { Value = b });
        return await command.ExecuteScalarAsync().ConfigureAwait(false) is not null;
    }

    private static async Task<int> ExecuteAsync(NpgsqlTransaction tx, string sql, long a, long b)
    {
        await using var command = new NpgsqlCommand(sql, tx.Connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = a });
        command.Parameters.Add(new NpgsqlParameter { Value = b });
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
